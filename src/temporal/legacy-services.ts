import { Injectable } from '@nestjs/common';
import { CancelService } from '../automations/runs/cancel.service';
import { EventRunsService } from '../automations/runs/event-runs.service';
import { RunPlanner } from '../automations/runs/run-planner.service';
import { RunsRepository } from '../automations/runs/runs.repository';
import { ThrottleService } from '../automations/runs/throttle.service';
import { WaitsService } from '../automations/runs/waits.service';
import { EventLogService } from '../inbound/event-log.service';
import { ProfilesService } from '../profiles/profiles.service';
import { TenantsService } from '../tenants/tenants.service';

/** The services only the legacy activities need, in one injectable. */
@Injectable()
export class LegacyServices {
  constructor(
    readonly profiles: ProfilesService,
    readonly tenants: TenantsService,
    readonly eventLog: EventLogService,
    readonly eventRuns: EventRunsService,
    readonly planner: RunPlanner,
    readonly waits: WaitsService,
    readonly repo: RunsRepository,
    readonly cancel: CancelService,
    readonly throttle: ThrottleService,
  ) {}
}

