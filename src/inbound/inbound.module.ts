import { OutboxModule } from '../outbox/outbox.module';
import { PreferencesModule } from '../preferences/preferences.module';
import { Module } from '@nestjs/common';
import { AudiencesModule } from '../audiences/audiences.module';
import { AutomationsModule } from '../automations/automations.module';
import { ProfilesModule } from '../profiles/profiles.module';
import { TenantsModule } from '../tenants/tenants.module';
import { BacklogService } from './backlog.service';
import { DispatchService } from './dispatch/dispatch.service';
import { EventLogService } from './event-log.service';
import { InboundController } from './inbound.controller';
import { InboundService } from './inbound.service';
import { LedgerWriter } from './ledger-writer';
import { RejectionsService } from './rejections.service';
import { ReplayService } from './replay.service';
import { EventReplaysController } from './event-replays.controller';
import { EventReplaysService } from './event-replays.service';

@Module({
  imports: [AudiencesModule, AutomationsModule, ProfilesModule, TenantsModule, PreferencesModule, OutboxModule],
  controllers: [InboundController, EventReplaysController],
  providers: [InboundService, EventLogService, ReplayService, EventReplaysService, BacklogService, DispatchService, LedgerWriter, RejectionsService],
  exports: [EventReplaysService, EventLogService, DispatchService, InboundService, LedgerWriter, RejectionsService],
})
export class InboundModule {}
