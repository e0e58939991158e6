import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runHerald } from '../../src/bootstrap/runtime';
import { keyId } from '../../src/common/crypto/secret-box';
import { ConfigError, loadConfig } from '../../src/config/herald-config';
import { IntegrationsService } from '../../src/integrations/integrations.service';
import { readTestServers } from '../setup/test-env';
import { startTestHerald, TestHerald } from '../support/test-herald';

/**
 * Issue 12, item 5: the key that seals the RudderStack write key lives outside Postgres
 * (HERALD_SEALING_KEY, or a 0600 key file in `herald start`'s data dir), names itself in each
 * sealed value so keys rotate, and still opens what the old in-database key sealed.
 */
const K1 = `k1-${randomBytes(24).toString('base64url')}`;
const K2 = `k2-${randomBytes(24).toString('base64url')}`;
const heralds: TestHerald[] = [];
const start = async (env: Record<string, string>) => {
  const h = await startTestHerald({ worker: false, env });
  heralds.push(h);
  return h;
};

afterAll(async () => {
  for (const h of heralds) await h.stop();
});

const sealedOf = async (h: TestHerald, ws: string) =>
  ((await h.db.query(`SELECT write_key_encrypted AS v FROM rudderstack_integrations WHERE workspace_id = $1`, [ws])) as Array<{ v: string }>)[0].v;

it('seals under HERALD_SEALING_KEY, which is nowhere in the database; rotation opens with the previous key and seals again under the new one', async () => {
  const one = await start({ HERALD_SEALING_KEY: K1 });
  const ws = await one.newWorkspace();
  await one.http.put('/integrations/rudderstack').set(ws.auth).send({ write_key: 'wk_sealed_secret_123', data_plane_url: 'https://dp.example.com' }).expect(200);
  const sealed = await sealedOf(one, ws.id);
  expect(sealed.startsWith(`v2.${keyId(K1)}.`)).toBe(true);
  // Neither the write key nor the key that seals it is in any table Herald writes.
  const dump = JSON.stringify(await one.db.query(`SELECT * FROM workspace_secrets`)) + JSON.stringify(await one.db.query(`SELECT * FROM rudderstack_integrations`));
  expect(dump).not.toContain('wk_sealed_secret_123');
  expect(dump).not.toContain(K1);

  // Rotation: the new key with the old one as previous opens it, and seals it again under the new key.
  const two = await start({ HERALD_SEALING_KEY: K2, HERALD_SEALING_KEYS_PREVIOUS: K1 });
  expect((await two.app.get(IntegrationsService).credentials(ws.id))?.writeKey).toBe('wk_sealed_secret_123');
  expect((await sealedOf(two, ws.id)).startsWith(`v2.${keyId(K2)}.`)).toBe(true);
  // A process without the key that sealed it says which key is missing (never the value).
  const stranger = await start({ HERALD_SEALING_KEY: `k3-${randomBytes(24).toString('base64url')}` });
  await expect(stranger.app.get(IntegrationsService).credentials(ws.id)).rejects.toThrow(new RegExp(`sealed with key ${keyId(K2)}, which is not configured`));
});

it('still opens a write key sealed by the old in-database installation key, and moves it to the sealing key', async () => {
  const h = await start({ HERALD_SEALING_KEY: K1 });
  const ws = await h.newWorkspace();
  await h.http.put('/integrations/rudderstack').set(ws.auth).send({ write_key: 'placeholder', data_plane_url: 'https://dp.example.com' }).expect(200);
  // The v1 format, under the tracking secret kept in Postgres (how 0.1 sealed it).
  await h.db.query(`INSERT INTO workspace_secrets (workspace_id, kind, secret) VALUES ('_herald', 'tracking', $1) ON CONFLICT DO NOTHING`, [`whsec_${randomBytes(32).toString('base64url')}`]);
  const [{ secret }] = (await h.db.query(`SELECT secret FROM workspace_secrets WHERE workspace_id = '_herald' AND kind = 'tracking'`)) as Array<{ secret: string }>;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', createHash('sha256').update(`herald-secret-box\u0000${secret}`).digest(), iv);
  const body = Buffer.concat([cipher.update('wk_from_v01', 'utf8'), cipher.final()]);
  const v1 = ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  await h.db.query(`UPDATE rudderstack_integrations SET write_key_encrypted = $2 WHERE workspace_id = $1`, [ws.id, v1]);

  expect((await h.app.get(IntegrationsService).credentials(ws.id))?.writeKey).toBe('wk_from_v01');
  expect((await sealedOf(h, ws.id)).startsWith(`v2.${keyId(K1)}.`)).toBe(true);
});

it('`herald start` without HERALD_SEALING_KEY keeps a 0600 key file in its data dir; `herald api` and `worker` refuse to start without one', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-sealing-'));
  try {
    const h = await start({ HERALD_SEALING_KEY: '', HERALD_DATA_DIR: dataDir });
    const ws = await h.newWorkspace();
    await h.http.put('/integrations/rudderstack').set(ws.auth).send({ write_key: 'wk_file_key', data_plane_url: 'https://dp.example.com' }).expect(200);
    const file = path.join(dataDir, 'sealing.key');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const key = fs.readFileSync(file, 'utf8').trim();
    expect(key.length).toBeGreaterThanOrEqual(32);
    expect((await sealedOf(h, ws.id)).startsWith(`v2.${keyId(key)}.`)).toBe(true);
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }

  const servers = readTestServers();
  for (const mode of ['api', 'worker'] as const) {
    const config = loadConfig({ DATABASE_URL: servers.databaseUrl, TEMPORAL_ADDRESS: servers.temporalAddress });
    await expect(runHerald(mode, config)).rejects.toThrow(ConfigError);
    await expect(runHerald(mode, config)).rejects.toThrow(/HERALD_SEALING_KEY is required/);
  }
});
