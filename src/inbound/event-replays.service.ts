import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { SA_WORKSPACE } from '../../workflows/shared/search-attributes';
import { eventReplayWorkflowId } from '../../workflows/shared/workflow-ids';
import type { EventReplayInput } from '../../workflows/replay/event-replay.types';
import { EventRunsService, LedgerEvent } from '../automations/runs/event-runs.service';
import { RunPlanner } from '../automations/runs/run-planner.service';
import { RunStarter } from '../automations/runs/run-starter.service';
import { conflict, notFound } from '../common/errors/api-error';
import { Keyset, Page } from '../common/http/pagination';
import { HERALD_CONFIG, HeraldConfig } from '../config/herald-config';
import { TemporalClientService } from '../temporal/temporal-client.service';
import { applyLogFilter, LogFilter } from './event-log.service';
import { InboundEvent } from './inbound-event.entity';

export type ReplayStatus = 'RUNNING' | 'COMPLETED' | 'CANCELED';

interface ReplayRow {
  workspace_id: string;
  id: string;
  filter: LogFilter;
  max_events: number;
  upto_id: string;
  after_id: string;
  total: number;
  processed: number;
  runs_started: number;
  problems: number;
  last_problem: string | null;
  status: ReplayStatus;
  workflow_id: string;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

export interface ReplayPageRequest {
  workspaceId: string;
  replayId: string;
  pageSize: number;
}
export type ReplayPageResult = { status: 'more' | 'done' | 'canceled'; processed: number };

const REPLAYS_KEYSET = new Keyset([{ column: 'created_at', type: 'timestamptz' }, { column: 'id', type: 'uuid' }]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const MAX_REPLAY_EVENTS = 100_000;

/**
 * Replays many logged events at once (the log's filter), as a durable workflow
 * (`event-replay:<workspace>:<id>`) of pages. Each page plans its events' runs with a nonce of
 * (replay, cursor), starts them, then advances the cursor by compare-and-set: a page retried
 * after a crash plans the same run ids (already started, so none twice) and a page that already
 * advanced is not counted again. Events logged after the replay started are not in it.
 */
@Injectable()
export class EventReplaysService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly temporal: TemporalClientService,
    private readonly eventRuns: EventRunsService,
    private readonly planner: RunPlanner,
    private readonly starter: RunStarter,
  ) {}

