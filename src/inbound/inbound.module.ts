import { Module } from '@nestjs/common';
import { AutomationsModule } from '../automations/automations.module';
import { EventLogService } from './event-log.service';
import { InboundController } from './inbound.controller';
import { InboundService } from './inbound.service';
import { ReplayService } from './replay.service';

@Module({ imports: [AutomationsModule], controllers: [InboundController], providers: [InboundService, EventLogService, ReplayService], exports: [EventLogService] })
export class InboundModule {}
