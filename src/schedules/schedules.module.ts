import { Module } from '@nestjs/common';
import { AutomationsModule } from '../automations/automations.module';
import { BroadcastsModule } from '../broadcasts/broadcasts.module';
import { MessagesModule } from '../messages/messages.module';
import { ScheduleRunner } from './schedule-runner.service';
import { ScheduleTemporal } from './schedule-temporal.service';
import { SchedulesController } from './schedules.controller';
import { SchedulesService } from './schedules.service';

/** Schedules (SPEC section 8): the API, and the runner the worker's scheduled workflow calls. */
@Module({
  imports: [MessagesModule, AutomationsModule, BroadcastsModule],
  controllers: [SchedulesController],
  providers: [SchedulesService, ScheduleTemporal, ScheduleRunner],
  exports: [ScheduleRunner],
})
export class SchedulesModule {}
