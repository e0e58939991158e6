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

export function createRootLogger(level: string): PinoLogger {
  return pino({ level, base: { service: 'herald' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } });
}
