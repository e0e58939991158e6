import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Logger as PinoLogger } from 'pino';
import * as path from 'node:path';
import { createRootLogger } from '../common/logging';
import { ConfigError, HeraldConfig } from '../config/herald-config';
import { startEmbeddedPostgres } from '../database/embedded-postgres';
import { runMigrations } from '../database/migrate';
import { startEmbeddedTemporal } from '../temporal/embedded-temporal';
import { installTemporalRuntime, WorkerHostService } from '../temporal/worker-host.service';
import { WorkspacesService } from '../workspaces/workspaces.service';
import { UnsubscribeMailboxService } from '../preferences/unsubscribe-mailbox.service';
import { createHerald } from './http-app';
import { installationKeys } from '../common/crypto/installation-keys';
import { codecEndpointToken } from '../temporal/codec/encryption-codec';

/** Where the Temporal UI decodes Herald's payloads (the path carries a secret: never log it). */
export function codecEndpointUrl(config: HeraldConfig): string {
  return `${config.delivery.publicUrl}/codec/${codecEndpointToken(installationKeys(config).current)}`;
}

export type HeraldMode = 'start' | 'api' | 'worker';

export interface RunningHerald {
  app: NestExpressApplication;
  databaseUrl: string;
  temporalAddress: string;
  temporalUiUrl?: string;
  apiUrl?: string;
  /** The unsubscribe mailbox's SMTP port, when UNSUBSCRIBE_MAILBOX is set (start/api). */
  mailboxPort?: number;
  /** The default workspace's first key, only on the start that created it. */
  createdKey?: string;
  stop(): Promise<void>;
}

/**
 * Brings Herald up: embedded Postgres and Temporal when no external ones are configured,
 * migrations, the API (start/api) and the worker (start/worker). `stop()` takes it all down
 * in reverse order.
 */
export async function runHerald(mode: HeraldMode, config: HeraldConfig, logger: PinoLogger = createRootLogger(config.logLevel)): Promise<RunningHerald> {
  // API and worker processes must agree on it, and it must not live in the database it protects.
  if (mode !== 'start' && !config.sealing.key) {
    throw new ConfigError(['HERALD_SEALING_KEY is required for `herald api` and `herald worker` (32+ characters, the same in every process; e.g. `openssl rand -base64 32`); `herald start` keeps one in its data dir']);
  }
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((err) => logger.error({ err }, 'error while stopping'));
  };
  try {
    installTemporalRuntime(logger, config.logLevel);

    let databaseUrl = config.database.url;
    if (!databaseUrl) {
      if (mode !== 'start') throw new Error(`herald ${mode} needs DATABASE_URL (or use \`herald start\` for the embedded setup)`);
      const pgLog = logger.child({ component: 'postgres' });
      const pg = await startEmbeddedPostgres({
        dataDir: path.join(config.dataDir, 'postgres'),
        port: config.database.embeddedPort,
        log: (line) => pgLog.debug(line),
      });
      stops.push(() => pg.stop());
      databaseUrl = pg.url;
    }

    let temporalAddress = config.temporal.address;
    let temporalUiUrl = config.temporal.uiUrl;
    if (!temporalAddress) {
      if (mode !== 'start') throw new Error(`herald ${mode} needs TEMPORAL_ADDRESS (or use \`herald start\` for the embedded setup)`);
      const tLog = logger.child({ component: 'temporal-server' });
      const temporal = await startEmbeddedTemporal({
        dbFile: path.join(config.dataDir, 'temporal.db'),
        port: config.temporal.embeddedPort,
        uiPort: config.temporal.embeddedUiPort,
        uiCodecEndpoint: codecEndpointUrl(config),
        namespace: config.temporal.namespace,
        binPath: config.temporal.binPath,
        log: (line) => tLog.debug(line),
      });
      stops.push(() => temporal.stop());
      temporalAddress = temporal.address;
      temporalUiUrl = temporal.uiUrl;
    }

    const dbSettings = { url: databaseUrl, poolSize: config.database.poolSize, ssl: config.database.ssl };
    const applied = await runMigrations(dbSettings);
    if (applied.length) logger.info({ migrations: applied }, 'applied migrations');

    const app = await createHerald({ config: { ...config, temporal: { ...config.temporal, uiUrl: temporalUiUrl } }, temporalAddress, databaseUrl, logger });
    stops.push(() => app.close());
    await app.init();

    let createdKey: string | undefined;
    if (mode !== 'worker') createdKey = (await app.get(WorkspacesService).ensureDefaultWorkspace(config.initialApiKey))?.key;

    if (mode !== 'api') await app.get(WorkerHostService).start();

    let apiUrl: string | undefined;
    let mailboxPort: number | undefined;
    if (mode !== 'worker') {
      await app.listen(config.port, config.host);
      const port = (app.getHttpServer().address() as { port: number }).port;
      apiUrl = `http://localhost:${port}`;
      // Closed with the app (before the database pool): see UnsubscribeMailboxService.onModuleDestroy.
      mailboxPort = (await app.get(UnsubscribeMailboxService).start()) ?? undefined;
    }
    return { app, databaseUrl, temporalAddress, temporalUiUrl, apiUrl, mailboxPort, createdKey, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
