import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';
import { ApiKey } from './api-key.entity';
import { generateApiKey, hashApiKey, maskApiKey } from './api-key-format';
import { Workspace } from './workspace.entity';

const AUTH_CACHE_TTL_MS = 30_000;
// Unknown keys are remembered briefly only, so a key created a moment ago works at once.
const AUTH_NEGATIVE_TTL_MS = 2_000;
const AUTH_CACHE_MAX = 10_000;

export interface CreatedKey {
  workspaceId: string;
  keyId: string;
  /** The full key: shown to the caller once, never stored. */
  key: string;
  prefix: string;
}

export const DEFAULT_WORKSPACE_ID = 'default';

@Injectable()
export class WorkspacesService {
  /** key hash → workspace, so that auth is not a database read per request (revocation lags ≤ 30 s). */
  private readonly authCache = new Map<string, { workspaceId: string | null; expires: number }>();

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async createWorkspace(id: string, name = id): Promise<Workspace> {
    if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(id)) {
      throw new Error('workspace id must be 1-63 lowercase letters, digits, _ or -, starting with a letter or digit');
    }
    await this.db.getRepository(Workspace).createQueryBuilder().insert().values({ id, name }).orIgnore().execute();
    return this.db.getRepository(Workspace).findOneByOrFail({ id });
  }

  /** Creates a key; pass `key` to register a known key (HERALD_API_KEY), else one is generated. */
  async createKey(workspaceId: string, name: string, key = generateApiKey()): Promise<CreatedKey> {
    const row = await this.db.getRepository(ApiKey).save({
      workspaceId,
      name,
      keyHash: hashApiKey(key),
      keyPrefix: maskApiKey(key).slice(0, 7),
      revokedAt: null,
    });
    return { workspaceId, keyId: row.id, key, prefix: row.keyPrefix };
  }

  async hasKey(key: string): Promise<boolean> {
    return (await this.db.getRepository(ApiKey).countBy({ keyHash: hashApiKey(key) })) > 0;
  }

  async countKeys(workspaceId: string): Promise<number> {
    return this.db.getRepository(ApiKey).countBy({ workspaceId, revokedAt: IsNull() });
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
    const hash = hashApiKey(key);
    const now = Date.now();
    const cached = this.authCache.get(hash);
    if (cached && cached.expires > now) return cached.workspaceId;
    const row = await this.db.getRepository(ApiKey).findOne({
      where: { keyHash: hash, revokedAt: IsNull() },
      select: { workspaceId: true },
    });
    if (this.authCache.size >= AUTH_CACHE_MAX) this.authCache.clear();
    this.authCache.set(hash, { workspaceId: row?.workspaceId ?? null, expires: now + (row ? AUTH_CACHE_TTL_MS : AUTH_NEGATIVE_TTL_MS) });
    return row?.workspaceId ?? null;
  }
}
