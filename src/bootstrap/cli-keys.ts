import type { HeraldConfig } from '../config/herald-config';
import { ApiKeyView, expiryFrom } from '../workspaces/api-key-view';
import type { NewKeyAnswer } from '../workspaces/workspaces.service';
import { withDatabase } from './cli-database';

/** A failure the CLI reports as one line, without a stack trace. */
export class CliError extends Error {}

export interface KeysCliValues {
  workspace?: string;
  name?: string;
  key?: string;
  url?: string;
  'expires-in'?: string;
  'expires-at'?: string;
  json?: boolean;
}

export const KEYS_USAGE = `usage:
  herald keys create [--name <name>] [--expires-in "7 days" | --expires-at <ISO time>]
  herald keys list
  herald keys revoke <id>
  herald keys expire <id> (--expires-in "1 day" | --expires-at <ISO time>)
  herald keys create --workspace <id> [--name <name>] [--expires-in …]   straight into the database

These talk to a running Herald at HERALD_URL (default http://127.0.0.1:$PORT) as the key in
HERALD_API_KEY or --key, acting on that key's workspace; --json prints the API's answer.
\`keys create\` with --workspace, or with no key and no HERALD_URL, writes to the database itself.`;

/**
 * `herald keys …`: manages the calling key's workspace's keys through the HTTP API (so it works
 * against any Herald it can reach). `create` can also write to the database directly, for a
 * first key or another workspace's (what `keys create` has always done).
 */
export async function keysCommand(sub: string | undefined, id: string | undefined, values: KeysCliValues, config: HeraldConfig): Promise<void> {
  const key = values.key || process.env.HERALD_API_KEY || undefined;
  const baseUrl = (values.url || process.env.HERALD_URL || `http://127.0.0.1:${config.port}`).replace(/\/+$/, '');
  const remote = !!(values.url || process.env.HERALD_URL);
  switch (sub) {
    case 'create':
      if (values.workspace !== undefined || (!key && !remote)) return createInDatabase(values, config);
      return print(values, await call(baseUrl, needKey(key, sub), 'POST', '/keys', createBody(values)), describeCreated);
    case 'list':
      return print(values, await call(baseUrl, needKey(key, sub), 'GET', '/keys'), (r: { items: ApiKeyView[] }) => table(r.items));
    case 'revoke':
      await call(baseUrl, needKey(key, sub), 'DELETE', `/keys/${encodeURIComponent(needId(id, sub))}`);
      if (values.json) console.log(JSON.stringify({ id, revoked: true }));
      else console.log(`API key ${id} revoked`);
      return;
    case 'expire': {
      const body = expiryBody(values);
      if (!Object.keys(body).length) throw new CliError(`herald keys expire needs --expires-in or --expires-at\n\n${KEYS_USAGE}`);
      return print(values, await call(baseUrl, needKey(key, sub), 'PATCH', `/keys/${encodeURIComponent(needId(id, sub))}`, body), (v: ApiKeyView) =>
        `API key ${v.id} (${v.key_hint}) now expires at ${v.expires_at}`,
      );
    }
    default:
      throw new CliError(KEYS_USAGE);
  }
}

function needKey(key: string | undefined, sub: string): string {
  if (!key) throw new CliError(`herald keys ${sub} talks to a running Herald: set HERALD_API_KEY or pass --key <an API key of the workspace>`);
  return key;
}

function needId(id: string | undefined, sub: string): string {
  if (!id) throw new CliError(`usage: herald keys ${sub} <id>   (ids are listed by herald keys list)`);
  return id;
}

function expiryBody(values: KeysCliValues): Record<string, string> {
  if (values['expires-in'] !== undefined && values['expires-at'] !== undefined) throw new CliError('give --expires-in or --expires-at, not both');
  if (values['expires-in'] !== undefined) return { expires_in: values['expires-in'] };
  if (values['expires-at'] !== undefined) return { expires_at: values['expires-at'] };
  return {};
}

function createBody(values: KeysCliValues): Record<string, string> {
  return { ...(values.name !== undefined ? { name: values.name } : {}), ...expiryBody(values) };
}

async function createInDatabase(values: KeysCliValues, config: HeraldConfig): Promise<void> {
  const workspace = values.workspace ?? 'default';
  let expiresAt: Date | null;
  try {
    expiresAt = expiryFrom(expiryBody(values)) ?? null;
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  await withDatabase(config, async (ws) => {
    const created = await ws.createKey(workspace, values.name ?? 'cli', undefined, expiresAt);
    if (values.json) console.log(JSON.stringify({ workspace, ...created.view, key: created.key }));
    else console.log(`API key for workspace ${workspace} (shown once): ${created.key}${expiresAt ? `\n  expires at ${expiresAt.toISOString()}` : ''}`);
  });
}

/** One request to Herald; a 4xx/5xx or an unreachable server becomes a CliError naming it (never the key). */
async function call(baseUrl: string, key: string, method: string, path: string, body?: unknown): Promise<any> {
  let res: Response;
  try {
    res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new CliError(`cannot reach Herald at ${baseUrl}: ${cause?.code ?? cause?.message ?? (err as Error).message} (is it running? set HERALD_URL to its address)`);
  }
  const text = await res.text();
  let parsed: any;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    const detail = parsed && typeof parsed.message === 'string' ? `${parsed.message}${parsed.type ? ` (${parsed.type})` : ''}` : text.slice(0, 300) || res.statusText;
    const hint = res.status === 401 ? '; check HERALD_API_KEY or --key' : '';
    throw new CliError(`${method} ${path} failed: ${res.status} ${detail}${hint}`);
  }
  return parsed;
}

function print<T>(values: KeysCliValues, answer: T, human: (answer: T) => string): void {
  console.log(values.json ? JSON.stringify(answer) : human(answer));
}

function describeCreated(k: NewKeyAnswer): string {
  return [
    `API key ${k.id} "${k.name}" (shown once): ${k.key}`,
    `  expires: ${k.expires_at ?? 'never'}`,
  ].join('\n');
}

function table(items: ApiKeyView[]): string {
  if (!items.length) return 'no API keys';
  const time = (t: string | null) => (t ? `${t.slice(0, 19)}Z` : '-');
  const rows = [
    ['ID', 'STATUS', 'KEY', 'NAME', 'CREATED', 'EXPIRES', 'LAST USED'],
    ...items.map((k) => [k.id, k.status, k.key_hint, k.name, time(k.created_at), time(k.expires_at), time(k.last_used_at)]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}
