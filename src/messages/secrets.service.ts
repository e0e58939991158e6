import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { LRUCache } from 'lru-cache';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { installationKeys } from '../common/crypto/installation-keys';
import { HERALD_CONFIG, HeraldConfig } from '../config/herald-config';

const INSTALLATION = '_herald';
/**
 * How long a process signs with a webhook secret it read before reading it again: a rotation
 * made through any API process reaches every worker process within this long.
 */
export const WEBHOOK_SECRET_TTL_MS = 5_000;

/**
 * Secrets Herald signs with: the tracking-token secret (from HERALD_TRACKING_SECRET, else made
 * once and kept in Postgres so every API and worker process agrees) and each workspace's
 * webhook signing secret (cached for a few seconds per process, so a rotation reaches them all).
 */
@Injectable()
export class SecretsService {
  private tracking?: Promise<string>;
  private readonly webhook = new LRUCache<string, string>({ max: 10_000, ttl: WEBHOOK_SECRET_TTL_MS });

  constructor(@InjectDataSource() private readonly db: DataSource, @Inject(HERALD_CONFIG) private readonly config: HeraldConfig) {}

  trackingSecret(): Promise<string> {
    if (this.config.delivery.trackingSecret) return Promise.resolve(this.config.delivery.trackingSecret);
    this.tracking ??= this.getOrCreate(INSTALLATION, 'tracking').catch((err) => {
      this.tracking = undefined;
      throw err;
    });
    return this.tracking;
  }

  /**
   * The keys for stored secrets, kept outside Postgres (a database dump alone opens nothing):
   * `current` seals; every key in `open` may have sealed an older value — the previous keys, and
   * the installation secret in Postgres that sealed them before (opened, never used to seal).
   */
  async sealingKeys(): Promise<{ current: string; open: string[] }> {
    const { current, previous } = installationKeys(this.config);
    const legacy = await this.legacySealingKey();
    return { current, open: [current, ...previous, ...(legacy ? [legacy] : [])] };
  }

  /** What sealed write keys before the sealing key moved out of Postgres (the tracking secret then). */
  private async legacySealingKey(): Promise<string | undefined> {
    if (this.config.delivery.trackingSecret) return this.config.delivery.trackingSecret;
    const [row] = (await this.db.query(`SELECT secret FROM workspace_secrets WHERE workspace_id = $1 AND kind = 'tracking'`, [INSTALLATION])) as Array<{ secret: string }>;
    return row?.secret;
  }

  async webhookSecret(workspaceId: string): Promise<string> {
    const cached = this.webhook.get(workspaceId);
    if (cached) return cached;
    const secret = await this.getOrCreate(workspaceId, 'webhook');
    this.webhook.set(workspaceId, secret);
    return secret;
  }

  /** A new webhook signing secret, returned this once. */
  async rotateWebhookSecret(workspaceId: string): Promise<{ secret: string; created_at: string }> {
    const secret = newSecret();
    const [row] = (await this.db.query(
      `INSERT INTO workspace_secrets (workspace_id, kind, secret) VALUES ($1, 'webhook', $2)
       ON CONFLICT (workspace_id, kind) DO UPDATE SET secret = EXCLUDED.secret, created_at = now() RETURNING created_at`,
      [workspaceId, secret],
    )) as Array<{ created_at: Date }>;
    this.webhook.set(workspaceId, secret);
    return { secret, created_at: row.created_at.toISOString() };
  }

  async describeWebhookSecret(workspaceId: string): Promise<{ secret: string; created_at: string | null }> {
    const rows = (await this.db.query(`SELECT secret, created_at FROM workspace_secrets WHERE workspace_id = $1 AND kind = 'webhook'`, [
      workspaceId,
    ])) as Array<{ secret: string; created_at: Date }>;
    if (!rows[0]) return { secret: '', created_at: null };
    return { secret: `${rows[0].secret.slice(0, 6)}…`, created_at: rows[0].created_at.toISOString() };
  }

  private async getOrCreate(workspaceId: string, kind: string): Promise<string> {
    await this.db.query('INSERT INTO workspace_secrets (workspace_id, kind, secret) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
      workspaceId, kind, newSecret(),
    ]);
    const [row] = (await this.db.query('SELECT secret FROM workspace_secrets WHERE workspace_id = $1 AND kind = $2', [workspaceId, kind])) as Array<{ secret: string }>;
    return row.secret;
  }
}

function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}
