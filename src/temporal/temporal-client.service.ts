import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { InterceptingCall, Interceptor } from '@grpc/grpc-js';
import { Client, Connection, ConnectionLike, defaultGrpcRetryOptions, makeGrpcRetryInterceptor, WorkflowExecutionAlreadyStartedError, WorkflowStartOptions } from '@temporalio/client';
import { installationKeys } from '../common/crypto/installation-keys';
import { HERALD_CONFIG, HeraldConfig } from '../config/herald-config';
import { EncryptionCodec } from './codec/encryption-codec';
import { temporalConnectionOptions } from './temporal-connection-options';
import { temporalFailure } from './temporal-errors';
import { TEMPORAL_ADDRESS } from './temporal.tokens';

/** How long an API request waits on Temporal before answering 503. */
const START_DEADLINE_MS = 5_000;

/** Rejects when `promise` takes longer than `ms` (the worker's native connection has no per-call deadline). */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Temporal did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Herald's Temporal client. The connection is lazy, so the API starts (and answers 503) while
 * Temporal is down; every call has a deadline, so a request never hangs on an unreachable server.
 */
@Injectable()
export class TemporalClientService implements OnApplicationShutdown {
  readonly connection: Connection;
  readonly client: Client;
  /** Encrypts every payload this process sends to Temporal (client and worker alike). */
  readonly codec: EncryptionCodec;
  /** Calls between their start and their final status, retries included. */
  private inFlight = 0;
  private readonly countCalls: Interceptor = (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start: (metadata, listener, next) => {
        this.inFlight++;
        let done = false;
        next(metadata, {
          onReceiveStatus: (status, nextStatus) => {
            if (!done) {
              done = true;
              this.inFlight--;
            }
            nextStatus(status);
          },
        });
      },
    });
  /** A client on the worker's own connection, in a worker process: starts through it can be eager. */
  private eagerClient?: Client;

  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    @Inject(TEMPORAL_ADDRESS) address: string,
  ) {
    this.connection = Connection.lazy({
      ...temporalConnectionOptions(config.temporal, address),
      connectTimeout: START_DEADLINE_MS,
      // Outermost: counts a call until its final status, retries included (see onApplicationShutdown).
      interceptors: [this.countCalls, makeGrpcRetryInterceptor(defaultGrpcRetryOptions())],
    });
    const keys = installationKeys(config);
    this.codec = new EncryptionCodec(keys.current, keys.previous);
    this.client = new Client({ connection: this.connection, namespace: config.temporal.namespace, dataConverter: this.dataConverter });
  }

  get dataConverter() {
    return { payloadCodecs: [this.codec] };
  }

  get taskQueue(): string {
    return this.config.temporal.taskQueue;
  }

  /**
   * Starts a workflow whose id is a business key. "Already started" (running or closed within
   * retention) counts as success: the caller's intent is already durable.
   * Returns true when this call started it.
   */
  async startIdempotent(workflowType: string, options: WorkflowStartOptions, eager = false): Promise<boolean> {
    try {
      const client = eager && this.eagerClient ? this.eagerClient : undefined;
      if (client) await withTimeout(client.workflow.start(workflowType, { ...options, requestEagerStart: true }), START_DEADLINE_MS);
      else await this.connection.withDeadline(Date.now() + START_DEADLINE_MS, () => this.client.workflow.start(workflowType, options));
      return true;
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return false;
      throw temporalFailure(err, this.config.retryAfterSeconds);
    }
  }

  /** Runs a Temporal call with the API's deadline, so nothing hangs on an unreachable server. */
  withDeadline<T>(fn: () => Promise<T>, ms = START_DEADLINE_MS): Promise<T> {
    return this.connection.withDeadline(Date.now() + ms, fn);
  }

  /**
   * Called by the worker host with its connection: workflows started through it on the worker's
   * task queue can be handed straight to this worker (eager start), saving the server a matching
   * round trip for the first workflow task.
   */
  useWorkerConnection(connection: ConnectionLike): void {
    this.eagerClient = new Client({ connection, namespace: this.config.temporal.namespace, dataConverter: this.dataConverter });
  }

  async isReachable(): Promise<boolean> {
    try {
      await this.connection.withDeadline(Date.now() + 2_000, () =>
        this.connection.workflowService.describeNamespace({ namespace: this.config.temporal.namespace }),
      );
      return true;
    } catch {
      return false;
    }
  }

  /** Link to a workflow in the Temporal Web UI, when its address is known. */
  uiLink(workflowId: string): string | null {
    const base = this.config.temporal.uiUrl;
    if (!base) return null;
    return `${base.replace(/\/$/, '')}/namespaces/${encodeURIComponent(this.config.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  }

  /**
   * Closes the connection once no call is in flight (each has a deadline of a few seconds): the
   * SDK's retry interceptor would otherwise fire a pending retry on the closed channel, which
   * throws where nobody can catch it.
   */
  async onApplicationShutdown(): Promise<void> {
    const until = Date.now() + START_DEADLINE_MS + 2_000;
    while (this.inFlight > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    await this.connection.close().catch(() => undefined);
  }
}
