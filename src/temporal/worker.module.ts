import { Module } from '@nestjs/common';
import { InboundModule } from '../inbound/inbound.module';
import { ProfilesModule } from '../profiles/profiles.module';
import { TenantsModule } from '../tenants/tenants.module';
import { WorkerHostService } from './worker-host.service';

@Module({
  imports: [ProfilesModule, TenantsModule, InboundModule],
  providers: [WorkerHostService],
  exports: [WorkerHostService],
})
export class WorkerModule {}
