import { BroadcastsService } from '../broadcasts/broadcasts.service';
import { Inject, Injectable, Logger, OnApplicationShutdown, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DefaultLogger, LogLevel, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { Logger as PinoLogger } from 'pino';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { createBroadcastActivities } from '../../activities/broadcast.activities';
import { createAudienceActivities } from '../../activities/audience.activities';
import { createReplayActivities } from '../../activities/replay.activities';
import { createDeliveryActivities } from '../../activities/delivery.activities';
import { createDispatchActivities } from '../../activities/dispatch.activities';
import { createEmitterActivities } from '../../activities/emitter.activities';
import { createEngineActivities } from '../../activities/engine.activities';
import { BatchesService } from '../automations/runs/batches.service';
import { createMaintenanceActivities } from '../../activities/maintenance.activities';
import { createScheduleActivities } from '../../activities/schedule.activities';
import { ScheduleRunner } from '../schedules/schedule-runner.service';
import { createLegacyDeliveryActivities } from '../../activities/legacy/delivery.activities';
import { createLegacyFetchDataActivities } from '../../activities/legacy/fetch-data.activities';
import { createLegacyIngestActivities } from '../../activities/legacy/ingest.activities';
import { createLegacyOutboundActivities } from '../../activities/legacy/outbound.activities';
import { createLegacyRunActivities } from '../../activities/legacy/run.activities';
import { AudienceRecomputeService } from '../audiences/audience-recompute.service';
import { EventReplaysService } from '../inbound/event-replays.service';
import { RunEngine } from '../automations/engine/run-engine.service';
import { HERALD_CONFIG, HeraldConfig } from '../config/herald-config';
import { DispatchService } from '../inbound/dispatch/dispatch.service';
import { OutboundService } from '../integrations/outbound.service';
import { ensureMaintenanceSchedule, removeMaintenanceSchedule } from '../maintenance/maintenance-schedule';
import { SweepService } from '../maintenance/sweep.service';
import { DeliveryService } from '../messages/delivery.service';
import { FanOutService } from '../messages/fan-out.service';
import { MessagesService } from '../messages/messages.service';
import { OutboxService } from '../outbox/outbox.service';
import { LegacyServices } from './legacy-services';
import { prebuiltBundle } from './bundle-workflows';
import { ensureSearchAttributes } from './search-attribute-registration';
import { TemporalClientService } from './temporal-client.service';
import { temporalConnectionOptions } from './temporal-connection-options';
import { TEMPORAL_ADDRESS, WORKFLOW_BUNDLE_PATH } from './temporal.tokens';

/** Where the compiled workflow entry lives (ts in tests, js in dist). */
export const WORKFLOWS_ENTRY = path.resolve(__dirname, '../../workflows/index');

/**
 * Hosts the Temporal worker inside the Nest application, wiring activities from the app's
 * services. Started explicitly (herald worker / herald start), not on module init, so the
 * API alone never polls task queues.
 */
@Injectable()
export class WorkerHostService implements OnApplicationShutdown {
  private readonly logger = new Logger('Worker');
  private worker?: Worker;
  private running?: Promise<void>;
  private connection?: NativeConnection;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    @Inject(TEMPORAL_ADDRESS) private readonly address: string,
    @Optional() @Inject(WORKFLOW_BUNDLE_PATH) private readonly bundlePath: string | undefined,
    private readonly temporalClient: TemporalClientService,
    private readonly engine: RunEngine,
    private readonly batches: BatchesService,
    private readonly dispatch: DispatchService,
    private readonly delivery: DeliveryService,
    private readonly messages: MessagesService,
    private readonly fanOut: FanOutService,
    private readonly outbound: OutboundService,
    private readonly outbox: OutboxService,
    private readonly sweeper: SweepService,
    private readonly legacy: LegacyServices,
    private readonly scheduleRunner: ScheduleRunner,
    private readonly audienceRecompute: AudienceRecomputeService,
    private readonly broadcasts: BroadcastsService,
    private readonly replays: EventReplaysService,
  ) {}

  /** Every activity, wired from the app's services (the one place that knows them all). */
  activities() {
    const { db, config, temporalClient: temporal, delivery, outbound, outbox } = this;
    const l = this.legacy;
    return {
      ...createEngineActivities({ engine: this.engine, batches: this.batches }),
      ...createDispatchActivities({ dispatch: this.dispatch }),
      ...createDeliveryActivities({ delivery, messages: this.messages, fanOut: this.fanOut }),
      ...createEmitterActivities({ outbound }),
      ...createMaintenanceActivities({ sweeper: this.sweeper }),
      ...createScheduleActivities({ runner: this.scheduleRunner }),
      ...createAudienceActivities({ recompute: this.audienceRecompute }),
      ...createBroadcastActivities({ broadcasts: this.broadcasts }),
      ...createReplayActivities({ replays: this.replays }),
      // Workflows started before the batched pipeline (workflows/legacy) still call these.
      ...createLegacyIngestActivities({ db, profiles: l.profiles, tenants: l.tenants, eventLog: l.eventLog, eventRuns: l.eventRuns, planner: l.planner, waits: l.waits }),
      ...createLegacyRunActivities({ db, config, repo: l.repo, planner: l.planner, cancel: l.cancel, throttle: l.throttle, profiles: l.profiles, delivery, temporal }),
      ...createLegacyFetchDataActivities({ config }),
      ...createLegacyDeliveryActivities({ delivery }),
      ...createLegacyOutboundActivities({ db, outbound, outbox }),
    };
  }

  async start(): Promise<void> {
    const registration = await ensureSearchAttributes(this.temporalClient.connection, this.config.temporal.namespace);
    if (registration.added.length) this.logger.log(`registered search attributes ${registration.added.join(', ')}`);
    if (registration.error) {
      this.logger.warn(`could not check or register Herald's search attributes (${registration.error}); see README "Temporal search attributes"`);
    }
    this.connection = await NativeConnection.connect(temporalConnectionOptions(this.config.temporal, this.address));
    this.temporalClient.useWorkerConnection(this.connection);
    const tuning = this.config.worker;
    const bundle = this.bundlePath ?? prebuiltBundle();
    this.worker = await Worker.create({
      connection: this.connection,
      namespace: this.config.temporal.namespace,
      taskQueue: this.config.temporal.taskQueue,
      dataConverter: this.temporalClient.dataConverter,
      ...(bundle ? { workflowBundle: { codePath: bundle } } : { workflowsPath: require.resolve(WORKFLOWS_ENTRY) }),
      activities: this.activities(),
      // Measured (README "Benchmarks"): a bounded sticky cache keeps memory flat with 10,000 runs
      // parked (an evicted run replays its short history when it wakes).
      maxCachedWorkflows: tuning.maxCachedWorkflows,
      maxConcurrentWorkflowTaskExecutions: tuning.maxConcurrentWorkflowTasks,
      maxConcurrentLocalActivityExecutions: tuning.maxConcurrentLocalActivities,
      maxConcurrentActivityTaskExecutions: tuning.maxConcurrentActivities,
    });
    this.running = this.worker.run().catch((err) => {
      this.logger.error(`worker stopped with an error: ${(err as Error).message}`);
      throw err;
    });
    try {
      await ensureMaintenanceSchedule(this.temporalClient.client, this.config.temporal.taskQueue, this.config.sweepIntervalMs);
    } catch (err) {
      this.logger.warn(`could not create the maintenance schedule (${(err as Error).message}); work a crash leaves behind waits for the next worker start`);
    }
    this.logger.log(`polling task queue ${this.config.temporal.taskQueue} on ${this.address}`);
  }

  /** Deletes this task queue's maintenance schedule (tests; production keeps it across worker restarts). */
  removeMaintenanceSchedule(): Promise<void> {
    return removeMaintenanceSchedule(this.temporalClient.client, this.config.temporal.taskQueue);
  }

  /** Lets in-flight activities finish, then stops polling. */
  async stop(): Promise<void> {
    if (!this.worker) return;
    if (this.worker.getState() === 'RUNNING') this.worker.shutdown();
    await this.running?.catch(() => undefined);
    await this.connection?.close().catch(() => undefined);
    this.worker = undefined;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }
}

/**
 * Sends the Temporal SDK's logs through pino and leaves signal handling to Herald (which stops
 * the HTTP server, then the worker, then embedded servers, in that order).
 */
export function installTemporalRuntime(logger: PinoLogger, level: string): void {
  const sdkLevel = (['trace', 'debug'].includes(level) ? 'DEBUG' : level === 'info' ? 'INFO' : 'WARN') as LogLevel;
  const child = logger.child({ component: 'temporal-sdk' });
  try {
    Runtime.install({
      shutdownSignals: [],
      // Core (native) logs go through the same logger instead of straight to stderr.
      telemetryOptions: { logging: { filter: { core: sdkLevel === 'INFO' ? 'WARN' : sdkLevel, other: 'ERROR' }, forward: {} } },
      logger: new DefaultLogger(sdkLevel === 'INFO' ? 'WARN' : sdkLevel, (entry) => {
        const method = entry.level === 'ERROR' ? 'error' : entry.level === 'WARN' ? 'warn' : entry.level === 'INFO' ? 'info' : 'debug';
        child[method]({ ...entry.meta }, entry.message);
      }),
    });
  } catch {
    /* already installed: tests create several apps in one process */
  }
}
