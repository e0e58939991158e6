import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { LRUCache } from 'lru-cache';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { seal, unseal } from '../common/crypto/secret-box';
import { badRequest, notFound } from '../common/errors/api-error';
import { parseDuration } from '../../workflows/shared/durations';
import { SecretsService } from '../messages/secrets.service';
import { HERALD_CONFIG, HeraldConfig } from '../config/herald-config';
import { PROVIDER_ADAPTERS } from './adapters';
import { PROVIDER_CHANNELS, ProviderAdapter, ProviderChannel } from './provider.types';

/** SMTP (the installation's SMTP_URL) as a ranked email provider beside the HTTP ones. */
export const SMTP_PROVIDER = 'smtp';
/** How long a process uses provider settings it read: a change through any API process reaches every worker within this. */
export const PROVIDER_CACHE_TTL_MS = 5_000;
const RECEIPT_SECRET = 'receipt_secret';
const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

const bodySchema = z
  .object({
    channel: z.enum(PROVIDER_CHANNELS),
    provider: z.string().min(1),
    config: z.record(z.string(), z.unknown()).default({}),
    priority: z.int().min(0).max(10_000).default(100).describe('lower is tried first'),
    rate_limit: z.number().positive().max(100_000).nullable().default(null).describe('messages per second, shared by every worker'),
    max_attempts: z.int().min(1).max(100).default(5).describe('attempts on this provider before failing over'),
    failover_after: z.union([z.string(), z.number()]).default('5m').describe('time after the first failed attempt before failing over'),
    enabled: z.boolean().default(true),
    receipt_secret: z.string().min(16).max(200).optional().describe('signs POST /receipts/{workspace}/{provider} callbacks'),
  })
  .strict();

export interface ProviderRow {
  id: string;
  channel: ProviderChannel;
  provider: string;
  config: Record<string, unknown>;
  secrets_sealed: string | null;
  priority: number;
  rate_limit: number | null;
  max_attempts: number;
  failover_after_ms: number;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

/** A provider ready to send through: its settings with the secrets opened. Never returned by the API. */
export interface OpenedProvider extends Omit<ProviderRow, 'secrets_sealed'> {
  adapter: ProviderAdapter | null;
  secrets: Record<string, unknown>;
  receiptSecret: string | null;
}

export interface ProviderView {
  id: string;
  channel: ProviderChannel;
  provider: string;
  config: Record<string, unknown>;
  priority: number;
  rate_limit: number | null;
  max_attempts: number;
  failover_after_ms: number;
  enabled: boolean;
  receipt_secret: string | null;
  receipt_url: string;
  created_at: string;
  updated_at: string;
}

export function adapterFor(provider: string): ProviderAdapter | null {
  return Object.prototype.hasOwnProperty.call(PROVIDER_ADAPTERS, provider) ? PROVIDER_ADAPTERS[provider] : null;
}

/** The providers a channel may use, and their secrets (sealed like the RudderStack write key, masked in answers). */
@Injectable()
export class ProvidersService {
  private readonly ranked = new LRUCache<string, string[]>({ max: 10_000, ttl: PROVIDER_CACHE_TTL_MS });
  private readonly opened = new LRUCache<string, OpenedProvider | 'missing'>({ max: 10_000, ttl: PROVIDER_CACHE_TTL_MS });

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly secrets: SecretsService,
  ) {}

