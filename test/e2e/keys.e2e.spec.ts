import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { freePort } from '../support/ports';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';
import { AUTH_CACHE_TTL_MS } from '../../src/workspaces/workspaces.service';

/**
 * Several active API keys per workspace, each with an optional expiry, so a key is rotated with
 * an overlap (RudderStack drops an event answered 401 for good).
 */
let herald: TestHerald;
beforeAll(async () => {
  herald = await startTestHerald({ worker: false });
});
afterAll(() => herald?.stop());

type Auth = { Authorization: string };
const bearer = (key: string): Auth => ({ Authorization: `Bearer ${key}` });

async function createKey(auth: Auth, body: Record<string, unknown> = {}) {
  const res = await herald.http.post('/keys').set(auth).send(body);
  if (res.status !== 201) throw new Error(`POST /keys: ${res.status} ${res.text}`);
  return res.body as { id: string; name: string; key: string; key_hint: string; created_at: string; expires_at: string | null };
}

async function listKeys(auth: Auth) {
  const res = await herald.http.get('/keys').set(auth).expect(200);
  return { text: res.text, items: res.body.items as Array<Record<string, any>> };
}

/** An authenticated read any workspace may do: 200 with a good key. */
const statusWith = async (auth: Auth, app = herald) => (await app.http.get('/keys').set(auth)).status;

