import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { badRequest, notFound } from '../common/errors/api-error';
import { CHANNELS, ChannelName } from '../notifications/notification.schema';

export const PREFERENCE_STATUSES = ['OPTED_IN', 'OPTED_OUT', 'REQUIRED'] as const;
export type PreferenceStatus = (typeof PREFERENCE_STATUSES)[number];
export type PreferenceSource = 'api' | 'link' | 'page' | 'identify';

export interface TopicView {
  id: string;
  name: string;
  default_status: PreferenceStatus;
  allowed_channels: ChannelName[] | null;
  created_at: string;
  updated_at: string;
}

/** A user's preference for one topic, in Courier's shape. */
export interface PreferenceView {
  topic_id: string;
  topic_name: string;
  default_status: PreferenceStatus;
  status: PreferenceStatus;
  has_custom_routing: boolean;
  custom_routing: ChannelName[];
  source: PreferenceSource | null;
  updated_at: string | null;
}

/** What delivery does for a recipient and topic. */
export type PreferenceDecision = { send: true; channels: ChannelName[] | null; required: boolean; known: boolean } | { send: false; reason: 'UNSUBSCRIBED' | 'OPT_IN_REQUIRED' };

const ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;

/**
 * Subscription topics and user preferences (SPEC section 7, Courier's API shapes). A topic's
 * default applies until the user chooses; REQUIRED topics ignore opt-outs; custom routing (and a
 * topic's allowed channels) restrict the channels a message of the topic may use.
 */
