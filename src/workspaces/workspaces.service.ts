import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { LRUCache } from 'lru-cache';
import { DataSource, EntityManager } from 'typeorm';
import { conflict, notFound } from '../common/errors/api-error';
import { ApiKey } from './api-key.entity';
import { generateApiKey, hashApiKey, maskApiKey } from './api-key-format';
import { ApiKeyView, expiryFrom, toKeyView } from './api-key-view';
import { Workspace } from './workspace.entity';

/**
 * How long a process trusts what it read about a key: a revocation or expiry change made through
 * any process is honoured everywhere within this long (an expiry itself is checked exactly).
 */
export const AUTH_CACHE_TTL_MS = 5_000;
// Unknown keys are remembered briefly only, so a key created a moment ago works at once.
const AUTH_NEGATIVE_TTL_MS = 2_000;
const AUTH_CACHE_MAX = 10_000;
/** `last_used_at` is written at most this often per key (a request stream must not write per request). */
export const LAST_USED_INTERVAL_MS = 60_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The SQL of "this key is accepted now". */
const ACTIVE = `revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`;

export interface CreatedKey {
  workspaceId: string;
  keyId: string;
  /** The full key: shown to the caller once, never stored. */
  key: string;
  prefix: string;
  view: ApiKeyView;
}

/** What the API answers once, on creation: the only time the full key is shown. */
export interface NewKeyAnswer {
  id: string;
  name: string;
  key: string;
  key_hint: string;
  created_at: string;
  expires_at: string | null;
}

export interface KeyChanges {
  name?: string;
  expires_at?: string | null;
  expires_in?: string;
}

/** What a presented key resolves to: its workspace, or why it is refused. */
export type KeyCheck = { workspaceId: string } | { refused: 'unknown' | 'revoked' } | { refused: 'expired'; expiredAt: Date };

interface KnownKey {
  id: string;
  workspaceId: string;
  expiresAt: number | null;
  revoked: boolean;
  /** Epoch ms of the last `last_used_at` this process read or wrote (0: never used). */
  lastUsedAt: number;
}
const UNKNOWN = { unknown: true } as const;
type CachedKey = KnownKey | typeof UNKNOWN;

export const DEFAULT_WORKSPACE_ID = 'default';

