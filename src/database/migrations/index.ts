import { Foundation1764400000000 } from './1764400000000-foundation';
import { Automations1764500000000 } from './1764500000000-automations';

/** Committed migrations, in order. */
export const MIGRATIONS: Function[] = [Foundation1764400000000, Automations1764500000000];
