import { DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

export interface DatabaseConnectionSettings {
  url: string;
  poolSize: number;
  ssl: boolean;
}

/** TypeORM options for Herald's Postgres: committed migrations, never `synchronize`. */
export function dataSourceOptions(db: DatabaseConnectionSettings): DataSourceOptions {
  return {
    type: 'postgres',
    url: db.url,
    ssl: db.ssl ? { rejectUnauthorized: false } : undefined,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'herald_migrations',
    synchronize: false,
    uuidExtension: 'pgcrypto',
    logging: false,
    extra: {
      max: db.poolSize,
      // Fail fast when Postgres is unreachable so the API can answer 503 instead of hanging.
      connectionTimeoutMillis: 5_000,
    },
  };
}
