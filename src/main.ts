#!/usr/bin/env node
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { codecEndpointUrl, runHerald, HeraldMode } from './bootstrap/runtime';
import { createRootLogger } from './common/logging';
import { ConfigError, loadConfig } from './config/herald-config';
import { withDatabase } from './bootstrap/cli-database';
import { CliError, keysCommand, KEYS_USAGE } from './bootstrap/cli-keys';

// Herald computes in UTC; delivery windows are evaluated in recipients' zones by luxon and need a
// host clock with no daylight saving of its own (src/common/time/delivery-window.ts).
process.env.TZ = 'UTC';

const USAGE = `Usage: herald <command>

  start                        everything on one machine (embedded Postgres and Temporal unless configured)
  api                          the HTTP API only (needs DATABASE_URL and TEMPORAL_ADDRESS)
  worker                       the Temporal worker only (needs DATABASE_URL and TEMPORAL_ADDRESS)
  migrate                      apply database migrations
  workspaces create <id> [--name <name>]
  codec-endpoint               the Temporal UI's remote codec endpoint (it holds a secret: configure, do not share)
  keys create [--name <name>] [--expires-in "7 days"]   a new API key (printed once) for the workspace of
                               HERALD_API_KEY/--key, through the running Herald at HERALD_URL
  keys create --workspace <id> [--name <name>]    the same, written to the database directly
  keys list                    the workspace's keys: status, masked key, created, expires, last used
  keys revoke <id>             revoke a key (never the last active one)
  keys expire <id> --expires-in "1 day"           let a key lapse later (rotation with an overlap)

Settings come from the environment; see .env.example.`;

export async function runCli(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      workspace: { type: 'string' },
      name: { type: 'string' },
      key: { type: 'string' },
      url: { type: 'string' },
      'expires-in': { type: 'string' },
      'expires-at': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, sub, arg] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return;
  }
  const config = loadConfig();
  switch (command) {
    case 'start':
    case 'api':
    case 'worker':
      return serve(command, config);
    case 'migrate':
      await withDatabase(config, async () => undefined);
      console.log('migrations applied');
      return;
    case 'workspaces':
      if (sub !== 'create' || !arg) throw new UsageError('usage: herald workspaces create <id> [--name <name>]');
      await withDatabase(config, async (ws) => {
        await ws.createWorkspace(arg, values.name ?? arg);
        const key = await ws.createKey(arg, values.name ?? 'first key');
        console.log(`workspace ${arg} created; API key (shown once): ${key.key}`);
      });
      return;
    case 'codec-endpoint':
      console.log(codecEndpointUrl(config));
      return;
    case 'keys':
      if (!['create', 'list', 'revoke', 'expire'].includes(sub ?? '')) throw new UsageError(KEYS_USAGE);
      return keysCommand(sub, arg, values, config);
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
  }
}

async function serve(mode: HeraldMode, config: ReturnType<typeof loadConfig>): Promise<void> {
  const logger = createRootLogger(config.logLevel, config.logFormat);
  const startedAt = Date.now();
  const herald = await runHerald(mode, config, logger);
  const lines = [`Herald (${mode}) is up in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`];
  if (herald.apiUrl) {
    lines.push(`  API:         ${herald.apiUrl}`, `  Studio:      ${herald.apiUrl}/studio`, `  OpenAPI:     ${herald.apiUrl}/docs`, `  Inbound:     ${herald.apiUrl}/inbound/rudderstack`);
  }
  if (herald.mailboxPort !== undefined && config.unsubscribeMailbox) {
    lines.push(`  Unsubscribe: mail to ${config.unsubscribeMailbox.address} on SMTP ${config.unsubscribeMailbox.host}:${herald.mailboxPort}`);
  }
  lines.push(`  Temporal:    ${herald.temporalAddress}${herald.temporalUiUrl ? `   UI: ${herald.temporalUiUrl}` : ''}`);
  if (!config.database.url) lines.push(`  Postgres:    embedded, data in ${config.dataDir}`);
  if (mode !== 'api') {
    const smtp = config.delivery.smtpUrl ? new URL(config.delivery.smtpUrl) : null;
    lines.push(smtp ? `  Email:       SMTP ${smtp.hostname}:${smtp.port || 'default port'}` : '  Email:       no SMTP_URL set: emails are printed to the log, not sent');
  }
  if (herald.createdKey) {
    lines.push('', `  API key for workspace "default" (shown once, store it now): ${herald.createdKey}`);
  }
  console.log(lines.join('\n'));

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      console.error(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    console.log(`${signal}: stopping Herald…`);
    herald
      .stop()
      .then(() => {
        console.log('Herald stopped');
        process.exit(0);
      })
      .catch((err) => {
        console.error(err);
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

class UsageError extends Error {}

if (require.main === module) {
  runCli(process.argv.slice(2)).catch((err) => {
    if (err instanceof ConfigError || err instanceof UsageError || err instanceof CliError) console.error(err.message);
    else console.error(err instanceof Error ? err.stack ?? err.message : err);
    process.exit(err instanceof UsageError ? 2 : 1);
  });
}
