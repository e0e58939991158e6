import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { badRequest, notFound } from '../common/errors/api-error';
import { Keyset } from '../common/http/pagination';
import type { Queryable } from '../database/queryable';

/** A list in Courier's shape. */
export interface ListView {
  id: string;
  name: string;
  preferences: Record<string, unknown> | null;
  created: string;
  updated: string;
}

/** A subscription in Courier's shape. */
export interface SubscriptionView {
  recipientId: string;
  preferences: Record<string, unknown> | null;
  created: string;
}

/** Courier's paged answer: `{ items, paging: { cursor, more } }`. */
export interface CourierPage<T> {
  items: T[];
  paging: { cursor: string | null; more: boolean };
}

/** Dotted ids of letters, digits, `_` and `-` (`product.beta.eu`, Segment's `<audience key>-<audience id>`). */
const LIST_ID = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;
/** A pattern: the same segments, where `*` stands for exactly one whole segment (`product.*.eu`). */
const LIST_PATTERN = /^(?:[A-Za-z0-9_-]+|\*)(?:\.(?:[A-Za-z0-9_-]+|\*))*$/;
const MAX_ID = 200;
const MAX_USER_ID = 512;
export const MAX_BULK = 1000;

const LISTS = new Keyset([{ column: 'id', type: 'text' }], 'ASC');
const SUBSCRIPTIONS = new Keyset([{ column: 'user_id', type: 'text' }], 'ASC');

export function checkListId(id: string): void {
  if (typeof id !== 'string' || !id || id.length > MAX_ID || !LIST_ID.test(id)) {
    throw badRequest('list id must be dotted segments of letters, digits, _ or - (e.g. "product.beta.eu"), at most 200 characters');
  }
}

/** A list pattern as a Postgres regular expression (anchored; `*` is one segment). */
export function patternRegex(pattern: string): string {
  if (typeof pattern !== 'string' || !pattern || pattern.length > MAX_ID || !LIST_PATTERN.test(pattern)) {
    throw badRequest('list_pattern must be dotted segments where * stands for one whole segment (e.g. "product.*.eu")');
  }
  return `^${pattern.split('.').map((s) => (s === '*' ? '[A-Za-z0-9_-]+' : s.replace(/-/g, '\\-'))).join('\\.')}$`;
}

function checkUserId(userId: unknown, field: string): string {
  if (typeof userId !== 'string' || !userId || userId.length > MAX_USER_ID || /\u0000/.test(userId)) throw badRequest(`${field} must be a user id of 1 to ${MAX_USER_ID} characters`);
  return userId;
}

function checkPreferences(value: unknown, field: string): Record<string, unknown> | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw badRequest(`${field} must be an object`);
  if (JSON.stringify(value).length > 10_000) throw badRequest(`${field} is larger than 10 KB`);
  return value as Record<string, unknown>;
}

/**
 * Lists and their subscriptions (SPEC section 8, Courier's API). Subscribing to a list that does
 * not exist creates it (named after its id), as Courier does — Segment's "Sync Audience" action
 * subscribes users to `<audience key>-<audience id>` without creating the list first.
 * Unsubscribing someone who is not subscribed is a 204 too, so a retried DELETE is harmless.
 */
