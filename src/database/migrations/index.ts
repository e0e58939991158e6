import { Foundation1764400000000 } from './1764400000000-foundation';

/** Committed migrations, in order. */
export const MIGRATIONS: Function[] = [Foundation1764400000000];
