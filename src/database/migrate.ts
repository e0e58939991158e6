import { DataSource } from 'typeorm';
import { DatabaseConnectionSettings, dataSourceOptions } from './data-source-options';

// Any constant works; it only has to be the same for every Herald process.
const MIGRATION_LOCK_KEY = 4_812_377_001;

/**
 * Runs pending migrations under a Postgres advisory lock, so several `herald api` /
 * `herald worker` processes starting together apply each migration once.
 */
export async function runMigrations(db: DatabaseConnectionSettings): Promise<string[]> {
  const ds = new DataSource({ ...dataSourceOptions({ ...db, poolSize: 2 }), migrationsTransactionMode: 'each' });
  await ds.initialize();
  const lock = ds.createQueryRunner();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await ds.runMigrations();
    return applied.map((m) => m.name);
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.release();
    await ds.destroy();
  }
}