@Injectable()
export class PreferencesService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async putTopic(workspaceId: string, id: string, body: { name?: unknown; default_status?: unknown; allowed_channels?: unknown }): Promise<TopicView> {
    if (!ID.test(id)) throw badRequest('topic id must be letters, digits, _, ., : or - (at most 200)');
    if (typeof body?.name !== 'string' || !body.name || body.name.length > 200) throw badRequest('name must be a non-empty string of at most 200 characters');
    const status = body.default_status ?? 'OPTED_IN';
    if (!PREFERENCE_STATUSES.includes(status as PreferenceStatus)) throw badRequest(`default_status must be one of ${PREFERENCE_STATUSES.join(', ')}`);
    const channels = body.allowed_channels === undefined || body.allowed_channels === null ? null : channelList(body.allowed_channels, 'allowed_channels');
    await this.db.query(
      `INSERT INTO subscription_topics (workspace_id, id, name, default_status, allowed_channels) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (workspace_id, id) DO UPDATE SET name = EXCLUDED.name, default_status = EXCLUDED.default_status, allowed_channels = EXCLUDED.allowed_channels, updated_at = now()`,
      [workspaceId, id, body.name, status, channels === null ? null : JSON.stringify(channels)],
    );
    return this.getTopic(workspaceId, id);
  }

  async getTopic(workspaceId: string, id: string): Promise<TopicView> {
    const [row] = (await this.db.query(`SELECT * FROM subscription_topics WHERE workspace_id = $1 AND id = $2`, [workspaceId, id])) as TopicRow[];
    if (!row) throw notFound(`no subscription topic ${JSON.stringify(id)}`);
    return topicView(row);
  }

  async listTopics(workspaceId: string): Promise<{ items: TopicView[] }> {
    const rows = (await this.db.query(`SELECT * FROM subscription_topics WHERE workspace_id = $1 ORDER BY id LIMIT 1000`, [workspaceId])) as TopicRow[];
    return { items: rows.map(topicView) };
  }

  /** GET /users/{user_id}/preferences: every topic, with the user's choice or the topic's default. */
  async list(workspaceId: string, userId: string): Promise<{ items: PreferenceView[]; paging: { more: boolean; cursor: null } }> {
    const rows = (await this.db.query(
      `SELECT t.*, p.status AS p_status, p.has_custom_routing, p.custom_routing, p.source, p.updated_at AS p_updated_at
       FROM subscription_topics t LEFT JOIN user_preferences p ON p.workspace_id = t.workspace_id AND p.topic_id = t.id AND p.user_id = $2
       WHERE t.workspace_id = $1 ORDER BY t.id LIMIT 1000`,
      [workspaceId, userId],
    )) as JoinedRow[];
    return { items: rows.map(preferenceView), paging: { more: false, cursor: null } };
  }

  async get(workspaceId: string, userId: string, topicId: string): Promise<{ topic: PreferenceView }> {
    const [row] = (await this.db.query(
      `SELECT t.*, p.status AS p_status, p.has_custom_routing, p.custom_routing, p.source, p.updated_at AS p_updated_at
       FROM subscription_topics t LEFT JOIN user_preferences p ON p.workspace_id = t.workspace_id AND p.topic_id = t.id AND p.user_id = $2
       WHERE t.workspace_id = $1 AND t.id = $3`,
      [workspaceId, userId, topicId],
    )) as JoinedRow[];
    if (!row) throw notFound(`no subscription topic ${JSON.stringify(topicId)}`);
    return { topic: preferenceView(row) };
  }

  /** PUT /users/{user_id}/preferences/{topic_id} with `{ topic: { status, has_custom_routing?, custom_routing? } }`. */
  async put(workspaceId: string, userId: string, topicId: string, body: { topic?: unknown }, source: PreferenceSource = 'api'): Promise<{ topic: PreferenceView }> {
    if (!userId || userId.length > 512) throw badRequest('user id must be 1 to 512 characters');
    const t = body?.topic as { status?: unknown; has_custom_routing?: unknown; custom_routing?: unknown } | undefined;
    if (!t || typeof t !== 'object' || Array.isArray(t)) throw badRequest('topic must be an object: { status, has_custom_routing?, custom_routing? }');
    if (t.status !== 'OPTED_IN' && t.status !== 'OPTED_OUT') throw badRequest('topic.status must be OPTED_IN or OPTED_OUT');
    if (t.has_custom_routing !== undefined && typeof t.has_custom_routing !== 'boolean') throw badRequest('topic.has_custom_routing must be true or false');
    const routing = t.custom_routing === undefined ? [] : channelList(t.custom_routing, 'topic.custom_routing');
    await this.getTopic(workspaceId, topicId);
    await this.db.query(
      `INSERT INTO user_preferences (workspace_id, user_id, topic_id, status, has_custom_routing, custom_routing, source) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (workspace_id, user_id, topic_id) DO UPDATE SET status = EXCLUDED.status, has_custom_routing = EXCLUDED.has_custom_routing,
         custom_routing = EXCLUDED.custom_routing, source = EXCLUDED.source, updated_at = now()`,
      [workspaceId, userId, topicId, t.status, t.has_custom_routing ?? false, JSON.stringify(routing), source],
    );
    return this.get(workspaceId, userId, topicId);
  }

  /** PUT /tenants/{id}/default_preferences/items/{topic_id} with `{ status, has_custom_routing?, custom_routing? }` (Courier's shape). */
  async putTenantDefault(workspaceId: string, tenantId: string, topicId: string, body: { status?: unknown; has_custom_routing?: unknown; custom_routing?: unknown }) {
    if (!body || typeof body !== 'object') throw badRequest('body must be { status, has_custom_routing?, custom_routing? }');
    if (body.status !== 'OPTED_IN' && body.status !== 'OPTED_OUT') throw badRequest('status must be OPTED_IN or OPTED_OUT');
    if (body.has_custom_routing !== undefined && typeof body.has_custom_routing !== 'boolean') throw badRequest('has_custom_routing must be true or false');
    const routing = body.custom_routing === undefined ? [] : channelList(body.custom_routing, 'custom_routing');
    await this.getTopic(workspaceId, topicId);
    await this.db.query(
      `INSERT INTO tenant_default_preferences (workspace_id, tenant_id, topic_id, status, has_custom_routing, custom_routing) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (workspace_id, tenant_id, topic_id) DO UPDATE SET status = EXCLUDED.status, has_custom_routing = EXCLUDED.has_custom_routing,
         custom_routing = EXCLUDED.custom_routing, updated_at = now()`,
      [workspaceId, tenantId, topicId, body.status, body.has_custom_routing ?? false, JSON.stringify(routing)],
    );
    return this.getTenantDefault(workspaceId, tenantId, topicId);
  }

  async getTenantDefault(workspaceId: string, tenantId: string, topicId: string) {
    const [row] = (await this.db.query(
      `SELECT topic_id, status, has_custom_routing, custom_routing, updated_at FROM tenant_default_preferences WHERE workspace_id = $1 AND tenant_id = $2 AND topic_id = $3`,
      [workspaceId, tenantId, topicId],
    )) as Array<{ topic_id: string; status: PreferenceStatus; has_custom_routing: boolean; custom_routing: ChannelName[]; updated_at: Date }>;
    if (!row) throw notFound(`tenant ${JSON.stringify(tenantId)} has no default preference for topic ${JSON.stringify(topicId)}`);
    return { id: row.topic_id, status: row.status, has_custom_routing: row.has_custom_routing, custom_routing: row.custom_routing, updated_at: row.updated_at.toISOString() };
  }

  async deleteTenantDefault(workspaceId: string, tenantId: string, topicId: string): Promise<void> {
    const [, affected] = (await this.db.query(`DELETE FROM tenant_default_preferences WHERE workspace_id = $1 AND tenant_id = $2 AND topic_id = $3`, [
      workspaceId, tenantId, topicId,
    ])) as [unknown, number];
    if (!affected) throw notFound(`tenant ${JSON.stringify(tenantId)} has no default preference for topic ${JSON.stringify(topicId)}`);
  }

  /**
   * At send time: the user's choice > the message's tenant's default > the topic's default;
   * REQUIRED ignores opt-outs. An unknown topic decides nothing.
   */
  async decide(workspaceId: string, userId: string | null, topicId: string, tenantId: string | null = null): Promise<PreferenceDecision> {
    const [row] = (await this.db.query(
      `SELECT t.default_status, t.allowed_channels,
         COALESCE(p.status, d.status) AS p_status, p.status IS NOT NULL AS user_chose,
         CASE WHEN p.status IS NOT NULL THEN p.has_custom_routing ELSE d.has_custom_routing END AS has_custom_routing,
         CASE WHEN p.status IS NOT NULL THEN p.custom_routing ELSE d.custom_routing END AS custom_routing
       FROM subscription_topics t
       LEFT JOIN user_preferences p ON p.workspace_id = t.workspace_id AND p.topic_id = t.id AND p.user_id = $2
       LEFT JOIN tenant_default_preferences d ON d.workspace_id = t.workspace_id AND d.topic_id = t.id AND d.tenant_id = $4
       WHERE t.workspace_id = $1 AND t.id = $3`,
      [workspaceId, userId ?? '', topicId, tenantId ?? ''],
    )) as Array<{ default_status: PreferenceStatus; allowed_channels: ChannelName[] | null; p_status: PreferenceStatus | null; user_chose: boolean; has_custom_routing: boolean | null; custom_routing: ChannelName[] | null }>;
    if (!row) return { send: true, channels: null, required: false, known: false };
    const allowed = row.allowed_channels;
    if (row.default_status === 'REQUIRED') return { send: true, channels: allowed, required: true, known: true };
    const status = row.p_status ?? row.default_status;
    if (status === 'OPTED_OUT') return { send: false, reason: row.p_status ? 'UNSUBSCRIBED' : 'OPT_IN_REQUIRED' };
    const custom = row.has_custom_routing ? row.custom_routing ?? [] : null;
    const channels = custom && allowed ? custom.filter((c) => allowed.includes(c)) : custom ?? allowed;
    return { send: true, channels, required: false, known: true };
  }
}

