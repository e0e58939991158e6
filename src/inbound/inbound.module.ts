import { Module } from '@nestjs/common';
import { EventLogService } from './event-log.service';
import { InboundController } from './inbound.controller';
import { InboundService } from './inbound.service';

@Module({ controllers: [InboundController], providers: [InboundService, EventLogService], exports: [EventLogService] })
export class InboundModule {}