describe('API keys: several per workspace, with expiry and revocation', () => {
  it('creates a second key (shown once), both work, and the list masks every secret', async () => {
    const ws = await herald.newWorkspace();
    const second = await createKey(ws.auth, { name: 'rudderstack 2026' });
    expect(Object.keys(second).sort()).toEqual(['created_at', 'expires_at', 'id', 'key', 'key_hint', 'name']);
    expect(second).toMatchObject({ name: 'rudderstack 2026', expires_at: null, key_hint: `${second.key.slice(0, 7)}…` });
    expect(second.key).toMatch(/^hk_[A-Za-z0-9_-]{43}$/);
    expect(second.key).not.toBe(ws.key);

    expect(await statusWith(ws.auth)).toBe(200);
    expect(await statusWith(bearer(second.key))).toBe(200);

    const { text, items } = await listKeys(bearer(second.key));
    expect(text).not.toContain(ws.key);
    expect(text).not.toContain(second.key);
    expect(text).not.toContain(ws.key.slice(0, 12));
    expect(items).toHaveLength(2);
    expect(items[0]).toMatchObject({ id: second.id, name: 'rudderstack 2026', status: 'active', key_hint: second.key_hint, expires_at: null, revoked_at: null });
    expect(items[1]).toMatchObject({ name: 'test', status: 'active', key_hint: `${ws.key.slice(0, 7)}…`, revoked_at: null });
    for (const item of items) {
      expect(Object.keys(item).sort()).toEqual(['created_at', 'expires_at', 'id', 'key_hint', 'last_used_at', 'name', 'revoked_at', 'status']);
      expect(Number.isNaN(Date.parse(item.created_at))).toBe(false);
    }
  });

  it('records last_used_at, at most once a minute rather than on every request', async () => {
    const ws = await herald.newWorkspace();
    const lastUsed = async () => (await listKeys(ws.auth)).items[0].last_used_at as string | null;
    // The list request itself uses the key: its last_used_at is written in the background.
    const first = await waitUntil(lastUsed, { what: 'last_used_at to be set' });
    expect(Math.abs(Date.parse(first) - Date.now())).toBeLessThan(60_000);
    for (let i = 0; i < 5; i++) expect(await statusWith(ws.auth)).toBe(200);
    const [row] = await herald.db.query(`SELECT last_used_at FROM api_keys WHERE workspace_id = $1`, [ws.id]);
    expect((row.last_used_at as Date).toISOString()).toBe(first);
    expect(await lastUsed()).toBe(first);
  });

  it('revoking the old key refuses it within seconds in every process, while the new key keeps working', async () => {
    const ws = await herald.newWorkspace();
    const second = await createKey(ws.auth, { name: 'new' });
    const old = (await listKeys(ws.auth)).items.find((k) => k.id !== second.id)!;
    // Another API process, with its own key cache, has just seen the old key.
    const other = await startTestHerald({ worker: false });
    try {
      expect(await statusWith(ws.auth, other)).toBe(200);
      // The calling key revokes itself: allowed, since another active key exists.
      const revokedAt = Date.now();
      await herald.http.delete(`/keys/${old.id}`).set(ws.auth).expect(204);

      const refused = await herald.http.get('/keys').set(ws.auth);
      expect(refused.status).toBe(401);
      expect(refused.body).toEqual({ message: 'this API key was revoked', type: 'authentication_error' });
      await waitUntil(async () => (await statusWith(ws.auth, other)) === 401, { timeoutMs: AUTH_CACHE_TTL_MS + 10_000, what: 'the other process to refuse the revoked key' });
      expect(Date.now() - revokedAt).toBeLessThan(AUTH_CACHE_TTL_MS + 5_000);
      expect(await statusWith(bearer(second.key), other)).toBe(200);
    } finally {
      await other.stop();
    }
    expect(await statusWith(bearer(second.key))).toBe(200);
    const items = (await listKeys(bearer(second.key))).items;
    expect(items.find((k) => k.id === old.id)).toMatchObject({ status: 'revoked', revoked_at: expect.any(String) });
    expect(items.find((k) => k.id === second.id)).toMatchObject({ status: 'active' });
    // Revoking it again changes nothing.
    await herald.http.delete(`/keys/${old.id}`).set(bearer(second.key)).expect(204);
    expect(await statusWith(ws.auth)).toBe(401);
  });

  it('an expiring key works until its expiry, then answers 401', async () => {
    const ws = await herald.newWorkspace();
    const before = Date.now();
    const brief = await createKey(ws.auth, { name: 'brief', expires_in: '2 seconds' });
    const expiresAt = Date.parse(brief.expires_at!);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 2_000);
    expect(expiresAt).toBeLessThan(Date.now() + 2_000 + 1_000);
    expect(await statusWith(bearer(brief.key))).toBe(200);

    await waitUntil(async () => (await statusWith(bearer(brief.key))) === 401, { timeoutMs: 10_000, what: 'the key to expire' });
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    const refused = await herald.http.get('/keys').set(bearer(brief.key));
    expect(refused.body).toEqual({ message: `this API key expired at ${brief.expires_at}`, type: 'authentication_error' });
    expect((await listKeys(ws.auth)).items.find((k) => k.id === brief.id)).toMatchObject({ status: 'expired', expires_at: brief.expires_at });

    // expires_at: kept as given.
    const at = new Date(Date.now() + 3_600_000).toISOString();
    expect((await createKey(ws.auth, { expires_at: at })).expires_at).toBe(at);
  });

  it('PATCH gives the old key an expiry (rotation with an overlap); it lapses then, the new key stays', async () => {
    const ws = await herald.newWorkspace();
    const oldId = (await listKeys(ws.auth)).items[0].id;
    // Alone, the old key may not be given an expiry: the workspace would lock itself out.
    const alone = await herald.http.patch(`/keys/${oldId}`).set(ws.auth).send({ expires_in: '1 hour' });
    expect(alone.status).toBe(409);
    expect(alone.body.message).toMatch(/last active API key/);

    const fresh = await createKey(ws.auth, { name: 'new' });
    const patched = await herald.http.patch(`/keys/${oldId}`).set(bearer(fresh.key)).send({ expires_in: '2 seconds', name: 'old' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: oldId, name: 'old', status: 'active', expires_at: expect.any(String) });
    expect(patched.text).not.toContain(ws.key);
    await waitUntil(async () => (await statusWith(ws.auth)) === 401, { timeoutMs: 10_000, what: 'the old key to lapse' });
    expect(await statusWith(bearer(fresh.key))).toBe(200);
    // An expired key cannot be revived.
    expect((await herald.http.patch(`/keys/${oldId}`).set(bearer(fresh.key)).send({ expires_at: null })).status).toBe(409);

    // expires_at: null removes an expiry.
    const third = await createKey(bearer(fresh.key), { expires_in: '1 hour' });
    const cleared = await herald.http.patch(`/keys/${third.id}`).set(bearer(fresh.key)).send({ expires_at: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body.expires_at).toBeNull();
  });

  it("revoking the workspace's last active key is a 409 naming the problem (expired keys do not count)", async () => {
    const ws = await herald.newWorkspace();
    const only = (await listKeys(ws.auth)).items[0].id;
    const res = await herald.http.delete(`/keys/${only}`).set(ws.auth);
    expect(res.status).toBe(409);
    expect(res.body.type).toBe('conflict_error');
    expect(res.body.message).toMatch(/last active API key.*create another/);

    const brief = await createKey(ws.auth, { expires_in: '1 second' });
    await waitUntil(async () => (await statusWith(bearer(brief.key))) === 401, { timeoutMs: 10_000, what: 'the brief key to expire' });
    expect((await herald.http.delete(`/keys/${only}`).set(ws.auth)).status).toBe(409);
    // An expired key may be revoked (it is not active).
    await herald.http.delete(`/keys/${brief.id}`).set(ws.auth).expect(204);
    expect(await statusWith(ws.auth)).toBe(200);
  });

  it("another workspace's key id is a 404, and so is an unknown or malformed id (never a 500)", async () => {
    const A = await herald.newWorkspace();
    const B = await herald.newWorkspace();
    await createKey(A.auth); // so that A's key would not be refused as its last one
    const aKeyId = (await listKeys(A.auth)).items[0].id;
    for (const [method, body] of [['delete', undefined], ['patch', { expires_in: '1 hour' }]] as const) {
      const res = await (herald.http as any)[method](`/keys/${aKeyId}`).set(B.auth).send(body);
      expect(res.status).toBe(404);
      expect(res.body.type).toBe('not_found_error');
      expect(res.text).not.toContain(A.id);
    }
    expect((await listKeys(A.auth)).items.every((k) => k.status === 'active' && k.expires_at === null)).toBe(true);
    expect(await statusWith(A.auth)).toBe(200);
    expect((await listKeys(B.auth)).items.map((k) => k.id)).not.toContain(aKeyId);

    for (const id of [randomUUID(), 'nope', 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz', `${aKeyId}x`, "1' OR '1'='1", '%E2%80%A6']) {
      const res = await herald.http.delete(`/keys/${encodeURIComponent(id)}`).set(B.auth);
      expect([400, 404]).toContain(res.status);
      expect(typeof res.body.message).toBe('string');
    }
  });

  it.each([
    [{ name: 5 }, /^name must be a string/],
    [{ name: 'x'.repeat(101) }, /^name must be at most 100 characters/],
    [{ expires_in: 'soon' }, /^expires_in: invalid duration "soon"/],
    [{ expires_in: 5 }, /^expires_in must be a duration string/],
    [{ expires_in: '-1 day' }, /^expires_in: invalid duration/],
    [{ expires_in: '1000000 years' }, /^expires_in is too long/],
    [{ expires_at: 'tomorrow' }, /^expires_at: invalid timestamp "tomorrow"/],
    [{ expires_at: '2001-01-01T00:00:00Z' }, /^expires_at must be in the future/],
    [{ expires_at: 1893456000000 }, /^expires_at must be an ISO-8601 timestamp string/],
    [{ expires_at: '2030-02-30T00:00:00Z' }, /^expires_at: invalid timestamp/],
    [{ expires_at: '2030-01-01T00:00:00Z', expires_in: '1 day' }, /expires_at or expires_in, not both/],
  ])('POST /keys %j → 400 naming the field', async (body, message) => {
    const ws = await herald.newWorkspace();
    const res = await herald.http.post('/keys').set(ws.auth).send(body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ message: expect.stringMatching(message), type: 'invalid_request_error' });
    expect((await listKeys(ws.auth)).items).toHaveLength(1);
  });

  it('POST /keys with no body, or a body that is not an object, never answers 500', async () => {
    const ws = await herald.newWorkspace();
    const empty = await herald.http.post('/keys').set(ws.auth);
    expect(empty.status).toBe(201);
    expect(empty.body).toMatchObject({ name: 'API key', expires_at: null });
    for (const raw of ['null', '[]', '"x"', '42', '[{"name":"x"}]']) {
      const res = await herald.http.post('/keys').set(ws.auth).set('Content-Type', 'application/json').send(raw);
      expect([201, 400]).toContain(res.status);
    }
  });
});

