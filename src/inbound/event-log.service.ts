import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { badRequest, notFound } from '../common/errors/api-error';
import { decodeCursor, Page, toPage } from '../common/http/pagination';
import type { JsonObject } from '../common/json/json-merge';
import { MappingsService, MappingTarget } from '../automations/mappings/mappings.service';
import { InboundEventType } from './event-type.entity';
import { InboundEvent, InboundEventOutcome } from './inbound-event.entity';
import type { NormalizedEvent } from './inbound-event';

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
  body: JsonObject;
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

  /** Inserts the event as `received`; returns its id, or null when the messageId is already logged. */
  async insertReceived(workspaceId: string, event: NormalizedEvent): Promise<string | null> {
    const rows: Array<{ id: string }> = await this.db.query(
      `INSERT INTO inbound_events (workspace_id, message_id, type, event_id, user_id, body)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (workspace_id, message_id) DO NOTHING RETURNING id`,
      [workspaceId, event.messageId, event.type, event.eventId, event.recipientId, event.body],
    );
    return rows[0]?.id ?? null;
  }

  /** Batch form of insertReceived: one statement; returns messageId → row id for the rows it inserted. */
  async insertReceivedMany(workspaceId: string, events: NormalizedEvent[]): Promise<Map<string, string>> {
    const rows = (await this.db.query(
      `INSERT INTO inbound_events (workspace_id, message_id, type, event_id, user_id, body)
       SELECT $1, e->>'messageId', e->>'type', e->>'eventId', e->>'recipientId', e->'body'
       FROM jsonb_array_elements($2::jsonb) AS t(e)
       ON CONFLICT (workspace_id, message_id) DO NOTHING RETURNING id, message_id`,
      [workspaceId, JSON.stringify(events.map((e) => ({ messageId: e.messageId, type: e.type, eventId: e.eventId, recipientId: e.recipientId, body: e.body })))],
    )) as Array<{ id: string; message_id: string }>;
    return new Map(rows.map((r) => [r.message_id, r.id]));
  }

  async findByMessageIds(workspaceId: string, messageIds: string[]): Promise<Map<string, { id: string; state: string }>> {
    if (!messageIds.length) return new Map();
    const rows = (await this.db.query('SELECT id, state, message_id FROM inbound_events WHERE workspace_id = $1 AND message_id = ANY($2)', [
      workspaceId, messageIds,
    ])) as Array<{ id: string; state: string; message_id: string }>;
    return new Map(rows.map((r) => [r.message_id, { id: r.id, state: r.state }]));
  }

  /** Batch form of markAccepted: the ids this call flipped from received to accepted. */
  async markAcceptedMany(ids: string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const [rows] = (await this.db.query(
      `UPDATE inbound_events SET state = 'accepted' WHERE id = ANY($1::bigint[]) AND state = 'received' RETURNING id`,
      [ids],
    )) as [Array<{ id: string }>, number];
    return new Set(rows.map((r) => String(r.id)));
  }

  async countDuplicates(ids: string[]): Promise<void> {
    if (!ids.length) return;
    // An id may appear several times (a messageId repeated inside one batch): count each.
    await this.db.query(
      `UPDATE inbound_events e SET duplicate_count = e.duplicate_count + c.n
       FROM (SELECT id, count(*)::int AS n FROM unnest($1::bigint[]) AS id GROUP BY id) c WHERE e.id = c.id`,
      [ids],
    );
  }

  async findByMessageId(workspaceId: string, messageId: string): Promise<{ id: string; state: string } | null> {
    const rows: Array<{ id: string; state: string }> = await this.db.query(
      'SELECT id, state FROM inbound_events WHERE workspace_id = $1 AND message_id = $2',
      [workspaceId, messageId],
    );
    return rows[0] ?? null;
  }

  /** Flips received → accepted; true only for the one caller that flipped it. */
  async markAccepted(id: string): Promise<boolean> {
    // TypeORM returns [rows, affected] for UPDATE.
    const [, affected]: [unknown[], number] = await this.db.query(
      `UPDATE inbound_events SET state = 'accepted' WHERE id = $1 AND state = 'received'`,
      [id],
    );
    return affected > 0;
  }

  async countDuplicate(id: string): Promise<void> {
    await this.db.query('UPDATE inbound_events SET duplicate_count = duplicate_count + 1 WHERE id = $1', [id]);
  }

  async getBody(workspaceId: string, id: string): Promise<{ body: JsonObject } | null> {
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
    const qb = this.db
      .getRepository(InboundEvent)
      .createQueryBuilder('e')
      .where('e.workspace_id = :workspaceId', { workspaceId })
      .orderBy('e.id', 'DESC')
      .limit(limit + 1);
    const before = decodeCursor(cursor);
    if (before !== undefined) {
      if (!/^\d+$/.test(before)) throw badRequest('cursor is not valid');
      qb.andWhere('e.id < :before', { before });
    }
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
      case 'pending':
        qb.andWhere('e.outcome IS NULL');
        break;
      case 'duplicate':
        qb.andWhere('e.duplicate_count > 0');
        break;
      default:
        qb.andWhere('e.outcome = :status', { status: filter.status });
    }
    return toPage(await qb.getMany(), limit, toLogView, (e) => e.id);
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
    const after = decodeCursor(cursor);
    if (after !== undefined) qb.andWhere('t.event_id > :after', { after });
    const page = toPage(await qb.getMany(), limit, toCatalogView, (t) => t.eventId);
    const links = await this.mappings.targetsFor(workspaceId, page.items.map((i) => i.event_id));
    for (const item of page.items) item.automations = links[item.event_id] ?? [];
    return page;
  }
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
