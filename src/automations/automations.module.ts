import { Module } from '@nestjs/common';
import { MessagesModule } from '../messages/messages.module';
import { ProfilesModule } from '../profiles/profiles.module';
import { MappingsService } from './mappings/mappings.service';
import { CancelService } from './runs/cancel.service';
import { EventRunsService } from './runs/event-runs.service';
import { RunEventsPublisher } from './runs/run-events.publisher';
import { InvokeService } from './runs/invoke.service';
import { RunsController } from './runs/runs.controller';
import { RunsService } from './runs/runs.service';
import { ThrottleService } from './runs/throttle.service';
import { TemplatesController } from './templates/templates.controller';
import { TemplatesService } from './templates/templates.service';

@Module({
  imports: [ProfilesModule, MessagesModule],
  // RunsController first: its /automations/runs routes must win over /automations/:id.
  controllers: [RunsController, TemplatesController],
  providers: [RunEventsPublisher, TemplatesService, RunsService, CancelService, InvokeService, ThrottleService, MappingsService, EventRunsService],
  exports: [RunEventsPublisher, TemplatesService, RunsService, CancelService, ThrottleService, MappingsService, EventRunsService],
})
export class AutomationsModule {}
