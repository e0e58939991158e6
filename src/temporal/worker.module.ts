import { Module } from '@nestjs/common';
import { AudiencesModule } from '../audiences/audiences.module';
import { AutomationsModule } from '../automations/automations.module';
import { BroadcastsModule } from '../broadcasts/broadcasts.module';
import { InboundModule } from '../inbound/inbound.module';
import { IntegrationsModule } from '../integrations/integrations.module';
import { MaintenanceModule } from '../maintenance/maintenance.module';
import { MessagesModule } from '../messages/messages.module';
import { OutboxModule } from '../outbox/outbox.module';
import { ProfilesModule } from '../profiles/profiles.module';
import { SchedulesModule } from '../schedules/schedules.module';
import { TenantsModule } from '../tenants/tenants.module';
import { LegacyServices } from './legacy-services';
import { WorkerHostService } from './worker-host.service';

@Module({
  imports: [BroadcastsModule, AudiencesModule, ProfilesModule, TenantsModule, InboundModule, AutomationsModule, MessagesModule, IntegrationsModule, OutboxModule, MaintenanceModule, SchedulesModule],
  providers: [WorkerHostService, LegacyServices],
  exports: [WorkerHostService],
})
export class WorkerModule {}
