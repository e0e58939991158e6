import 'reflect-metadata';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createHerald } from '../../src/bootstrap/http-app';
import { loadConfig, HeraldConfig } from '../../src/config/herald-config';
import { TemporalClientService } from '../../src/temporal/temporal-client.service';
import { installTemporalRuntime, WorkerHostService } from '../../src/temporal/worker-host.service';
import { WorkspacesService } from '../../src/workspaces/workspaces.service';
import { readTestServers } from '../setup/test-env';
import { checkResponses } from './contract-check';
import type { OpenApiContract } from './openapi-contract';

export interface TestHeraldOptions {
  /** Run the worker in the same app (default true). */
  worker?: boolean;
  /** Override the Temporal address (e.g. a dead port to exercise 503s). */
  temporalAddress?: string;
  databaseUrl?: string;
  taskQueue?: string;
  env?: Record<string, string>;
}

export interface TestHerald {
  app: NestExpressApplication;
  config: HeraldConfig;
  /** Requests whose responses must match the OpenAPI document (test/support/contract-check.ts). */
  http: ReturnType<typeof request>;
  /** Unchecked requests, for tests that deliberately get answers the document does not describe. */
  rawHttp: ReturnType<typeof request>;
  /** The live OpenAPI document, with the checker every response goes through. */
  contract: OpenApiContract;
  db: DataSource;
  temporal: TemporalClientService;
  /** A fresh workspace with its own key, so tests never see each other's data. */
  newWorkspace(): Promise<{ id: string; key: string; auth: { Authorization: string } }>;
  stop(): Promise<void>;
}

const silent = pino({ level: process.env.HERALD_TEST_LOG_LEVEL ?? 'silent' });

/**
 * Herald as production wires it (createHerald + WorkerHostService) against the run's real
 * Postgres and Temporal, on its own task queue.
 */
export async function startTestHerald(options: TestHeraldOptions = {}): Promise<TestHerald> {
  const servers = readTestServers();
  const taskQueue = options.taskQueue ?? `test-${randomUUID()}`;
  const config = loadConfig({
    DATABASE_URL: options.databaseUrl ?? servers.databaseUrl,
    TEMPORAL_ADDRESS: options.temporalAddress ?? servers.temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    TEMPORAL_UI_URL: 'http://localhost:8233',
    DATABASE_POOL_SIZE: '10',
    RETRY_AFTER_SECONDS: '3',
    // Set by global setup, so spawned worker and API processes seal with the same key.
    HERALD_SEALING_KEY: process.env.HERALD_SEALING_KEY,
    ...options.env,
  });
  installTemporalRuntime(silent, 'silent');
  const app = await createHerald({
    config,
    temporalAddress: config.temporal.address!,
    databaseUrl: config.database.url!,
    workflowBundlePath: servers.workflowBundlePath,
    logger: silent,
  });
  await app.init();
  if (options.worker ?? true) await app.get(WorkerHostService).start();
  const server = app.getHttpServer();
  const workspaces = app.get(WorkspacesService);
  const contract = await checkResponses(server);
  return {
    app,
    config,
    http: contract.http,
    rawHttp: contract.rawHttp,
    contract: contract.contract,
    db: app.get(DataSource),
    temporal: app.get(TemporalClientService),
    async newWorkspace() {
      const id = `ws-${randomUUID().slice(0, 12)}`;
      await workspaces.createWorkspace(id);
      const { key } = await workspaces.createKey(id, 'test');
      return { id, key, auth: { Authorization: `Bearer ${key}` } };
    },
    async stop() {
      // Each test Herald has its own task queue: its maintenance schedule goes with it.
      if (options.worker ?? true) await app.get(WorkerHostService).removeMaintenanceSchedule().catch(() => undefined);
      await app.close();
    },
  };
}