@Injectable()
export class ListsService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async put(workspaceId: string, id: string, body: { name?: unknown; preferences?: unknown }): Promise<void> {
    checkListId(id);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest('body must be { name, preferences? }');
    if (typeof body.name !== 'string' || !body.name.trim() || body.name.length > 200) throw badRequest('name must be a non-empty string of at most 200 characters');
    const preferences = checkPreferences(body.preferences, 'preferences');
    await this.db.query(
      `INSERT INTO lists (workspace_id, id, name, preferences) VALUES ($1, $2, $3, $4)
       ON CONFLICT (workspace_id, id) DO UPDATE SET name = EXCLUDED.name, preferences = EXCLUDED.preferences, updated_at = now()`,
      [workspaceId, id, body.name, preferences === null ? null : JSON.stringify(preferences)],
    );
  }

  async get(workspaceId: string, id: string): Promise<ListView> {
    const [row] = (await this.db.query('SELECT * FROM lists WHERE workspace_id = $1 AND id = $2', [workspaceId, id])) as ListRow[];
    if (!row) throw notFound(`list ${JSON.stringify(id)} not found`);
    return listView(row);
  }

  /** GET /lists?pattern=: every list, or those matching a pattern, by id. */
  async list(workspaceId: string, pattern: string | undefined, limit: number, cursor?: string): Promise<CourierPage<ListView>> {
    const params: unknown[] = [workspaceId];
    const where = ['workspace_id = $1'];
    if (pattern !== undefined && pattern !== '') where.push(`id ~ $${params.push(patternRegex(pattern))}`);
    const after = LISTS.where(cursor, params);
    if (after) where.push(after);
    params.push(limit + 1);
    const rows = (await this.db.query(`SELECT * FROM lists WHERE ${where.join(' AND ')} ORDER BY ${LISTS.orderBy()} LIMIT $${params.length}`, params)) as ListRow[];
    return courier(LISTS.pageOf(rows, limit, listView, (r) => [r.id]));
  }

  async delete(workspaceId: string, id: string): Promise<void> {
    const [, affected] = (await this.db.query('DELETE FROM lists WHERE workspace_id = $1 AND id = $2', [workspaceId, id])) as [unknown, number];
    if (!affected) throw notFound(`list ${JSON.stringify(id)} not found`);
  }

  async subscriptions(workspaceId: string, listId: string, limit: number, cursor?: string): Promise<CourierPage<SubscriptionView>> {
    await this.get(workspaceId, listId);
    const params: unknown[] = [workspaceId, listId];
    const after = SUBSCRIPTIONS.where(cursor, params);
    params.push(limit + 1);
    const rows = (await this.db.query(
      `SELECT user_id, preferences, created_at FROM list_subscriptions WHERE workspace_id = $1 AND list_id = $2${after ? ` AND ${after}` : ''}
       ORDER BY ${SUBSCRIPTIONS.orderBy()} LIMIT $${params.length}`,
      params,
    )) as SubscriptionRow[];
    return courier(SUBSCRIPTIONS.pageOf(rows, limit, subscriptionView, (r) => [r.user_id]));
  }

  /** PUT /lists/{id}/subscriptions/{user}: subscribes one user (the list is created if need be). */
  async subscribe(workspaceId: string, listId: string, userId: string, body?: { preferences?: unknown }, tx: Queryable = this.db): Promise<void> {
    await this.subscribeMany(workspaceId, listId, [{ recipientId: userId, preferences: body?.preferences }], false, tx);
  }

  /**
   * POST (add) or PUT (replace) /lists/{id}/subscriptions with `{ recipients: [{ recipientId,
   * preferences? }] }`, at most 1000; all checked before anything is written.
   */
  async subscribeMany(workspaceId: string, listId: string, recipients: unknown, replace: boolean, tx: Queryable = this.db): Promise<void> {
    checkListId(listId);
    if (!Array.isArray(recipients)) throw badRequest('recipients must be a list of { recipientId, preferences? }');
    if (recipients.length > MAX_BULK) throw badRequest(`recipients: at most ${MAX_BULK} at a time`);
    const rows = recipients.map((r, i) => {
      if (r === null || typeof r !== 'object' || Array.isArray(r)) throw badRequest(`recipients[${i}] must be { recipientId, preferences? }`);
      const { recipientId, preferences } = r as { recipientId?: unknown; preferences?: unknown };
      return { user_id: checkUserId(recipientId, `recipients[${i}].recipientId`), preferences: checkPreferences(preferences, `recipients[${i}].preferences`) };
    });
    const write = async (q: Queryable) => {
      await q.query(`INSERT INTO lists (workspace_id, id, name) VALUES ($1, $2, $2) ON CONFLICT DO NOTHING`, [workspaceId, listId]);
      if (replace) await q.query('DELETE FROM list_subscriptions WHERE workspace_id = $1 AND list_id = $2', [workspaceId, listId]);
      if (!rows.length) return;
      await q.query(
        `INSERT INTO list_subscriptions (workspace_id, list_id, user_id, preferences)
         SELECT $1, $2, r.user_id, r.preferences FROM jsonb_to_recordset($3::jsonb) AS r(user_id text, preferences jsonb)
         ON CONFLICT (workspace_id, list_id, user_id) DO UPDATE SET preferences = EXCLUDED.preferences`,
        [workspaceId, listId, JSON.stringify(dedupe(rows))],
      );
    };
    if (tx !== this.db) await write(tx);
    else await this.db.transaction(write);
  }

  async unsubscribe(workspaceId: string, listId: string, userId: string): Promise<void> {
    checkListId(listId);
    await this.db.query('DELETE FROM list_subscriptions WHERE workspace_id = $1 AND list_id = $2 AND user_id = $3', [workspaceId, listId, userId]);
  }
}

interface ListRow {
  id: string;
  name: string;
  preferences: Record<string, unknown> | null;
  created_at: Date;
  updated_at: Date;
}

interface SubscriptionRow {
  user_id: string;
  preferences: Record<string, unknown> | null;
  created_at: Date;
}

const listView = (r: ListRow): ListView => ({ id: r.id, name: r.name, preferences: r.preferences, created: r.created_at.toISOString(), updated: r.updated_at.toISOString() });
const subscriptionView = (r: SubscriptionRow): SubscriptionView => ({ recipientId: r.user_id, preferences: r.preferences, created: r.created_at.toISOString() });
const courier = <T>(page: { items: T[]; has_more: boolean; cursor: string | null }): CourierPage<T> => ({ items: page.items, paging: { cursor: page.cursor, more: page.has_more } });

/** The last entry of a user wins (one INSERT cannot touch a row twice). */
function dedupe<T extends { user_id: string }>(rows: T[]): T[] {
  return [...new Map(rows.map((r) => [r.user_id, r])).values()];
}
