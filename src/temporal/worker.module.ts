import { Module } from '@nestjs/common';
import { AutomationsModule } from '../automations/automations.module';
import { InboundModule } from '../inbound/inbound.module';
import { IntegrationsModule } from '../integrations/integrations.module';
import { MaintenanceModule } from '../maintenance/maintenance.module';
import { MessagesModule } from '../messages/messages.module';
import { OutboxModule } from '../outbox/outbox.module';
import { ProfilesModule } from '../profiles/profiles.module';
import { TenantsModule } from '../tenants/tenants.module';
import { LegacyServices } from './legacy-services';
import { WorkerHostService } from './worker-host.service';

@Module({
  imports: [ProfilesModule, TenantsModule, InboundModule, AutomationsModule, MessagesModule, IntegrationsModule, OutboxModule, MaintenanceModule],
  providers: [WorkerHostService, LegacyServices],
  exports: [WorkerHostService],
})
export class WorkerModule {}
