import { isPlainObject } from '../../workflows/shared/json';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { DateTime } from 'luxon';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { broadcastWorkflowId } from '../../workflows/shared/workflow-ids';
import { SA_WORKSPACE } from '../../workflows/shared/search-attributes';
import { isRetryable } from '../automations/engine/retryable';
import { RunPlanner, RunRequest } from '../automations/runs/run-planner.service';
import { RunStarter } from '../automations/runs/run-starter.service';
import { mapWithConcurrency } from '../common/concurrency';
import { badRequest, conflict, notFound } from '../common/errors/api-error';
import { Keyset, Page } from '../common/http/pagination';
import { derivedUuid } from '../common/ids';
import { HERALD_CONFIG, HeraldConfig } from '../config/herald-config';
import { DeliveryService, RetryDelivery } from '../messages/delivery.service';
import type { DeliveryRequest, MessageStatus } from '../messages/delivery.types';
import { DeliveryWindowsService } from '../messages/delivery-windows.service';
import { TemporalClientService } from '../temporal/temporal-client.service';
import { temporalFailure } from '../temporal/temporal-errors';
import { WorkflowTerminator } from '../temporal/workflow-terminator.service';
import { RecipientSource, recipientSource, recipientsSql } from './recipient-source';

export const BROADCAST_STATUSES = ['DRAFT', 'SCHEDULED', 'RUNNING', 'PAUSED', 'COMPLETED', 'CANCELED', 'FAILED'] as const;
export type BroadcastStatus = (typeof BROADCAST_STATUSES)[number];

/** What each recipient gets: a notification template (with a /send's extras), or an automation run. */
export type BroadcastTarget =
  | { template: string | null; request?: Partial<DeliveryRequest> }
  | { automation: string }
  | { sequence: string };

export interface BroadcastView {
  id: string;
  kind: 'broadcast' | 'send';
  name: string | null;
  source: RecipientSource;
  target: BroadcastTarget;
  data: Record<string, unknown>;
  status: BroadcastStatus;
  send_at: string | null;
  use_recipient_timezone: boolean;
  rate_per_second: number | null;
  progress: { targeted: number; sent: number; filtered: number; failed: number; pending: number };
  error: string | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  completed_at: string | null;
}

/** What the broadcast workflow does after a batch. */
export type BatchOutcome = { next: 'more' } | { next: 'sleep'; ms: number } | { next: 'paused' } | { next: 'done'; status: BroadcastStatus };

/** Recipients per activity call (one batch), per recorded chunk, and in flight at once. */
const BATCH = 1000;
const CHUNK = 50;
const CONCURRENCY = 16;
/** An activity call returns after this long, so progress is checkpointed in the workflow too. */
const MAX_BATCH_MS = 20_000;
const MAX_SLEEP_MS = 24 * 3600_000;
const RETRY_AFTER_S = 30;
const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?$/;
const KEYSET = new Keyset([{ column: 'created_at', type: 'timestamptz' }, { column: 'id', type: 'text' }]);

type Recorded = { user_id: string; state: 'pending' | 'sent' | 'filtered' | 'failed'; due_at?: string; released?: boolean; attempts?: number; message_status?: string | null };

const FILTERED: MessageStatus[] = ['FILTERED'];
const FAILED: MessageStatus[] = ['UNDELIVERABLE', 'UNROUTABLE', 'UNMAPPED', 'CANCELED'];

/**
 * Broadcasts (SPEC section 8), and the engine behind every send to many recipients (a /send to
 * a list, pattern or audience is a broadcast of kind `send`). A broadcast's workflow pages
 * through its recipients in batches, one activity call per batch of up to 1,000 (continuing as
 * new every 100 batches), delivering inside the activity at the set rate: no workflow per
 * recipient. The recipients are taken once, when it starts, into broadcast_recipients with the
 * time each is due; each recipient's message id is `<broadcast id>:<user id>`, so a retried
 * batch re-delivers nobody (delivery is idempotent per message id), and a recipient's row
 * moves from pending to its outcome once, with the counters in the same statement.
 */
