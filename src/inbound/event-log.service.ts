import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { notFound } from '../common/errors/api-error';
import { Keyset, Page } from '../common/http/pagination';

/** Bodies up to this size (as stored, compressed) are read with the claim itself. */
const INLINE_BODY_BYTES = 64 * 1024;
const LOG_KEYSET = new Keyset([{ column: 'id', type: 'bigint' }]);
const CATALOG_KEYSET = new Keyset([{ column: 'event_id', type: 'text' }], 'ASC');
import type { JsonObject } from '../common/json/json-merge';
import { MappingsService, MappingTarget } from '../automations/mappings/mappings.service';
import { InboundEventType } from './event-type.entity';
import { InboundEvent, InboundEventOutcome } from './inbound-event.entity';
import type { Queryable } from '../database/queryable';
import type { LedgerEvent } from '../automations/runs/event-runs.service';

export interface EventLogEntryView {
  id: string;
  message_id: string;
  type: string;
  event_id: string;
  user_id: string | null;
  received_at: string;
  state: string;
  /** processed | unmapped | failed, or pending while the ingest workflow runs. */
  status: string;
  run_ids: string[];
  error: string | null;
  processed_at: string | null;
  duplicate_count: number;
  /** null once retention pruned it (HERALD_RETAIN_EVENT_BODIES); the row and its outcome stay. */
  body: JsonObject | null;
}

export interface CatalogEntryView {
  event_id: string;
  type: string;
  count: number;
  first_seen: string;
  last_received: string;
  sample: JsonObject;
  /** Automations linked to this event id. */
  automations: MappingTarget[];
}

export interface LogFilter {
  type?: string;
  event?: string;
  status?: string;
}

/** The inbound ledger (one row per workspace + messageId) and the event catalog. */
@Injectable()
export class EventLogService {
  constructor(@InjectDataSource() private readonly db: DataSource, private readonly mappings: MappingsService) {}

  /** Counts answers given as duplicates (a messageId may appear several times: each counts). */
  async countDuplicates(workspaceId: string, messageIds: string[]): Promise<void> {
    if (!messageIds.length) return;
    await this.db.query(
      `UPDATE inbound_events e SET duplicate_count = e.duplicate_count + c.n
       FROM (SELECT m, count(*)::int AS n FROM unnest($2::text[]) AS m GROUP BY m) c WHERE e.workspace_id = $1 AND e.message_id = c.m`,
      [workspaceId, messageIds],
    );
  }

  /**
   * Claims a shard's oldest unprocessed rows, in ledger order, locked for the caller's
   * transaction (a second attempt of the same batch waits, then skips what the first
   * processed). Bounded by count and by body size, so a run of 4 MB events still fits.
   */
  async claim(tx: Queryable, workspaceId: string, shard: number, limit: number, maxBytes: number): Promise<{ events: LedgerEvent[]; more: boolean }> {
    // Bodies come with the claim unless they are large; those are read once the batch's size is known.
    const heads = (await tx.query(
      `SELECT id, type, event_id, user_id, pg_column_size(body) AS size, CASE WHEN pg_column_size(body) <= $4 THEN body END AS body
       FROM inbound_events WHERE workspace_id = $1 AND shard = $2 AND outcome IS NULL ORDER BY id LIMIT $3 FOR UPDATE`,
      [workspaceId, shard, limit, INLINE_BODY_BYTES],
    )) as Array<LedgerEvent & { size: number }>;
    let bytes = 0;
    let take = 0;
    while (take < heads.length && (take === 0 || bytes + heads[take].size <= maxBytes)) bytes += heads[take++].size;
    if (!take) return { events: [], more: false };
    const events = heads.slice(0, take);
    const large = events.filter((e) => e.body === null).map((e) => e.id);
    if (large.length) {
      const bodies = (await tx.query('SELECT id, body FROM inbound_events WHERE id = ANY($1::bigint[])', [large])) as Array<{ id: string; body: JsonObject }>;
      const byId = new Map(bodies.map((b) => [b.id, b.body]));
      for (const e of events) if (e.body === null) e.body = byId.get(e.id)!;
    }
    return { events: events.map(({ size: _size, ...e }) => e), more: take < heads.length || heads.length === limit };
  }

