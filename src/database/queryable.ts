import type { EntityManager } from 'typeorm';

/** Anything that runs SQL: a DataSource, or a transaction's EntityManager (so a method can join the caller's transaction). */
export type Queryable = Pick<EntityManager, 'query'>;
