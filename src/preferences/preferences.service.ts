import { isPlainObject } from '../../workflows/shared/json';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { badRequest, notFound } from '../common/errors/api-error';
import { Keyset, Page } from '../common/http/pagination';
import type { Queryable } from '../database/queryable';
import { preferenceEvent } from '../outbox/outbound-event';
import { OutboxService } from '../outbox/outbox.service';
import { CHANNELS, ChannelName } from '../notifications/notification.schema';

export const PREFERENCE_STATUSES = ['OPTED_IN', 'OPTED_OUT', 'REQUIRED'] as const;
export type PreferenceStatus = (typeof PREFERENCE_STATUSES)[number];
export type PreferenceSource = 'api' | 'link' | 'page' | 'mail' | 'identify';

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

/** One recorded change of a user's preference. */
export interface PreferenceChangeView {
  topic_id: string;
  status: 'OPTED_IN' | 'OPTED_OUT';
  previous_status: 'OPTED_IN' | 'OPTED_OUT' | null;
  has_custom_routing: boolean;
  custom_routing: ChannelName[];
  source: PreferenceSource;
  changed_at: string;
}

/** A preference to set, already checked. */
interface PreferenceInput {
  topicId: string;
  status: 'OPTED_IN' | 'OPTED_OUT';
  hasCustomRouting: boolean;
  customRouting: ChannelName[];
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;
const CHANGES = new Keyset([{ column: 'id', type: 'bigint' }]);

/**
 * Subscription topics and user preferences (SPEC section 7, Courier's API shapes). A topic's
 * default applies until the user chooses; REQUIRED topics ignore opt-outs; custom routing (and a
 * topic's allowed channels) restrict the channels a message of the topic may use.
 */
@Injectable()
export class PreferencesService {
  constructor(@InjectDataSource() private readonly db: DataSource, private readonly outbox: OutboxService) {}

