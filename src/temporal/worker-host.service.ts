import { Inject, Injectable, Logger, OnApplicationShutdown, Optional } from '@nestjs/common';
import { DefaultLogger, LogLevel, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { Logger as PinoLogger } from 'pino';
import * as path from 'node:path';
import { createDeliveryActivities } from '../../activities/delivery.activities';
import { createFetchDataActivities } from '../../activities/fetch-data.activities';
import { createIngestActivities } from '../../activities/ingest.activities';
import { createOutboundActivities } from '../../activities/outbound.activities';
import { OutboundService } from '../integrations/outbound.service';
import { createRunActivities } from '../../activities/run.activities';
import { CancelService } from '../automations/runs/cancel.service';
import { EventRunsService } from '../automations/runs/event-runs.service';
import { RunsService } from '../automations/runs/runs.service';
import { ThrottleService } from '../automations/runs/throttle.service';
import { DeliveryService } from '../messages/delivery.service';
import { HERALD_CONFIG, HeraldConfig } from '../config/herald-config';
import { EventLogService } from '../inbound/event-log.service';
import { ProfilesService } from '../profiles/profiles.service';
import { TenantsService } from '../tenants/tenants.service';
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
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    @Inject(TEMPORAL_ADDRESS) private readonly address: string,
    @Optional() @Inject(WORKFLOW_BUNDLE_PATH) private readonly bundlePath: string | undefined,
    private readonly profiles: ProfilesService,
    private readonly tenants: TenantsService,
    private readonly eventLog: EventLogService,
    private readonly temporalClient: TemporalClientService,
    private readonly runs: RunsService,
    private readonly eventRuns: EventRunsService,
    private readonly cancel: CancelService,
    private readonly throttle: ThrottleService,
    private readonly delivery: DeliveryService,
    private readonly outbound: OutboundService,
  ) {}

  /** Every activity, wired from the app's services (the one place that knows them all). */
  activities() {
    const temporal = this.temporalClient;
    return {
      ...createIngestActivities({ profiles: this.profiles, tenants: this.tenants, eventLog: this.eventLog, eventRuns: this.eventRuns, runs: this.runs, temporal }),
      ...createRunActivities({ runs: this.runs, cancel: this.cancel, throttle: this.throttle, profiles: this.profiles, delivery: this.delivery, temporal }),
      ...createFetchDataActivities({ config: this.config }),
      ...createDeliveryActivities({ delivery: this.delivery }),
      ...createOutboundActivities({ outbound: this.outbound }),
    };
  }

  async start(): Promise<void> {
    const registration = await ensureSearchAttributes(this.temporalClient.connection, this.config.temporal.namespace);
    if (registration.added.length) this.logger.log(`registered search attributes ${registration.added.join(', ')}`);
    if (registration.error) {
      this.logger.warn(`could not check or register Herald's search attributes (${registration.error}); see README "Temporal search attributes"`);
    }
    this.connection = await NativeConnection.connect(temporalConnectionOptions(this.config.temporal, this.address));
    this.worker = await Worker.create({
      connection: this.connection,
      namespace: this.config.temporal.namespace,
      taskQueue: this.config.temporal.taskQueue,
      ...(this.bundlePath ? { workflowBundle: { codePath: this.bundlePath } } : { workflowsPath: require.resolve(WORKFLOWS_ENTRY) }),
      activities: this.activities(),
    });
    this.running = this.worker.run().catch((err) => {
      this.logger.error(`worker stopped with an error: ${(err as Error).message}`);
      throw err;
    });
    this.logger.log(`polling task queue ${this.config.temporal.taskQueue} on ${this.address}`);
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