describe('herald keys create / list / revoke against a running Herald', () => {
  const CLI = path.resolve(__dirname, '../../bin/herald.js');
  let url: string;

  beforeAll(async () => {
    await herald.app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(herald.app.getHttpServer().address() as AddressInfo).port}`;
  });

  /** Runs the CLI (asynchronously: this process serves the API it calls). */
  function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, [CLI, ...args], { env: { ...process.env, HERALD_API_KEY: '', HERALD_URL: '', ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
      });
    });
  }

  it('creates, lists and revokes keys, and prints clear errors', async () => {
    const ws = await herald.newWorkspace();
    const env = { HERALD_URL: url, HERALD_API_KEY: ws.key };

    const created = await cli(['keys', 'create', '--name', 'cli key', '--expires-in', '1 day'], env);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const [, newId, newKey] = /^API key (\S+) "cli key" \(shown once\): (hk_\S+)/m.exec(created.stdout)!;
    expect(created.stdout).toMatch(/expires: \d{4}-\d\d-\d\dT/);
    expect(await statusWith(bearer(newKey))).toBe(200);

    const listed = await cli(['keys', 'list'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^ID\s+STATUS\s+KEY\s+NAME\s+CREATED\s+EXPIRES\s+LAST USED/);
    expect(listed.stdout).toContain(newId);
    expect(listed.stdout).toContain(`${newKey.slice(0, 7)}…`);
    expect(listed.stdout).not.toContain(newKey);
    expect(listed.stdout).not.toContain(ws.key);
    const json = JSON.parse((await cli(['keys', 'list', '--json'], env)).stdout);
    const oldId = json.items.find((k: any) => k.id !== newId).id;

    // The new key (given with --key) revokes the old one.
    const revoked = await cli(['keys', 'revoke', oldId, '--key', newKey], { HERALD_URL: url });
    expect(revoked).toMatchObject({ code: 0, stdout: `API key ${oldId} revoked\n` });
    expect(await statusWith(ws.auth)).toBe(401);

    const last = await cli(['keys', 'revoke', newId, '--key', newKey], { HERALD_URL: url });
    expect(last.code).toBe(1);
    expect(last.stderr).toMatch(/409 cannot revoke the workspace's last active API key/);

    const wrong = await cli(['keys', 'list'], env); // the old, revoked key
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/401 this API key was revoked.*check HERALD_API_KEY/);
    expect(wrong.stderr + wrong.stdout).not.toContain(ws.key);

    const unknown = await cli(['keys', 'revoke', randomUUID(), '--key', newKey], { HERALD_URL: url });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/404 no API key with id/);

    const bad = await cli(['keys', 'create', '--expires-in', 'whenever', '--key', newKey], { HERALD_URL: url });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/400 expires_in: invalid duration "whenever"/);

    const expire = await cli(['keys', 'expire', newId, '--expires-in', '2 days', '--key', newKey], { HERALD_URL: url });
    expect(expire.code).toBe(1); // the last active key may not be given an expiry either
    expect(expire.stderr).toMatch(/409/);

    const noKey = await cli(['keys', 'list'], { HERALD_URL: url });
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/set HERALD_API_KEY or pass --key/);

    const down = await cli(['keys', 'list', '--key', newKey], { HERALD_URL: `http://127.0.0.1:${await freePort()}` });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach Herald at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
    expect(down.stderr).not.toContain(newKey);
  }, 120_000);
});
