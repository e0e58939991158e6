import { Module } from '@nestjs/common';
import { AutomationsModule } from '../automations/automations.module';
import { InboundModule } from '../inbound/inbound.module';
import { IntegrationsModule } from '../integrations/integrations.module';
import { MessagesModule } from '../messages/messages.module';
import { ProfilesModule } from '../profiles/profiles.module';
import { TenantsModule } from '../tenants/tenants.module';
import { WorkerHostService } from './worker-host.service';

@Module({
  imports: [ProfilesModule, TenantsModule, InboundModule, AutomationsModule, MessagesModule, IntegrationsModule],
  providers: [WorkerHostService],
  exports: [WorkerHostService],
})
export class WorkerModule {}
