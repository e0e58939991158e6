import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { NormalizedEvent } from './inbound-event';

export interface LedgerRow extends NormalizedEvent {
  workspaceId: string;
  shard: number;
}

export interface LedgerCommit {
  /** The messageIds of this call that it inserted (the first occurrence wins; the others were already there). */
  inserted: Set<string>;
  /** Per shard that got rows: how much longer its dispatcher promised to keep polling (0: wake it). */
  pollingMsLeft: Map<number, number>;
}

interface Pending {
  rows: LedgerRow[];
  resolve: (commit: LedgerCommit) => void;
  reject: (err: unknown) => void;
}

/** Rows per group commit: bounded, so one statement's JSON stays a few megabytes at most. */
const MAX_GROUP_ROWS = 2000;

/**
 * Commits inbound events to the ledger with group commit: requests that arrive while a commit is
 * in flight are written together by the next one, in one multi-row INSERT (the rows of every
 * workspace in one statement). An idle server commits each request at once (no added delay);
 * under load a single-event request shares a statement with its neighbours, which costs Postgres
 * a fraction of a statement per event. Every caller is answered only once its rows are
 * committed. A statement that fails (a row Postgres cannot store) is retried request by request,
 * so each request gets its own answer.
 */
@Injectable()
export class LedgerWriter {
  private queue: Pending[] = [];
  private flushing = false;

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  write(rows: LedgerRow[]): Promise<LedgerCommit> {
    return new Promise<LedgerCommit>((resolve, reject) => {
      this.queue.push({ rows, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length) {
        const group: Pending[] = [];
        let size = 0;
        while (this.queue.length && (group.length === 0 || size + this.queue[0].rows.length <= MAX_GROUP_ROWS)) {
          const next = this.queue.shift()!;
          group.push(next);
          size += next.rows.length;
        }
        await this.commitGroup(group);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async commitGroup(group: Pending[]): Promise<void> {
    try {
      const results = await this.insert(group.map((p) => p.rows));
      group.forEach((p, i) => p.resolve(results[i]));
    } catch (err) {
      if (group.length === 1) {
        group[0].reject(err);
        return;
      }
      // One request's rows broke the statement: give each request its own attempt (and error).
      for (const p of group) {
        try {
          p.resolve((await this.insert([p.rows]))[0]);
        } catch (e) {
          p.reject(e);
        }
      }
    }
  }

  /** One statement for the rows of several requests; the answer of each, in order. */
  private async insert(requests: LedgerRow[][]): Promise<LedgerCommit[]> {
    const flat = requests.flatMap((rows, r) => rows.map((e) => ({ r, ws: e.workspaceId, messageId: e.messageId, type: e.type, eventId: e.eventId, recipientId: e.recipientId, body: e.body, shard: e.shard })));
    const inserted = (await this.db.query(
      `WITH ins AS (
         INSERT INTO inbound_events (workspace_id, message_id, type, event_id, user_id, body, shard, state)
         SELECT e->>'ws', e->>'messageId', e->>'type', e->>'eventId', e->>'recipientId', e->'body', (e->>'shard')::smallint, 'accepted'
         FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(e, n) ORDER BY n
         ON CONFLICT (workspace_id, message_id) DO NOTHING RETURNING workspace_id, message_id, shard)
       SELECT ins.workspace_id, ins.message_id, ins.shard,
         COALESCE(GREATEST(0, extract(epoch from (d.polling_until - clock_timestamp())) * 1000), 0)::int AS polling_ms_left
       FROM ins LEFT JOIN dispatch_shards d ON d.workspace_id = ins.workspace_id AND d.shard = ins.shard`,
      [JSON.stringify(flat)],
    )) as Array<{ workspace_id: string; message_id: string; shard: number; polling_ms_left: number }>;
    const won = new Map(inserted.map((row) => [`${row.workspace_id}\u0000${row.message_id}`, row]));
    const results = requests.map((): LedgerCommit => ({ inserted: new Set(), pollingMsLeft: new Map() }));
    // A messageId inserted by this statement belongs to the first request (in order) that carried it.
    for (const e of flat) {
      const key = `${e.ws}\u0000${e.messageId}`;
      const row = won.get(key);
      if (!row) continue;
      won.delete(key);
      results[e.r].inserted.add(e.messageId);
      results[e.r].pollingMsLeft.set(row.shard, row.polling_ms_left);
    }
    return results;
  }
}