  /**
   * Records how each event of a batch ended (processed, unmapped, failed; the runs it started)
   * and counts them in the catalog, in the caller's transaction: one statement each.
   */
  async recordOutcomes(tx: Queryable, workspaceId: string, outcomes: Array<{ id: string; outcome: InboundEventOutcome; runIds: string[]; error: string | null }>): Promise<void> {
    if (!outcomes.length) return;
    await tx.query(
      `WITH done AS (
         UPDATE inbound_events e SET outcome = o.outcome, run_ids = o.run_ids, error = o.error, processed_at = now()
         FROM jsonb_to_recordset($2::jsonb) AS o(id bigint, outcome text, run_ids jsonb, error text)
         WHERE e.workspace_id = $1 AND e.id = o.id AND e.outcome IS NULL
         RETURNING e.id, e.type, e.event_id, e.body, e.received_at),
       per_type AS (
         SELECT DISTINCT ON (event_id) event_id, type, body AS sample, received_at AS last_seen,
           count(*) OVER (PARTITION BY event_id) AS n, min(received_at) OVER (PARTITION BY event_id) AS first_seen
         FROM done ORDER BY event_id, received_at DESC, id DESC)
       INSERT INTO inbound_event_types AS t (workspace_id, event_id, type, count, first_seen_at, last_seen_at, sample)
       SELECT $1::varchar, event_id, type, n, first_seen, last_seen, sample FROM per_type
       ON CONFLICT (workspace_id, event_id) DO UPDATE SET
         count = t.count + EXCLUDED.count,
         first_seen_at = LEAST(t.first_seen_at, EXCLUDED.first_seen_at),
         last_seen_at = GREATEST(t.last_seen_at, EXCLUDED.last_seen_at),
         sample = CASE WHEN EXCLUDED.last_seen_at >= t.last_seen_at THEN EXCLUDED.sample ELSE t.sample END`,
      [workspaceId, JSON.stringify(outcomes.map((o) => ({ id: o.id, outcome: o.outcome, run_ids: o.runIds, error: o.error })))],
    );
  }

  async getBody(workspaceId: string, id: string): Promise<{ body: JsonObject | null } | null> {
    return this.db.getRepository(InboundEvent).findOne({ where: { workspaceId, id }, select: { id: true, body: true } });
  }