  async create(workspaceId: string, filter: LogFilter, maxEvents: number): Promise<ReplayView> {
    const id = randomUUID();
    const clean: LogFilter = Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined && v !== '')) as LogFilter;
    const [{ upto }] = (await this.db.query('SELECT COALESCE(max(id), 0)::text AS upto FROM inbound_events WHERE workspace_id = $1', [workspaceId])) as Array<{ upto: string }>;
    const total = await this.count(workspaceId, clean, upto, maxEvents);
    const workflowId = eventReplayWorkflowId(workspaceId, id);
    const [row] = (await this.db.query(
      `INSERT INTO event_replays (workspace_id, id, filter, max_events, upto_id, total, workflow_id, status, finished_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $6 = 0 THEN 'COMPLETED' ELSE 'RUNNING' END, CASE WHEN $6 = 0 THEN now() END) RETURNING *`,
      [workspaceId, id, JSON.stringify(clean), maxEvents, upto, total, workflowId],
    )) as ReplayRow[];
    if (total > 0) {
      const input: EventReplayInput = { workspaceId, replayId: id, pageSize: this.config.replays.pageSize, pagesPerRun: this.config.replays.pagesPerRun };
      try {
        await this.temporal.startIdempotent('eventReplayWorkflow', {
          taskQueue: this.temporal.taskQueue,
          workflowId,
          args: [input],
          typedSearchAttributes: [{ key: SA_WORKSPACE, value: workspaceId }],
        });
      } catch (err) {
        // Nothing ran: the replay is not left RUNNING with no workflow behind it.
        await this.db.query('DELETE FROM event_replays WHERE workspace_id = $1 AND id = $2', [workspaceId, id]);
        throw err;
      }
    }
    return toView(row);
  }

  async get(workspaceId: string, id: string): Promise<ReplayView> {
    return toView(await this.row(workspaceId, id));
  }

  async list(workspaceId: string, limit: number, cursor?: string): Promise<Page<ReplayView>> {
    const params: unknown[] = [workspaceId];
    const where = ['workspace_id = $1'];
    const after = REPLAYS_KEYSET.where(cursor, params);
    if (after) where.push(after);
    const rows = (await this.db.query(
      `SELECT *, ${REPLAYS_KEYSET.select()} FROM event_replays WHERE ${where.join(' AND ')} ORDER BY ${REPLAYS_KEYSET.orderBy()} LIMIT $${params.push(limit + 1)}`,
      params,
    )) as Array<ReplayRow & Record<string, unknown>>;
    return REPLAYS_KEYSET.page(rows, limit, toView);
  }

  /** Stops a running replay after its current page (the runs already started go on). */
  async cancel(workspaceId: string, id: string): Promise<ReplayView> {
    const current = await this.row(workspaceId, id);
    // An UPDATE answers [rows, count] through TypeORM. RUNNING is compared again: a page may end it meanwhile.
    const [rows] = (await this.db.query(
      `UPDATE event_replays SET status = 'CANCELED', finished_at = now(), updated_at = now()
       WHERE workspace_id = $1 AND id = $2 AND status = 'RUNNING' RETURNING *`,
      [workspaceId, current.id],
    )) as [ReplayRow[], number];
    if (!rows[0]) throw conflict(`replay ${id} has already ended`);
    return toView(rows[0]);
  }

  /** One page (the workflow's activity). The replay row, not the workflow, holds the cursor. */
  async page(req: ReplayPageRequest, heartbeat: () => void = () => undefined): Promise<ReplayPageResult> {
    const replay = await this.row(req.workspaceId, req.replayId).catch(() => null);
    if (!replay || replay.status !== 'RUNNING') return { status: 'canceled', processed: replay?.processed ?? 0 };
    const room = replay.max_events - replay.processed;
    const events = room <= 0 ? [] : await this.select(req.workspaceId, replay.filter, replay.after_id, replay.upto_id, Math.min(req.pageSize, room));
    heartbeat();
    const nonce = `replay:${replay.id}:${replay.after_id}`;
    let started = 0;
    const problems: string[] = [];
    const replayable = events.filter((e) => e.body !== null);
    for (const e of events) if (e.body === null) problems.push(`event log entry ${e.id}: its body was pruned by retention`);
    if (replayable.length) {
      const planned = await this.db.transaction(async (tx) => {
        const requests = await this.eventRuns.requestsFor(tx, req.workspaceId, replayable, nonce);
        for (const r of requests.values()) problems.push(...r.problems);
        return this.planner.plan(tx, req.workspaceId, [...requests.values()].flatMap((r) => r.requests));
      });
      heartbeat();
      const ok = planned.flatMap((p) => (p.ok ? [p] : []));
      problems.push(...planned.flatMap((p) => (p.ok ? [] : [p.problem])));
      await this.starter.start(ok.filter((p) => !p.notStarted && !p.alreadyStarted).map((p) => p.prepared));
      started = ok.filter((p) => !p.notStarted).length;
    }
    const done = events.length < req.pageSize || replay.processed + events.length >= replay.max_events;
    const nextAfter = events.length ? events[events.length - 1].id : replay.after_id;
    const [rows] = (await this.db.query(
      `UPDATE event_replays SET after_id = $4, processed = processed + $5, runs_started = runs_started + $6, problems = problems + $7,
         last_problem = COALESCE($8, last_problem), status = CASE WHEN $9 THEN 'COMPLETED' ELSE status END,
         finished_at = CASE WHEN $9 THEN now() ELSE finished_at END, updated_at = now()
       WHERE workspace_id = $1 AND id = $2 AND after_id = $3 AND status = 'RUNNING' RETURNING processed, status`,
      [req.workspaceId, replay.id, replay.after_id, nextAfter, events.length, started, problems.length, problems.at(-1) ?? null, done],
    )) as [Array<{ processed: number; status: ReplayStatus }>, number];
    // Another attempt advanced it first, or it was canceled meanwhile: read where it stands.
    const now = rows[0] ?? (await this.row(req.workspaceId, replay.id));
    return { status: now.status === 'RUNNING' ? 'more' : now.status === 'COMPLETED' ? 'done' : 'canceled', processed: now.processed };
  }

  private async count(workspaceId: string, filter: LogFilter, upto: string, max: number): Promise<number> {
    const [sql, params] = applyLogFilter(this.eventsQuery(workspaceId, '0', upto).select('1'), filter).limit(max).getQueryAndParameters();
    const [{ n }] = (await this.db.query(`SELECT count(*)::int AS n FROM (${sql}) c`, params)) as Array<{ n: number }>;
    return n;
  }

  private async select(workspaceId: string, filter: LogFilter, after: string, upto: string, limit: number): Promise<LedgerEvent[]> {
    const rows = await applyLogFilter(this.eventsQuery(workspaceId, after, upto), filter).orderBy('e.id', 'ASC').limit(limit).getMany();
    return rows.map((e) => ({ id: e.id, type: e.type, event_id: e.eventId, user_id: e.userId, body: e.body }) as LedgerEvent);
  }

  private eventsQuery(workspaceId: string, after: string, upto: string) {
    return this.db
      .getRepository(InboundEvent)
      .createQueryBuilder('e')
      .where('e.workspace_id = :workspaceId', { workspaceId })
      .andWhere('e.id > :after AND e.id <= :upto', { after, upto });
  }

  private async row(workspaceId: string, id: string): Promise<ReplayRow> {
    const rows = UUID.test(id) ? ((await this.db.query('SELECT * FROM event_replays WHERE workspace_id = $1 AND id = $2::uuid', [workspaceId, id])) as ReplayRow[]) : [];
    if (!rows[0]) throw notFound(`replay ${JSON.stringify(id)} not found`);
    return rows[0];
  }
}

function toView(r: ReplayRow) {
  return {
    id: r.id,
    status: r.status,
    filter: r.filter,
    max_events: r.max_events,
    progress: { total: r.total, processed: r.processed, runs_started: r.runs_started, problems: r.problems },
    last_problem: r.last_problem,
    workflow_id: r.workflow_id,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
    finished_at: r.finished_at?.toISOString() ?? null,
  };
}

export type ReplayView = ReturnType<typeof toView>;