@Injectable()
export class BroadcastsService {
  private readonly logger = new Logger('Broadcasts');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly delivery: DeliveryService,
    private readonly windows: DeliveryWindowsService,
    private readonly planner: RunPlanner,
    private readonly starter: RunStarter,
    private readonly temporal: TemporalClientService,
    private readonly terminator: WorkflowTerminator,
  ) {}

  /** POST /broadcasts: a DRAFT (or started at once with `start: true`). */
  async create(workspaceId: string, body: Record<string, unknown>, idempotencyKey?: string): Promise<BroadcastView> {
    if (!isPlainObject(body)) throw badRequest('body must be a broadcast: { name, list_id | list_pattern | audience_id | tenant_id, template | automation | sequence, ... }');
    if (typeof body.name !== 'string' || !body.name.trim() || body.name.length > 200) throw badRequest('name must be a non-empty string of at most 200 characters');
    const source = recipientSource(body, 'broadcast');
    const targets = (['template', 'automation', 'sequence'] as const).filter((k) => body[k] !== undefined);
    if (targets.length !== 1) throw badRequest('give exactly one of template, automation or sequence');
    const targetValue = body[targets[0]];
    if (typeof targetValue !== 'string' || !targetValue || targetValue.length > 200) throw badRequest(`${targets[0]} must be an id of at most 200 characters`);
    const target = { [targets[0]]: targetValue } as BroadcastTarget;
    if (body.data !== undefined && !isPlainObject(body.data)) throw badRequest('data must be an object');
    if (body.data !== undefined && JSON.stringify(body.data).length > 64_000) throw badRequest('data is larger than 64 KB');
    const useZone = body.use_recipient_timezone ?? false;
    if (typeof useZone !== 'boolean') throw badRequest('use_recipient_timezone must be true or false');
    const rate = body.rate_per_second ?? null;
    if (rate !== null && (typeof rate !== 'number' || !Number.isInteger(rate) || rate < 1 || rate > 1000)) throw badRequest('rate_per_second must be a whole number from 1 to 1000');
    const { sendAt, sendAtLocal } = checkSendAt(body.send_at, useZone);
    if (body.start !== undefined && typeof body.start !== 'boolean') throw badRequest('start must be true or false');
    const id = idempotencyKey ? derivedUuid(workspaceId, 'POST /broadcasts', idempotencyKey) : randomUUID();
    await this.db.query(
      `INSERT INTO broadcasts (workspace_id, id, kind, name, source, target, data, send_at, send_at_local, use_recipient_timezone, rate_per_second)
       VALUES ($1, $2, 'broadcast', $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
      [workspaceId, id, body.name, JSON.stringify(source), JSON.stringify(target), JSON.stringify(body.data ?? {}), sendAt, sendAtLocal, useZone, rate],
    );
    if (body.start === true) return this.start(workspaceId, id);
    return this.get(workspaceId, id);
  }

  /**
   * A /send to a list, pattern or audience: a broadcast of kind `send` under the request's id,
   * started at once, whose recipients each get `<requestId>:<userId>`.
   */
  async sendToMany(workspaceId: string, requestId: string, source: RecipientSource, request: Partial<DeliveryRequest>, sendAt: Date | null): Promise<void> {
    await this.db.query(
      `INSERT INTO broadcasts (workspace_id, id, kind, source, target, data, send_at, status) VALUES ($1, $2, 'send', $3, $4, $5, $6, 'RUNNING')
       ON CONFLICT (workspace_id, id) DO UPDATE SET status = 'RUNNING', error = NULL WHERE broadcasts.status = 'FAILED' AND NOT broadcasts.materialized`,
      [workspaceId, requestId, JSON.stringify(source), JSON.stringify({ template: request.template ?? null, request }), JSON.stringify(request.data ?? {}), sendAt],
    );
    try {
      await this.signal(workspaceId, requestId);
    } catch (err) {
      // Nothing was sent: the request ends FAILED (a retry with the same Idempotency-Key starts it again).
      await this.db.query(
        `UPDATE broadcasts SET status = 'FAILED', error = $3, updated_at = now() WHERE workspace_id = $1 AND id = $2 AND NOT materialized`,
        [workspaceId, requestId, `not started: ${(err as Error).message}`],
      );
      throw err;
    }
  }

  async get(workspaceId: string, id: string): Promise<BroadcastView> {
    const [row] = (await this.db.query(`SELECT * FROM broadcasts WHERE workspace_id = $1 AND id = $2`, [workspaceId, id])) as BroadcastRow[];
    if (!row) throw notFound(`broadcast ${JSON.stringify(id)} not found`);
    return view(row);
  }

  async list(workspaceId: string, limit: number, cursor?: string): Promise<Page<BroadcastView>> {
    const params: unknown[] = [workspaceId];
    const after = KEYSET.where(cursor, params);
    params.push(limit + 1);
    const rows = (await this.db.query(
      `SELECT *, ${KEYSET.select()} FROM broadcasts WHERE workspace_id = $1 AND kind = 'broadcast'${after ? ` AND ${after}` : ''} ORDER BY ${KEYSET.orderBy()} LIMIT $${params.length}`,
      params,
    )) as Array<BroadcastRow & Record<string, unknown>>;
    return KEYSET.page(rows, limit, view);
  }

  /** DRAFT → SCHEDULED (it waits for send_at, or for each recipient's local time) or RUNNING; its workflow starts. */
  async start(workspaceId: string, id: string): Promise<BroadcastView> {
    const b = await this.get(workspaceId, id);
    if (b.status !== 'DRAFT') throw conflict(`broadcast is ${b.status}; only a DRAFT can be started`);
    const scheduled = b.use_recipient_timezone || (b.send_at !== null && Date.parse(b.send_at) > Date.now());
    await this.transition(workspaceId, id, ['DRAFT'], scheduled ? 'SCHEDULED' : 'RUNNING', async () => this.signal(workspaceId, id));
    return this.get(workspaceId, id);
  }

  /** RUNNING or SCHEDULED → PAUSED: the batch in flight stops at its next chunk (at most 50 more). */
  async pause(workspaceId: string, id: string): Promise<BroadcastView> {
    await this.transition(workspaceId, id, ['RUNNING', 'SCHEDULED'], 'PAUSED');
    return this.get(workspaceId, id);
  }

  async resume(workspaceId: string, id: string): Promise<BroadcastView> {
    await this.transition(workspaceId, id, ['PAUSED'], 'RUNNING', async () => this.signal(workspaceId, id));
    return this.get(workspaceId, id);
  }

  /** Ends it: recipients not yet messaged are marked canceled; its workflow is closed in the background. */
  async cancel(workspaceId: string, id: string): Promise<BroadcastView> {
    await this.db.transaction(async (tx) => {
      const [row] = (await tx.query(
        `UPDATE broadcasts SET status = 'CANCELED', completed_at = now(), updated_at = now() WHERE workspace_id = $1 AND id = $2 AND status IN ('DRAFT', 'SCHEDULED', 'RUNNING', 'PAUSED') RETURNING id`,
        [workspaceId, id],
      )) as [Array<{ id: string }>, number];
      if (!row.length) {
        const b = await this.get(workspaceId, id);
        throw conflict(`broadcast is ${b.status} already`);
      }
      await tx.query(`UPDATE broadcast_recipients SET state = 'canceled' WHERE workspace_id = $1 AND broadcast_id = $2 AND state = 'pending'`, [workspaceId, id]);
    });
    this.terminator.terminate([broadcastWorkflowId(workspaceId, id)], 'broadcast canceled');
    return this.get(workspaceId, id);
  }

  /** For a schedule's firing: a copy of the broadcast (id `<id>:<runKey>`), started; the same key starts nothing twice. */
  async launchCopy(workspaceId: string, id: string, runKey: string): Promise<BroadcastView> {
    const b = await this.get(workspaceId, id);
    const copyId = `${id}:${runKey}`.slice(0, 200);
    await this.db.query(
      `INSERT INTO broadcasts (workspace_id, id, kind, name, source, target, data, use_recipient_timezone, send_at_local, rate_per_second)
       SELECT workspace_id, $3, 'broadcast', name, source, target, data, use_recipient_timezone, send_at_local, rate_per_second FROM broadcasts WHERE workspace_id = $1 AND id = $2
       ON CONFLICT DO NOTHING`,
      [workspaceId, b.id, copyId],
    );
    const copy = await this.get(workspaceId, copyId);
    return copy.status === 'DRAFT' ? this.start(workspaceId, copyId) : copy;
  }

  /**
   * The broadcast workflow's activity: one batch. Takes the recipients when first called, then
   * delivers the due ones (at most 1,000, or 20 s of work) at the broadcast's rate, recording
   * each chunk of 50 with the counters; stops early when the broadcast is paused or canceled.
   */
  async runBatch(workspaceId: string, id: string, heartbeat: () => void = () => undefined): Promise<BatchOutcome> {
    let [row] = (await this.db.query(`SELECT * FROM broadcasts WHERE workspace_id = $1 AND id = $2`, [workspaceId, id])) as BroadcastRow[];
    if (!row || ['COMPLETED', 'CANCELED', 'FAILED', 'DRAFT'].includes(row.status)) return { next: 'done', status: row?.status ?? 'FAILED' };
    if (row.status === 'PAUSED') return { next: 'paused' };
    if (!row.materialized) row = await this.materialize(row);
    const due = (await this.db.query(
      `SELECT user_id, released, attempts FROM broadcast_recipients WHERE workspace_id = $1 AND broadcast_id = $2 AND state = 'pending' AND due_at <= now()
       ORDER BY due_at, user_id LIMIT ${BATCH}`,
      [workspaceId, id],
    )) as Array<{ user_id: string; released: boolean; attempts: number }>;
    if (!due.length) return this.idle(workspaceId, id);
    if (row.status === 'SCHEDULED') {
      await this.db.query(`UPDATE broadcasts SET status = 'RUNNING', started_at = COALESCE(started_at, now()), updated_at = now() WHERE workspace_id = $1 AND id = $2 AND status = 'SCHEDULED'`, [workspaceId, id]);
    } else if (!row.started_at) {
      await this.db.query(`UPDATE broadcasts SET started_at = now() WHERE workspace_id = $1 AND id = $2 AND started_at IS NULL`, [workspaceId, id]);
    }
    const began = Date.now();
    const pace = pacer(row.rate_per_second);
    for (let i = 0; i < due.length; i += CHUNK) {
      const chunk = due.slice(i, i + CHUNK);
      const results = 'template' in row.target ? await this.deliverChunk(row, chunk, pace) : await this.startRuns(row, chunk);
      const status = await this.record(workspaceId, id, results);
      heartbeat();
      if (status === 'PAUSED') return { next: 'paused' };
      if (status !== 'RUNNING' && status !== 'SCHEDULED') return { next: 'done', status: status ?? 'CANCELED' };
      if (Date.now() - began > MAX_BATCH_MS) return { next: 'more' };
    }
    return { next: 'more' };
  }

  /** Takes the recipients (once: a retried call finds them taken) with the time each is due. */
  private async materialize(row: BroadcastRow): Promise<BroadcastRow> {
    const params: unknown[] = [row.workspace_id, row.id];
    const source = recipientsSql(row.source, params);
    let insert: string;
    if (row.use_recipient_timezone && row.send_at_local) {
      // Each recipient's own zone (profile zoneinfo, else timezone, else the workspace's default, else UTC), by Postgres' zone database.
      const { default_timezone } = await this.windows.settings(row.workspace_id);
      const local = params.push(row.send_at_local);
      const fallback = params.push(default_timezone ?? 'UTC');
      insert = `WITH zones AS MATERIALIZED (SELECT name FROM pg_timezone_names)
        INSERT INTO broadcast_recipients (workspace_id, broadcast_id, user_id, due_at)
        SELECT $1, $2, s.user_id, ($${local}::timestamp AT TIME ZONE COALESCE(z1.name, z2.name, $${fallback}))
        FROM (${source}) s LEFT JOIN profiles p ON p.workspace_id = $1 AND p.user_id = s.user_id
        LEFT JOIN zones z1 ON z1.name = p.profile->>'zoneinfo' LEFT JOIN zones z2 ON z2.name = p.profile->>'timezone'
        ON CONFLICT DO NOTHING`;
    } else {
      const at = params.push(row.send_at);
      insert = `INSERT INTO broadcast_recipients (workspace_id, broadcast_id, user_id, due_at)
        SELECT $1, $2, s.user_id, COALESCE($${at}::timestamptz, now()) FROM (${source}) s ON CONFLICT DO NOTHING`;
    }
    return this.db.transaction(async (tx) => {
      await tx.query(insert, params);
      const [updated] = (await tx.query(
        `UPDATE broadcasts SET materialized = true, targeted = (SELECT count(*) FROM broadcast_recipients WHERE workspace_id = $1 AND broadcast_id = $2), updated_at = now()
         WHERE workspace_id = $1 AND id = $2 RETURNING *`,
        [row.workspace_id, row.id],
      )) as [BroadcastRow[], number];
      return updated[0];
    });
  }

  /** Nothing due now: sleep until the next recipient is due, or end COMPLETED when none is left. */
  private async idle(workspaceId: string, id: string): Promise<BatchOutcome> {
    const [next] = (await this.db.query(
      // min() over no rows is NULL (GREATEST would turn it into 0): none pending left.
      `SELECT (extract(epoch FROM (min(due_at) - now())) * 1000)::bigint AS ms FROM broadcast_recipients WHERE workspace_id = $1 AND broadcast_id = $2 AND state = 'pending'`,
      [workspaceId, id],
    )) as Array<{ ms: string | null }>;
    if (next?.ms !== null && next?.ms !== undefined) return { next: 'sleep', ms: Math.min(MAX_SLEEP_MS, Math.max(1000, Number(next.ms))) };
    const [done] = (await this.db.query(
      `UPDATE broadcasts SET status = 'COMPLETED', started_at = COALESCE(started_at, now()), completed_at = now(), updated_at = now()
       WHERE workspace_id = $1 AND id = $2 AND status IN ('RUNNING', 'SCHEDULED') RETURNING status`,
      [workspaceId, id],
    )) as [Array<{ status: BroadcastStatus }>, number];
    if (done.length) return { next: 'done', status: 'COMPLETED' };
    const b = await this.get(workspaceId, id);
    return b.status === 'PAUSED' ? { next: 'paused' } : { next: 'done', status: b.status };
  }

  private async deliverChunk(row: BroadcastRow, chunk: Array<{ user_id: string; released: boolean; attempts: number }>, pace: () => Promise<void>): Promise<Recorded[]> {
    const target = row.target as Extract<BroadcastTarget, { template: string | null }>;
    const base = target.request ?? {};
    return mapWithConcurrency(chunk, Math.min(CONCURRENCY, row.rate_per_second ?? CONCURRENCY), async (r): Promise<Recorded> => {
      await pace();
      const messageId = `${row.id}:${r.user_id}`;
      const request: DeliveryRequest = {
        workspaceId: row.workspace_id, messageId, requestId: row.id, runId: null, recipient: r.user_id,
        template: target.template, message: null, brand: null, channels: base.channels ?? null, data: { ...row.data, ...(base.data ?? {}) },
        profile: {}, to: { ...(base.to ?? {}), user_id: r.user_id }, routing: base.routing ?? null, content: base.content ?? null,
        tenantId: 'tenant_id' in row.source ? row.source.tenant_id : null, topic: base.topic ?? null,
      };
      try {
        const result = await this.delivery.deliver(request, { quietHours: !r.released });
        if (result.heldUntil) return { user_id: r.user_id, state: 'pending', due_at: result.heldUntil, released: true, message_status: 'ENQUEUED' };
        return { user_id: r.user_id, state: outcome(result.status), message_status: result.status };
      } catch (err) {
        if (err instanceof RetryDelivery) {
          // A channel to retry (its attempts are counted per channel; delivery ends it UNDELIVERABLE after the last).
          return { user_id: r.user_id, state: 'pending', due_at: new Date(Date.now() + RETRY_AFTER_S * 1000 * (r.attempts + 1)).toISOString(), attempts: r.attempts + 1, message_status: 'ENQUEUED' };
        }
        if (isRetryable(err)) throw err;
        const failed = await this.delivery.markUndeliverable(row.workspace_id, messageId, `delivery failed: ${(err as Error).message}`);
        return { user_id: r.user_id, state: 'failed', message_status: failed.status };
      }
    });
  }

  /** An automation target: one run per recipient (`derivedUuid(broadcast, user)`), planned and started per chunk. */
  private async startRuns(row: BroadcastRow, chunk: Array<{ user_id: string }>): Promise<Recorded[]> {
    const target = row.target as { automation?: string; sequence?: string };
    const requests: RunRequest[] = chunk.map((r) => ({
      target: target.sequence ? { kind: 'sequence', name: target.sequence } : { kind: 'template', ref: target.automation! },
      context: { recipient: r.user_id, data: row.data as never },
      source: `broadcast:${row.id}`,
      runId: derivedUuid(row.workspace_id, 'broadcast', row.id, r.user_id),
    })) as RunRequest[];
    const planned = await this.db.transaction((tx) => this.planner.plan(tx, row.workspace_id, requests));
    await this.starter.start(planned.flatMap((p) => (p.ok && !p.notStarted && !p.alreadyStarted ? [p.prepared] : [])));
    return chunk.map((r, i) => ({ user_id: r.user_id, state: planned[i].ok ? 'sent' : 'failed', message_status: null }));
  }

  /** Writes a chunk's outcomes and the counters in one statement; each recipient counts once. Returns the broadcast's status. */
  private async record(workspaceId: string, id: string, results: Recorded[]): Promise<BroadcastStatus | null> {
    const [rows] = (await this.db.query(
      `WITH r AS (SELECT * FROM jsonb_to_recordset($3::jsonb) AS r(user_id text, state text, due_at timestamptz, released boolean, attempts int, message_status text)),
       u AS (
         UPDATE broadcast_recipients b SET state = r.state, due_at = COALESCE(r.due_at, b.due_at), released = COALESCE(r.released, b.released),
           attempts = COALESCE(r.attempts, b.attempts), message_status = r.message_status
         FROM r WHERE b.workspace_id = $1 AND b.broadcast_id = $2 AND b.user_id = r.user_id
           AND (b.state = 'pending' OR (b.state = 'canceled' AND r.state <> 'pending'))
         RETURNING r.state)
       UPDATE broadcasts SET sent = sent + (SELECT count(*) FROM u WHERE state = 'sent'), filtered = filtered + (SELECT count(*) FROM u WHERE state = 'filtered'),
         failed = failed + (SELECT count(*) FROM u WHERE state = 'failed'), updated_at = now()
       WHERE workspace_id = $1 AND id = $2 RETURNING status`,
      [workspaceId, id, JSON.stringify(results)],
    )) as [Array<{ status: BroadcastStatus }>, number];
    return rows[0]?.status ?? null;
  }

  /** Compare-and-set of the status; `after` (a Temporal call) undoes it when it fails, so the answer is a clean 503. */
  private async transition(workspaceId: string, id: string, from: BroadcastStatus[], to: BroadcastStatus, after?: () => Promise<void>): Promise<void> {
    const [rows] = (await this.db.query(
      `UPDATE broadcasts b SET status = $4, updated_at = now() FROM (SELECT status FROM broadcasts WHERE workspace_id = $1 AND id = $2 FOR UPDATE) old
       WHERE b.workspace_id = $1 AND b.id = $2 AND b.status = ANY($3) RETURNING old.status AS previous`,
      [workspaceId, id, from, to],
    )) as [Array<{ previous: BroadcastStatus }>, number];
    if (!rows.length) {
      const b = await this.get(workspaceId, id);
      throw conflict(`broadcast is ${b.status}; this needs ${from.join(' or ')}`);
    }
    if (!after) return;
    try {
      await after();
    } catch (err) {
      await this.db.query(`UPDATE broadcasts SET status = $4 WHERE workspace_id = $1 AND id = $2 AND status = $3`, [workspaceId, id, to, rows[0].previous]);
      throw err;
    }
  }

  /** Starts the broadcast's workflow, or wakes it (signal-with-start: either way one call). */
  private async signal(workspaceId: string, id: string): Promise<void> {
    try {
      await this.temporal.withDeadline(() =>
        this.temporal.client.workflow.signalWithStart('broadcastWorkflow', {
          workflowId: broadcastWorkflowId(workspaceId, id),
          taskQueue: this.temporal.taskQueue,
          args: [{ workspaceId, broadcastId: id }],
          signal: 'broadcastWake',
          signalArgs: [],
          workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
          typedSearchAttributes: [{ key: SA_WORKSPACE, value: workspaceId }],
        }),
      );
    } catch (err) {
      throw temporalFailure(err, this.config.retryAfterSeconds);
    }
  }
}

interface BroadcastRow {
  workspace_id: string;
  id: string;
  kind: 'broadcast' | 'send';
  name: string | null;
  source: RecipientSource;
  target: BroadcastTarget;
  data: Record<string, unknown>;
  send_at: Date | null;
  send_at_local: string | null;
  use_recipient_timezone: boolean;
  rate_per_second: number | null;
  status: BroadcastStatus;
  error: string | null;
  materialized: boolean;
  targeted: number;
  sent: number;
  filtered: number;
  failed: number;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
}

function view(r: BroadcastRow): BroadcastView {
  const done = r.sent + r.filtered + r.failed;
  return {
    id: r.id, kind: r.kind, name: r.name, source: r.source, target: 'template' in r.target ? { template: r.target.template } : r.target, data: r.data, status: r.status,
    send_at: r.use_recipient_timezone ? r.send_at_local : r.send_at?.toISOString() ?? null, use_recipient_timezone: r.use_recipient_timezone,
    rate_per_second: r.rate_per_second,
    progress: { targeted: r.targeted, sent: r.sent, filtered: r.filtered, failed: r.failed, pending: r.materialized ? Math.max(0, r.targeted - done) : 0 },
    error: r.error, created_at: r.created_at.toISOString(), updated_at: r.updated_at.toISOString(),
    started_at: r.started_at?.toISOString() ?? null, completed_at: r.completed_at?.toISOString() ?? null,
  };
}

function outcome(status: MessageStatus): Recorded['state'] {
  if (FILTERED.includes(status)) return 'filtered';
  if (FAILED.includes(status)) return 'failed';
  return 'sent';
}

/** `send_at`: an instant (ISO with offset), or with use_recipient_timezone a local date-time without one. */
function checkSendAt(value: unknown, useZone: boolean): { sendAt: Date | null; sendAtLocal: string | null } {
  if (value === undefined || value === null) {
    if (useZone) throw badRequest('use_recipient_timezone needs send_at as a local date-time, e.g. "2030-01-31T09:00"');
    return { sendAt: null, sendAtLocal: null };
  }
  if (typeof value !== 'string') throw badRequest('send_at must be an ISO-8601 date-time');
  if (useZone) {
    if (!LOCAL_TIME.test(value) || !DateTime.fromISO(value, { zone: 'UTC' }).isValid) {
      throw badRequest('with use_recipient_timezone, send_at is a local date-time without an offset, e.g. "2030-01-31T09:00" (09:00 in each recipient\'s zone)');
    }
    return { sendAt: null, sendAtLocal: value };
  }
  const at = DateTime.fromISO(value, { setZone: true });
  if (!at.isValid || !/(Z|[+-]\d{2}:?\d{2})$/i.test(value)) throw badRequest('send_at must be an ISO-8601 date-time with an offset, e.g. "2030-01-31T09:00:00Z"');
  return { sendAt: at.toJSDate(), sendAtLocal: null };
}

/** Spaces starts `1000 / rate` ms apart (no spacing without a rate). */
function pacer(rate: number | null): () => Promise<void> {
  if (!rate) return async () => undefined;
  const interval = 1000 / rate;
  let next = Date.now();
  return async () => {
    const now = Date.now();
    const at = Math.max(now, next);
    next = at + interval;
    if (at > now) await new Promise((r) => setTimeout(r, at - now));
  };
}
