import * as path from 'node:path';
import { DataSource } from 'typeorm';
import type { HeraldConfig } from '../config/herald-config';
import { dataSourceOptions } from '../database/data-source-options';
import { startEmbeddedPostgres } from '../database/embedded-postgres';
import { runMigrations } from '../database/migrate';
import { WorkspacesService } from '../workspaces/workspaces.service';

/**
 * For one-shot CLI commands: uses DATABASE_URL, else the embedded Postgres (started for the
 * command if `herald start` is not running), with migrations applied.
 */
export async function withDatabase(config: HeraldConfig, fn: (workspaces: WorkspacesService) => Promise<void>): Promise<void> {
  let url = config.database.url;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!url) {
    const embeddedUrl = `postgres://herald:herald-embedded@127.0.0.1:${config.database.embeddedPort}/herald`;
    if (await canConnect(embeddedUrl)) url = embeddedUrl;
    else {
      const pg = await startEmbeddedPostgres({ dataDir: path.join(config.dataDir, 'postgres'), port: config.database.embeddedPort });
      url = pg.url;
      stopEmbedded = () => pg.stop();
    }
  }
  const settings = { url, poolSize: 2, ssl: config.database.ssl };
  try {
    await runMigrations(settings);
    const ds = new DataSource(dataSourceOptions(settings));
    await ds.initialize();
    try {
      await fn(new WorkspacesService(ds));
    } finally {
      await ds.destroy();
    }
  } finally {
    await stopEmbedded?.();
  }
}

async function canConnect(url: string): Promise<boolean> {
  const ds = new DataSource({ type: 'postgres', url, extra: { connectionTimeoutMillis: 2000 } });
  try {
    await ds.initialize();
    await ds.destroy();
    return true;
  } catch {
    return false;
  }
}
