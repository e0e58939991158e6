import pino, { Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';

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

/**
 * The process's logger: JSON lines (for collectors) unless `format` asks for readable lines, or
 * is `auto` and stdout is a terminal (`npm start` by hand: the banner with the addresses must not
 * drown in JSON). pino-pretty runs in-process and synchronously, so nothing is lost on exit.
 */
export function createRootLogger(level: string, format: 'auto' | 'json' | 'pretty' = 'json'): PinoLogger {
  const options = { level, base: { service: 'herald' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  const readable = format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true);
  if (!readable) return pino(options);
  return pino(options, pretty({ colorize: process.stdout.isTTY === true, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' }));
}