  async put(workspaceId: string, id: string, body: unknown): Promise<ProviderView> {
    if (!ID.test(id)) throw badRequest('provider id must be 1–100 letters, digits, _, . or - (starting with a letter or digit)');
    const parsed = bodySchema.safeParse(body);
    if (!parsed.success) throw badRequest(parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    const b = parsed.data;
    const adapter = adapterFor(b.provider);
    if (!adapter && b.provider !== SMTP_PROVIDER) throw badRequest(`provider: unknown provider ${JSON.stringify(b.provider)} (known: ${[...Object.keys(PROVIDER_ADAPTERS), SMTP_PROVIDER].sort().join(', ')})`);
    const channel = adapter?.channel ?? 'email';
    if (channel !== b.channel) throw badRequest(`channel: ${b.provider} is a provider of the ${channel} channel, not ${b.channel}`);
    let failoverAfterMs: number;
    try {
      failoverAfterMs = parseDuration(b.failover_after);
    } catch (err) {
      throw badRequest(`failover_after: ${(err as Error).message}`);
    }
    if (failoverAfterMs > 24 * 3600_000) throw badRequest('failover_after: at most 24 hours');

    // A secret left out (or sent back masked, as GET shows it) keeps the stored one.
    const existing = await this.openRow(workspaceId, id).catch(() => null);
    const keep = existing && existing.provider === b.provider ? existing.secrets : {};
    const secretFields = [...(adapter?.secretFields ?? []), RECEIPT_SECRET];
    const given: Record<string, unknown> = { ...b.config, ...(b.receipt_secret !== undefined ? { [RECEIPT_SECRET]: b.receipt_secret } : {}) };
    const secrets: Record<string, unknown> = {};
    for (const field of secretFields) {
      const value = given[field];
      if (value === undefined || (typeof value === 'string' && value.includes('…') && keep[field] !== undefined)) {
        if (keep[field] !== undefined) secrets[field] = keep[field];
      } else secrets[field] = value;
    }
    const publicConfig = Object.fromEntries(Object.entries(b.config).filter(([k]) => !secretFields.includes(k)));
    if (adapter) {
      const { [RECEIPT_SECRET]: _receipt, ...adapterSecrets } = secrets;
      const check = adapter.configSchema.safeParse({ ...publicConfig, ...adapterSecrets });
      if (!check.success) throw badRequest(check.error.issues.map((i) => `config.${i.path.join('.')}: ${i.message}`).join('; '));
    } else if (Object.keys(publicConfig).length) throw badRequest('config: the smtp provider takes no settings (it uses the installation\'s SMTP_URL)');

    const sealed = Object.keys(secrets).length ? seal(JSON.stringify(secrets), (await this.secrets.sealingKeys()).current) : null;
    await this.db.query(
      `INSERT INTO providers (workspace_id, id, channel, provider, config, secrets_sealed, priority, rate_limit, max_attempts, failover_after_ms, enabled)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (workspace_id, id) DO UPDATE SET channel = EXCLUDED.channel, provider = EXCLUDED.provider, config = EXCLUDED.config,
         secrets_sealed = EXCLUDED.secrets_sealed, priority = EXCLUDED.priority, rate_limit = EXCLUDED.rate_limit, max_attempts = EXCLUDED.max_attempts,
         failover_after_ms = EXCLUDED.failover_after_ms, enabled = EXCLUDED.enabled, updated_at = now()`,
      [workspaceId, id, channel, b.provider, JSON.stringify(publicConfig), sealed, b.priority, b.rate_limit, b.max_attempts, failoverAfterMs, b.enabled],
    );
    this.forget(workspaceId, id);
    return this.get(workspaceId, id);
  }

  async get(workspaceId: string, id: string): Promise<ProviderView> {
    return this.view(workspaceId, await this.openRow(workspaceId, id));
  }

  async list(workspaceId: string, channel?: string): Promise<{ items: ProviderView[] }> {
    if (channel !== undefined && !(PROVIDER_CHANNELS as readonly string[]).includes(channel)) throw badRequest(`channel must be one of ${PROVIDER_CHANNELS.join(', ')}`);
    const rows = (await this.db.query(
      `SELECT * FROM providers WHERE workspace_id = $1 AND ($2::text IS NULL OR channel = $2) ORDER BY channel, priority, id`,
      [workspaceId, channel ?? null],
    )) as ProviderRow[];
    const keys = await this.secrets.sealingKeys();
    return { items: rows.map((r) => this.view(workspaceId, this.open(r, keys.open))) };
  }

  async delete(workspaceId: string, id: string): Promise<void> {
    const [, affected] = (await this.db.query('DELETE FROM providers WHERE workspace_id = $1 AND id = $2', [workspaceId, id])) as [unknown, number];
    if (!affected) throw notFound(`provider ${JSON.stringify(id)} not found`);
    await this.db.query('DELETE FROM provider_rate_slots WHERE workspace_id = $1 AND provider_id = $2', [workspaceId, id]);
    await this.db.query('DELETE FROM pending_receipts WHERE workspace_id = $1 AND provider_id = $2', [workspaceId, id]);
    this.forget(workspaceId, id);
  }

  /** The enabled providers of a channel in the order they are tried (priority, then id); cached for a few seconds. */
  async rankedIds(workspaceId: string, channel: ProviderChannel): Promise<string[]> {
    const key = `${workspaceId}\u0000${channel}`;
    const hit = this.ranked.get(key);
    if (hit) return hit;
    const rows = (await this.db.query(
      'SELECT id FROM providers WHERE workspace_id = $1 AND channel = $2 AND enabled ORDER BY priority, id',
      [workspaceId, channel],
    )) as Array<{ id: string }>;
    const ids = rows.map((r) => r.id);
    this.ranked.set(key, ids);
    return ids;
  }

  /** A provider to send through (secrets opened), or null when it was removed; cached for a few seconds. */
  async forSend(workspaceId: string, id: string): Promise<OpenedProvider | null> {
    const key = `${workspaceId}\u0000${id}`;
    const hit = this.opened.get(key);
    if (hit) return hit === 'missing' ? null : hit;
    const found = await this.openRow(workspaceId, id).catch((err) => {
      if ((err as { status?: number }).status === 404) return null;
      throw err;
    });
    this.opened.set(key, found ?? 'missing');
    return found;
  }

  receiptUrl(workspaceId: string, id: string, provider: string): string {
    const base = `${this.config.delivery.publicUrl}/receipts`;
    return provider === 'twilio' ? `${base}/twilio/${encodeURIComponent(workspaceId)}/${encodeURIComponent(id)}` : `${base}/${encodeURIComponent(workspaceId)}/${encodeURIComponent(id)}`;
  }

  private async openRow(workspaceId: string, id: string): Promise<OpenedProvider> {
    const [row] = (await this.db.query('SELECT * FROM providers WHERE workspace_id = $1 AND id = $2', [workspaceId, id])) as ProviderRow[];
    if (!row) throw notFound(`provider ${JSON.stringify(id)} not found`);
    return this.open(row, (await this.secrets.sealingKeys()).open);
  }

  private open(row: ProviderRow, keys: string[]): OpenedProvider {
    const { secrets_sealed, ...rest } = row;
    const secrets = secrets_sealed ? (JSON.parse(unseal(secrets_sealed, keys)) as Record<string, unknown>) : {};
    const { [RECEIPT_SECRET]: receipt, ...adapterSecrets } = secrets;
    return { ...rest, adapter: adapterFor(row.provider), secrets: adapterSecrets, receiptSecret: typeof receipt === 'string' ? receipt : null };
  }

  private view(workspaceId: string, p: OpenedProvider): ProviderView {
    const masked = Object.fromEntries(Object.entries(p.secrets).map(([k, v]) => [k, mask(v)]));
    return {
      id: p.id,
      channel: p.channel,
      provider: p.provider,
      config: { ...p.config, ...masked },
      priority: p.priority,
      rate_limit: p.rate_limit,
      max_attempts: p.max_attempts,
      failover_after_ms: p.failover_after_ms,
      enabled: p.enabled,
      receipt_secret: p.receiptSecret ? mask(p.receiptSecret) : null,
      receipt_url: this.receiptUrl(workspaceId, p.id, p.provider),
      created_at: p.created_at.toISOString(),
      updated_at: p.updated_at.toISOString(),
    };
  }

  private forget(workspaceId: string, id: string): void {
    this.opened.delete(`${workspaceId}\u0000${id}`);
    for (const channel of PROVIDER_CHANNELS) this.ranked.delete(`${workspaceId}\u0000${channel}`);
  }
}

/** A secret as answers show it: its first four characters at most, never the whole. */
export function mask(value: unknown): string {
  if (typeof value !== 'string') return '…';
  return value.length >= 16 ? `${value.slice(0, 4)}…` : '…';
}