@Injectable()
export class WorkspacesService {
  /** key hash → what Postgres said about it, so that auth is not a database read per request. */
  private readonly authCache = new LRUCache<string, CachedKey>({ max: AUTH_CACHE_MAX, ttl: AUTH_CACHE_TTL_MS });
  /** Reads in flight: concurrent requests with a key that is not cached share one. */
  private readonly lookups = new Map<string, Promise<CachedKey>>();

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async createWorkspace(id: string, name = id): Promise<Workspace> {
    if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(id)) {
      throw new Error('workspace id must be 1-63 lowercase letters, digits, _ or -, starting with a letter or digit');
    }
    await this.db.getRepository(Workspace).createQueryBuilder().insert().values({ id, name }).orIgnore().execute();
    return this.db.getRepository(Workspace).findOneByOrFail({ id });
  }

  /** Creates a key; pass `key` to register a known key (HERALD_API_KEY), else one is generated. */
  async createKey(workspaceId: string, name: string, key = generateApiKey(), expiresAt: Date | null = null): Promise<CreatedKey> {
    const row = await this.db.getRepository(ApiKey).save({
      workspaceId,
      name,
      keyHash: hashApiKey(key),
      keyPrefix: maskApiKey(key).slice(0, 7),
      revokedAt: null,
      expiresAt,
      lastUsedAt: null,
    });
    return { workspaceId, keyId: row.id, key, prefix: row.keyPrefix, view: toKeyView(row) };
  }

  /** POST /keys: a new key for the workspace, with an optional expiry. */
  async issueKey(workspaceId: string, body: KeyChanges): Promise<NewKeyAnswer> {
    const expiresAt = expiryFrom(body) ?? null;
    const { key, view } = await this.createKey(workspaceId, body.name ?? 'API key', generateApiKey(), expiresAt);
    return { id: view.id, name: view.name, key, key_hint: view.key_hint, created_at: view.created_at, expires_at: view.expires_at };
  }

  /** The workspace's keys, newest first, revoked and expired ones included (never a secret). */
  async listKeys(workspaceId: string): Promise<{ items: ApiKeyView[] }> {
    const rows = await this.db.getRepository(ApiKey).find({ where: { workspaceId }, order: { createdAt: 'DESC', id: 'ASC' } });
    const now = Date.now();
    return { items: rows.map((r) => toKeyView(r, now)) };
  }

  /** Revokes a key at once; refused (409) for the workspace's last active key. Revoking a revoked key is a no-op. */
  async revokeKey(workspaceId: string, id: string): Promise<void> {
    const hash = await this.changeKey(workspaceId, id, async (m, key) => {
      if (key.revoked_at) return;
      if (key.active) await this.requireAnotherActiveKey(m, workspaceId, id, 'revoke');
      await m.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1`, [id]);
    });
    this.authCache.delete(hash);
  }

  /** PATCH /keys/{id}: renames an active key or sets (or clears) its expiry, e.g. to let an old key lapse after a rotation. */
  async updateKey(workspaceId: string, id: string, body: KeyChanges): Promise<ApiKeyView> {
    const expiresAt = expiryFrom(body);
    const hash = await this.changeKey(workspaceId, id, async (m, key) => {
      if (key.revoked_at) throw conflict('this API key is revoked: it cannot be changed');
      if (!key.active) throw conflict('this API key has expired: create a new one (POST /keys)');
      if (expiresAt) await this.requireAnotherActiveKey(m, workspaceId, id, 'give an expiry to');
      const set: Partial<ApiKey> = {};
      if (body.name !== undefined) set.name = body.name;
      if (expiresAt !== undefined) set.expiresAt = expiresAt;
      if (Object.keys(set).length) await m.getRepository(ApiKey).update({ id }, set);
    });
    this.authCache.delete(hash);
    return toKeyView(await this.db.getRepository(ApiKey).findOneByOrFail({ id }));
  }

  async hasKey(key: string): Promise<boolean> {
    return (await this.db.getRepository(ApiKey).countBy({ keyHash: hashApiKey(key) })) > 0;
  }

  /** Keys the workspace can authenticate with now (neither revoked nor expired). */
  async countKeys(workspaceId: string): Promise<number> {
    const [row] = (await this.db.query(`SELECT count(*)::int AS n FROM api_keys WHERE workspace_id = $1 AND ${ACTIVE}`, [workspaceId])) as Array<{ n: number }>;
    return row.n;
  }

  /**
   * First start: makes the default workspace and its first key. Returns the key only when it
   * was generated now (so it can be printed once), never afterwards.
   */
  async ensureDefaultWorkspace(initialKey?: string): Promise<CreatedKey | undefined> {
    await this.createWorkspace(DEFAULT_WORKSPACE_ID, 'Default workspace');
    if (initialKey) {
      if (!(await this.hasKey(initialKey))) await this.createKey(DEFAULT_WORKSPACE_ID, 'HERALD_API_KEY', initialKey);
      return undefined;
    }
    if ((await this.countKeys(DEFAULT_WORKSPACE_ID)) > 0) return undefined;
    return this.createKey(DEFAULT_WORKSPACE_ID, 'first key');
  }

  /** Resolves a presented key to its workspace, or null. */
  async authenticate(key: string): Promise<string | null> {
    const check = await this.checkKey(key);
    return 'workspaceId' in check ? check.workspaceId : null;
  }

  /**
   * Resolves a presented key: accepted while neither revoked nor expired. What Postgres says is
   * cached AUTH_CACHE_TTL_MS; `last_used_at` is written in the background at most once a minute.
   */
  async checkKey(key: string): Promise<KeyCheck> {
    const hash = hashApiKey(key);
    const found = await this.cachedLookup(hash);
    if ('unknown' in found) return { refused: 'unknown' };
    if (found.revoked) return { refused: 'revoked' };
    const now = Date.now();
    if (found.expiresAt !== null && found.expiresAt <= now) return { refused: 'expired', expiredAt: new Date(found.expiresAt) };
    if (now - found.lastUsedAt >= LAST_USED_INTERVAL_MS) {
      found.lastUsedAt = now;
      void this.touch(found.id);
    }
    return { workspaceId: found.workspaceId };
  }

  private cachedLookup(hash: string): Promise<CachedKey> {
    const hit = this.authCache.get(hash);
    if (hit) return Promise.resolve(hit);
    let pending = this.lookups.get(hash);
    if (!pending) {
      pending = this.lookup(hash)
        .then((found) => {
          this.authCache.set(hash, found, found === UNKNOWN ? { ttl: AUTH_NEGATIVE_TTL_MS } : undefined);
          return found;
        })
        .finally(() => this.lookups.delete(hash));
      this.lookups.set(hash, pending);
    }
    return pending;
  }

  private async lookup(hash: string): Promise<CachedKey> {
    const row = await this.db.getRepository(ApiKey).findOne({
      where: { keyHash: hash },
      select: { id: true, workspaceId: true, expiresAt: true, revokedAt: true, lastUsedAt: true },
    });
    if (!row) return UNKNOWN;
    return {
      id: row.id,
      workspaceId: row.workspaceId,
      expiresAt: row.expiresAt?.getTime() ?? null,
      revoked: row.revokedAt !== null,
      lastUsedAt: row.lastUsedAt?.getTime() ?? 0,
    };
  }

  /** Moves `last_used_at` unless another process did within the minute. Best effort: a failure costs one update. */
  private async touch(id: string): Promise<void> {
    await this.db
      .query(`UPDATE api_keys SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= now() - $2 * interval '1 millisecond')`, [
        id,
        LAST_USED_INTERVAL_MS,
      ])
      .catch(() => undefined);
  }

  /**
   * Runs `change` on one of the workspace's keys with the workspace's key changes serialized
   * (so two revocations cannot each see the other key as the one that remains). An unknown,
   * foreign or malformed id is a 404. Returns the key's hash, to drop it from this process's cache.
   */
  private async changeKey(
    workspaceId: string,
    id: string,
    change: (m: EntityManager, key: { revoked_at: Date | null; active: boolean }) => Promise<void>,
  ): Promise<string> {
    const missing = () => notFound(`no API key with id ${JSON.stringify(id)} in this workspace`);
    if (!UUID.test(id)) throw missing();
    return this.db.transaction(async (m) => {
      await m.query(`SELECT 1 FROM workspaces WHERE id = $1 FOR NO KEY UPDATE`, [workspaceId]);
      const [key] = (await m.query(`SELECT key_hash, revoked_at, (${ACTIVE}) AS active FROM api_keys WHERE workspace_id = $1 AND id = $2`, [
        workspaceId,
        id,
      ])) as Array<{ key_hash: string; revoked_at: Date | null; active: boolean }>;
      if (!key) throw missing();
      await change(m, key);
      return key.key_hash;
    });
  }

  private async requireAnotherActiveKey(m: EntityManager, workspaceId: string, id: string, verb: string): Promise<void> {
    const [other] = (await m.query(`SELECT 1 FROM api_keys WHERE workspace_id = $1 AND id <> $2 AND ${ACTIVE} LIMIT 1`, [workspaceId, id])) as unknown[];
    if (!other) {
      throw conflict(`cannot ${verb} the workspace's last active API key: create another one first (POST /keys), move clients to it, then ${verb} this one`);
    }
  }
}
