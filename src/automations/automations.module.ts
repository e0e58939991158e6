import { ListsModule } from '../lists/lists.module';
import { Module } from '@nestjs/common';
import { MessagesModule } from '../messages/messages.module';
import { OutboxModule } from '../outbox/outbox.module';
import { ProfilesModule } from '../profiles/profiles.module';
import { RunEngine } from './engine/run-engine.service';
import { MappingsService } from './mappings/mappings.service';
import { BatchesService } from './runs/batches.service';
import { CancelService } from './runs/cancel.service';
import { EventRunsService } from './runs/event-runs.service';
import { InvokeService } from './runs/invoke.service';
import { RunPlanner } from './runs/run-planner.service';
import { RunStarter } from './runs/run-starter.service';
import { RunsController } from './runs/runs.controller';
import { RunsRepository } from './runs/runs.repository';
import { RunsService } from './runs/runs.service';
import { ThrottleService } from './runs/throttle.service';
import { WaitsService } from './runs/waits.service';
import { TemplatesController } from './templates/templates.controller';
import { TemplatesService } from './templates/templates.service';

const SHARED = [TemplatesService, RunsService, RunsRepository, RunPlanner, RunStarter, RunEngine, CancelService, ThrottleService, MappingsService, EventRunsService, WaitsService, BatchesService];

@Module({
  imports: [ProfilesModule, MessagesModule, OutboxModule, ListsModule],
  // RunsController first: its /automations/runs routes must win over /automations/:id.
  controllers: [RunsController, TemplatesController],
  providers: [...SHARED, InvokeService],
  exports: [...SHARED, InvokeService],
})
export class AutomationsModule {}