  /** PUT /preferences/topics/{id} `{ name, default_status?, channels? }` (`allowed_channels` is accepted as the same field). */
  async putTopic(workspaceId: string, id: string, body: { name?: unknown; default_status?: unknown; allowed_channels?: unknown; channels?: unknown }): Promise<TopicView> {
    if (!ID.test(id)) throw badRequest('topic id must be letters, digits, _, ., : or - (at most 200)');
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('body must be { name, default_status?, channels? }');
    if (typeof body.name !== 'string' || !body.name || body.name.length > 200) throw badRequest('name must be a non-empty string of at most 200 characters');
    const status = body.default_status ?? 'OPTED_IN';
    if (!PREFERENCE_STATUSES.includes(status as PreferenceStatus)) throw badRequest(`default_status must be one of ${PREFERENCE_STATUSES.join(', ')}`);
    const field = body.channels !== undefined ? 'channels' : 'allowed_channels';
    const given = body.channels !== undefined ? body.channels : body.allowed_channels;
    const channels = given === undefined || given === null ? null : channelList(given, field);
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

  /** Removes a topic; users' choices for it go too (their history stays). Messages naming it send as if it had none. */
  async deleteTopic(workspaceId: string, id: string): Promise<void> {
    const [, affected] = (await this.db.query(`DELETE FROM subscription_topics WHERE workspace_id = $1 AND id = $2`, [workspaceId, id])) as [unknown, number];
    if (!affected) throw notFound(`no subscription topic ${JSON.stringify(id)}`);
    await this.db.query(`DELETE FROM user_preferences WHERE workspace_id = $1 AND topic_id = $2`, [workspaceId, id]);
    await this.db.query(`DELETE FROM tenant_default_preferences WHERE workspace_id = $1 AND topic_id = $2`, [workspaceId, id]);
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
    const input = preferenceInput(topicId, body?.topic, 'topic');
    if (typeof input === 'string') throw badRequest(input);
    await this.getTopic(workspaceId, topicId);
    const wake = await this.db.transaction((tx) => this.write(tx, workspaceId, userId, input, source));
    if (wake) void this.outbox.wake(workspaceId);
    return this.get(workspaceId, userId, topicId);
  }

  /**
   * Preferences carried by identify traits (`courier.preferences` or `preferences`), applied in the
   * dispatcher's transaction with the profile merge. Courier's shapes: `{ items: [{ topic_id,
   * status, ... }] }`, or `{ notifications: { <topic_id>: { status, channel_preferences } } }`.
   * Unknown topics and malformed entries are skipped (the identify itself still applies); the
   * reasons are returned for the event log, with whether the outbox needs a wake after commit.
   */
  async applyFromTraits(tx: Queryable, workspaceId: string, identifies: Array<{ userId: string; traits: Record<string, unknown> }>): Promise<{ problems: Map<string, string[]>; wakeOutbox: boolean }> {
    const problems = new Map<string, string[]>();
    let wakeOutbox = false;
    const wanted = identifies.flatMap(({ userId, traits }) => {
      const carried = preferencesInTraits(traits);
      if (carried === undefined) return [];
      const { inputs, errors } = parseTraitPreferences(carried);
      if (errors.length) problems.set(userId, errors);
      return inputs.map((input) => ({ userId, input }));
    });
    if (!wanted.length) return { problems, wakeOutbox };
    const topics = new Set(
      ((await tx.query(`SELECT id FROM subscription_topics WHERE workspace_id = $1 AND id = ANY($2)`, [workspaceId, [...new Set(wanted.map((w) => w.input.topicId))]])) as Array<{ id: string }>).map((r) => r.id),
    );
    for (const { userId, input } of wanted) {
      if (!topics.has(input.topicId)) problems.set(userId, [...(problems.get(userId) ?? []), `preferences: no subscription topic ${JSON.stringify(input.topicId)}`]);
      else wakeOutbox = (await this.write(tx, workspaceId, userId, input, 'identify')) || wakeOutbox;
    }
    return { problems, wakeOutbox };
  }

  /**
   * Upserts the preference and records the change with its source, in the caller's transaction,
   * with its `Preference Updated` event when the integration wants those (the transactional
   * outbox). Returns whether the emitter needs a wake once the transaction commits.
   */
  private async write(tx: Queryable, workspaceId: string, userId: string, p: PreferenceInput, source: PreferenceSource): Promise<boolean> {
    const [change] = (await tx.query(
      `WITH previous AS (SELECT status FROM user_preferences WHERE workspace_id = $1 AND user_id = $2 AND topic_id = $3 FOR UPDATE),
       upserted AS (
         INSERT INTO user_preferences (workspace_id, user_id, topic_id, status, has_custom_routing, custom_routing, source) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (workspace_id, user_id, topic_id) DO UPDATE SET status = EXCLUDED.status, has_custom_routing = EXCLUDED.has_custom_routing,
           custom_routing = EXCLUDED.custom_routing, source = EXCLUDED.source, updated_at = now())
       INSERT INTO preference_changes (workspace_id, user_id, topic_id, status, previous_status, has_custom_routing, custom_routing, source)
       VALUES ($1, $2, $3, $4, (SELECT status FROM previous), $5, $6, $7) RETURNING id::text, previous_status, changed_at`,
      [workspaceId, userId, p.topicId, p.status, p.hasCustomRouting, JSON.stringify(p.customRouting), source],
    )) as Array<{ id: string; previous_status: string | null; changed_at: Date }>;
    const event = preferenceEvent(workspaceId, {
      change_id: change.id, user_id: userId, topic_id: p.topicId, status: p.status, previous_status: change.previous_status,
      has_custom_routing: p.hasCustomRouting, custom_routing: p.customRouting, source,
    }, change.changed_at.getTime());
    return this.outbox.append(tx, workspaceId, [event], 'preference');
  }

  /** GET /users/{user_id}/preference-changes: the user's changes, newest first, paged. */
  async history(workspaceId: string, userId: string, limit = 50, cursor?: string): Promise<Page<PreferenceChangeView>> {
    const params: unknown[] = [workspaceId, userId];
    const after = CHANGES.where(cursor, params);
    params.push(limit + 1);
    const rows = (await this.db.query(
      `SELECT ${CHANGES.select()}, topic_id, status, previous_status, has_custom_routing, custom_routing, source, changed_at FROM preference_changes
       WHERE workspace_id = $1 AND user_id = $2${after ? ` AND ${after}` : ''} ORDER BY ${CHANGES.orderBy()} LIMIT $${params.length}`,
      params,
    )) as Array<Record<string, unknown> & Omit<PreferenceChangeView, 'changed_at'> & { changed_at: Date }>;
    return CHANGES.page(rows, limit, (r) => ({
      topic_id: r.topic_id, status: r.status, previous_status: r.previous_status, has_custom_routing: r.has_custom_routing,
      custom_routing: r.custom_routing, source: r.source, changed_at: r.changed_at.toISOString(),
    }));
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
  const list = checkedChannels(value, field);
  if (typeof list === 'string') throw badRequest(list);
  return list;
}

function checkedChannels(value: unknown, field: string): ChannelName[] | string {
  if (!Array.isArray(value) || value.some((c) => !(CHANNELS as readonly unknown[]).includes(c))) return `${field} must be a list of ${CHANNELS.join(', ')}`;
  return [...new Set(value as ChannelName[])];
}

/** `{ status, has_custom_routing?, custom_routing? }` checked, or the problem naming `field`. */
function preferenceInput(topicId: string, value: unknown, field: string): PreferenceInput | string {
  const t = value as { status?: unknown; has_custom_routing?: unknown; custom_routing?: unknown } | undefined;
  if (!t || typeof t !== 'object' || Array.isArray(t)) return `${field} must be an object: { status, has_custom_routing?, custom_routing? }`;
  if (t.status !== 'OPTED_IN' && t.status !== 'OPTED_OUT') return `${field}.status must be OPTED_IN or OPTED_OUT`;
  if (t.has_custom_routing !== undefined && typeof t.has_custom_routing !== 'boolean') return `${field}.has_custom_routing must be true or false`;
  const routing = t.custom_routing === undefined ? [] : checkedChannels(t.custom_routing, `${field}.custom_routing`);
  if (typeof routing === 'string') return routing;
  return { topicId, status: t.status, hasCustomRouting: t.has_custom_routing ?? false, customRouting: routing };
}


/**
 * The preferences an identify carries: `traits.courier.preferences`, else `traits.preferences`
 * when it has Courier's shape (`items` or `notifications`); another trait that happens to be
 * called `preferences` (say `{ theme: "dark" }`) stays an ordinary profile field.
 */
export function preferencesInTraits(traits: Record<string, unknown>): unknown {
  return carrier(traits)?.value;
}

function carrier(traits: Record<string, unknown>): { nested: boolean; value: unknown } | undefined {
  if (isPlainObject(traits.courier) && traits.courier.preferences !== undefined) return { nested: true, value: traits.courier.preferences };
  const top = traits.preferences;
  if (isPlainObject(top) && (top.items !== undefined || top.notifications !== undefined)) return { nested: false, value: top };
  return undefined;
}

/** The traits to merge into the profile: preferences live in their own tables, so the profile keeps no stale copy. */
export function traitsWithoutPreferences(traits: Record<string, unknown>): Record<string, unknown> {
  const found = carrier(traits);
  if (!found) return traits;
  if (!found.nested) {
    const { preferences: _taken, ...rest } = traits;
    return rest;
  }
  const { preferences: _taken, ...courier } = traits.courier as Record<string, unknown>;
  return { ...traits, courier };
}

/** Courier's two shapes of a user's preferences, as checked inputs and the problems of the rest. */
function parseTraitPreferences(value: unknown): { inputs: PreferenceInput[]; errors: string[] } {
  const inputs: PreferenceInput[] = [];
  const errors: string[] = [];
  const take = (topicId: unknown, raw: unknown, where: string) => {
    if (typeof topicId !== 'string' || !ID.test(topicId)) return errors.push(`${where}: topic id must be letters, digits, _, ., : or -`);
    const input = preferenceInput(topicId, raw, where);
    if (typeof input === 'string') errors.push(input);
    else inputs.push(input);
  };
  if (!isPlainObject(value)) return { inputs, errors: ['preferences must be an object: { items: [...] } or { notifications: { <topic_id>: {...} } }'] };
  if (value.items !== undefined) {
    if (!Array.isArray(value.items)) errors.push('preferences.items must be a list');
    else value.items.slice(0, 200).forEach((item, i) => take(isPlainObject(item) ? item.topic_id : undefined, item, `preferences.items[${i}]`));
  }
  if (value.notifications !== undefined) {
    if (!isPlainObject(value.notifications)) errors.push('preferences.notifications must be an object keyed by topic id');
    else
      Object.entries(value.notifications).slice(0, 200).forEach(([topicId, raw]) => {
        // Courier's profile shape names channels as `channel_preferences: [{ channel }]`.
        const prefs = isPlainObject(raw) && Array.isArray(raw.channel_preferences) && raw.custom_routing === undefined
          ? { ...raw, has_custom_routing: raw.channel_preferences.length > 0, custom_routing: raw.channel_preferences.map((c) => (isPlainObject(c) ? c.channel : c)) }
          : raw;
        take(topicId, isPlainObject(prefs) ? { status: prefs.status, has_custom_routing: prefs.has_custom_routing, custom_routing: prefs.custom_routing } : prefs, `preferences.notifications.${topicId}`);
      });
  }
  if (value.items === undefined && value.notifications === undefined) errors.push('preferences must carry items or notifications');
  return { inputs, errors };
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