  /**
   * Sets the outcome once and counts the event in the catalog in the same transaction;
   * a retried call finds the outcome set and changes nothing.
   */
  async recordOutcome(
    workspaceId: string,
    id: string,
    outcome: InboundEventOutcome,
    runIds: string[],
    error?: string,
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      const updated: [Array<{ type: string; event_id: string; body: JsonObject; received_at: Date }>, number] = await tx.query(
        `UPDATE inbound_events SET outcome = $3, run_ids = $4, error = $5, processed_at = now()
         WHERE workspace_id = $1 AND id = $2 AND outcome IS NULL
         RETURNING type, event_id, body, received_at`,
        [workspaceId, id, outcome, JSON.stringify(runIds), error ?? null],
      );
      const row = updated[0][0];
      if (!row) return;
      await tx.query(
        `INSERT INTO inbound_event_types AS t (workspace_id, event_id, type, count, first_seen_at, last_seen_at, sample)
         VALUES ($1, $2, $3, 1, $4, $4, $5)
         ON CONFLICT (workspace_id, event_id) DO UPDATE SET
           count = t.count + 1,
           first_seen_at = LEAST(t.first_seen_at, EXCLUDED.first_seen_at),
           last_seen_at = GREATEST(t.last_seen_at, EXCLUDED.last_seen_at),
           sample = CASE WHEN EXCLUDED.last_seen_at >= t.last_seen_at THEN EXCLUDED.sample ELSE t.sample END`,
        [workspaceId, row.event_id, row.type, row.received_at, row.body],
      );
    });
  }

  async listLog(workspaceId: string, filter: LogFilter, limit: number, cursor?: string): Promise<Page<EventLogEntryView>> {
    // Ordered by (workspace_id, id) with the workspace matched by = ANY of one element: with a
    // plain =, Postgres drops workspace_id from the ORDER BY as a constant and may walk the global
    // primary key on id backward, filtering out other workspaces' rows (for a workspace quiet
    // behind busy ones, the whole ledger). This way only the per-workspace indexes give the order.
    const qb = this.db
      .getRepository(InboundEvent)
      .createQueryBuilder('e')
      .where('e.workspace_id = ANY(ARRAY[:workspaceId])', { workspaceId })
      .orderBy('e.workspaceId', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .limit(limit + 1);
    const [before] = LOG_KEYSET.decode(cursor) ?? [];
    if (before !== undefined) qb.andWhere('e.id < :before', { before });
    applyLogFilter(qb, filter);
    return LOG_KEYSET.pageOf(await qb.getMany(), limit, toLogView, (e) => [e.id]);
  }

  async getLogEntry(workspaceId: string, id: string): Promise<EventLogEntryView> {
    const row = /^\d{1,18}$/.test(id) ? await this.db.getRepository(InboundEvent).findOneBy({ workspaceId, id }) : null;
    if (!row) throw notFound(`event log entry ${JSON.stringify(id)} not found`);
    return toLogView(row);
  }

  async catalog(workspaceId: string, limit: number, cursor?: string): Promise<Page<CatalogEntryView>> {
    const qb = this.db
      .getRepository(InboundEventType)
      .createQueryBuilder('t')
      .where('t.workspace_id = :workspaceId', { workspaceId })
      .orderBy('t.event_id', 'ASC')
      .limit(limit + 1);
    const [after] = CATALOG_KEYSET.decode(cursor) ?? [];
    if (after !== undefined) qb.andWhere('t.event_id > :after', { after });
    const page = CATALOG_KEYSET.pageOf(await qb.getMany(), limit, toCatalogView, (t) => [t.eventId]);
    const links = await this.mappings.targetsFor(workspaceId, page.items.map((i) => i.event_id));
    for (const item of page.items) item.automations = links[item.event_id] ?? [];
    return page;
  }
}

/** The event log's filter (type, event, status) on a query over `inbound_events e`: the log and bulk replays select alike. */
export function applyLogFilter<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, filter: LogFilter): SelectQueryBuilder<T> {
  // IDX_inbound_type.
  if (filter.type) qb.andWhere('e.type = :type', { type: filter.type.toLowerCase() });
  if (filter.event) {
    const ids = filter.event.includes('/') || ['identify', 'group', 'alias', 'page', 'screen'].includes(filter.event)
      ? [filter.event]
      : ['track', 'page', 'screen'].map((t) => `${t}/${filter.event}`);
    qb.andWhere('e.event_id IN (:...ids)', { ids });
  }
  switch (filter.status) {
    case undefined:
    case '':
      break;
    case 'duplicate':
      // IDX_inbound_duplicates (partial).
      qb.andWhere('e.duplicate_count > 0');
      break;
    default:
      // pending is a null outcome: compared as IDX_inbound_outcome's expression, every status reads it in order.
      qb.andWhere(`COALESCE(e.outcome, 'pending') = :status`, { status: filter.status });
  }
  return qb;
}

function toLogView(e: InboundEvent): EventLogEntryView {
  return {
    id: e.id,
    message_id: e.messageId,
    type: e.type,
    event_id: e.eventId,
    user_id: e.userId,
    received_at: e.receivedAt.toISOString(),
    state: e.state,
    status: e.outcome ?? 'pending',
    run_ids: e.runIds,
    error: e.error,
    processed_at: e.processedAt?.toISOString() ?? null,
    duplicate_count: e.duplicateCount,
    body: e.body,
  };
}

function toCatalogView(t: InboundEventType): CatalogEntryView {
  return {
    event_id: t.eventId,
    type: t.type,
    count: Number(t.count),
    first_seen: t.firstSeenAt.toISOString(),
    last_received: t.lastSeenAt.toISOString(),
    sample: t.sample,
    automations: [],
  };
}