interface TopicRow {
  id: string;
  name: string;
  default_status: PreferenceStatus;
  allowed_channels: ChannelName[] | null;
  created_at: Date;
  updated_at: Date;
}

interface JoinedRow extends TopicRow {
  p_status: PreferenceStatus | null;
  has_custom_routing: boolean | null;
  custom_routing: ChannelName[] | null;
  source: PreferenceSource | null;
  p_updated_at: Date | null;
}

function channelList(value: unknown, field: string): ChannelName[] {
  if (!Array.isArray(value) || value.some((c) => !(CHANNELS as readonly unknown[]).includes(c))) throw badRequest(`${field} must be a list of ${CHANNELS.join(', ')}`);
  return [...new Set(value as ChannelName[])];
}

function topicView(r: TopicRow): TopicView {
  return { id: r.id, name: r.name, default_status: r.default_status, allowed_channels: r.allowed_channels, created_at: r.created_at.toISOString(), updated_at: r.updated_at.toISOString() };
}

function preferenceView(r: JoinedRow): PreferenceView {
  const required = r.default_status === 'REQUIRED';
  return {
    topic_id: r.id,
    topic_name: r.name,
    default_status: r.default_status,
    status: required ? 'REQUIRED' : r.p_status ?? r.default_status,
    has_custom_routing: r.has_custom_routing ?? false,
    custom_routing: r.custom_routing ?? [],
    source: r.source,
    updated_at: r.p_updated_at?.toISOString() ?? null,
  };
}
