import { QueryFailedError } from 'typeorm';

const PG_UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN',
  '57P01', '57P02', '57P03', // admin/crash shutdown, cannot connect now
  '53300', // too many connections
  '08000', '08001', '08003', '08004', '08006', // connection exceptions
]);
const PG_UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Connection is not established',
  'connect ECONNREFUSED',
];

/** True when an error means "Postgres cannot be reached now", as opposed to a bad query. */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: string; message?: string; driverError?: unknown };
  if (err instanceof QueryFailedError && e.driverError) return isDatabaseUnavailable(e.driverError);
  if (e.code && PG_UNAVAILABLE_CODES.has(e.code)) return true;
  const message = e.message ?? '';
  return PG_UNAVAILABLE_MESSAGES.some((m) => message.includes(m));
}

/** Postgres codes that mean the input itself cannot be stored (e.g. \u0000 in jsonb). */
export function isUnstorableInput(err: unknown): string | undefined {
  const e = (err instanceof QueryFailedError ? (err as { driverError?: unknown }).driverError : err) as
    | { code?: string; message?: string; detail?: string }
    | undefined;
  if (!e?.code) return undefined;
  if (e.code === '22P05' || e.code === '22021') return 'contains a character Postgres cannot store (such as \\u0000)';
  // JSON with a lone UTF-16 surrogate escape (e.g. "\udc00") is valid JSON but not storable text.
  if (e.code === '22P02' && /unicode|surrogate/i.test(`${e.message ?? ''} ${e.detail ?? ''}`)) return 'contains an invalid Unicode escape (a lone surrogate such as \\udc00)';
  if (e.code === '54000' || e.code === '54001') return 'is too large or too deeply nested to store';
  if (e.code === '22001') return 'has a value longer than allowed';
  return undefined;
}
