import pino, { Logger as PinoLogger } from 'pino';

/** Header and body fields that must never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.write_key',
  '*.password',
  '*.apiKey',
  '*.api_key',
];

/** Paths whose second segment is a credential (unsubscribe and preferences links, the codec endpoint's secret). */
const TOKEN_PATH = /^(\/(?:u|p|codec)\/)[^/?]+/;

/** A request URL for a log line: which route was hit, never the token in its path. */
export function withoutPathTokens(url: string): string {
  return url.replace(TOKEN_PATH, '$1[token]');
}

export function createRootLogger(level: string): PinoLogger {
  return pino({ level, base: { service: 'herald' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } });
}
