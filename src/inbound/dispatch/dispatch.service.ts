import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { isPlainObject } from '../../../workflows/shared/json';
import type { PreparedRun } from '../../../workflows/shared/run-types';
import { AudienceMembershipService } from '../../audiences/audience-membership.service';
import { isRetryable } from '../../automations/engine/retryable';
import { EventRunsService, LedgerEvent } from '../../automations/runs/event-runs.service';
import { PlannedRun, RunPlanner, RunRequest } from '../../automations/runs/run-planner.service';
import { RunStarter } from '../../automations/runs/run-starter.service';
import { WaitsService, WaitWakes } from '../../automations/runs/waits.service';
import { HERALD_CONFIG, HeraldConfig } from '../../config/herald-config';
import { PreferencesService, traitsWithoutPreferences } from '../../preferences/preferences.service';
import { ProfilesService } from '../../profiles/profiles.service';
import { OutboxService } from '../../outbox/outbox.service';
import { TenantsService } from '../../tenants/tenants.service';
import { EventLogService } from '../event-log.service';
import type { InboundEventOutcome } from '../inbound-event.entity';
import { identifyTraits } from '../inbound-event';
import { faultPoint } from '../../common/fault-injection';

/** A batch's bodies are read into memory together: bound them (a 4 MB event still gets a batch of its own). */
const MAX_BATCH_BYTES = 16 * 1024 * 1024;
/** Caught up, a drain keeps polling the ledger this long before it goes idle (the API skips waking it meanwhile). */
const LINGER_MS = 1_000;
const POLL_MS = 25;
/** After a batch smaller than this, wait GATHER_MS so that the next one is bigger (per-batch work is the cost under load). */
const SMALL_BATCH = 50;
const GATHER_MS = 15;
/** A drain hands back to its workflow after this long at work (a local activity must end well within its timeout). */
const MAX_DRAIN_MS = 60_000;

export interface BatchResult {
  count: number;
  more: boolean;
}

interface Processed {
  outcomes: Array<{ id: string; outcome: InboundEventOutcome; runIds: string[]; error: string | null }>;
  toStart: PreparedRun[];
  wakes: WaitWakes;
  /** Preference changes put events in the outbox: wake its emitter after commit. */
  wakeOutbox?: boolean;
}

/**
 * What a dispatcher does with one batch of its shard of the ledger, in one local activity: in
 * one transaction, claim the rows in ledger order, apply identify (profile deep-merge) and group
 * (tenant + membership) in that order, match track events to waiting runs, record the runs the
 * events trigger, and record every event's outcome and the catalog counts. After the commit:
 * start the runs' workflows (deterministic ids: a retried batch starts nothing twice) and wake
 * the matched waits. An event that fails for a reason a retry cannot fix is recorded `failed`
 * on its own, so one bad event never blocks its shard.
 */
@Injectable()
export class DispatchService {
  private readonly logger = new Logger('Dispatch');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly eventLog: EventLogService,
    private readonly profiles: ProfilesService,
    private readonly preferences: PreferencesService,
    private readonly outbox: OutboxService,
    private readonly tenants: TenantsService,
    private readonly waits: WaitsService,
    private readonly eventRuns: EventRunsService,
    private readonly planner: RunPlanner,
    private readonly starter: RunStarter,
    private readonly audiences: AudienceMembershipService,
  ) {}

  /**
   * The dispatcher's local activity: processes batches until the shard is caught up, then keeps
   * polling for LINGER_MS, advertising the window in dispatch_shards so the API does not signal
   * it (a steady stream costs Temporal no signals at all); it returns when the window passed with
   * nothing new (or after MAX_DRAIN_MS at work, with `more`). The window and the final check are
   * on the database's clock, so a commit the API did not signal for is always seen.
   */
  async drain(workspaceId: string, shard: number): Promise<BatchResult> {
    const started = Date.now();
    let count = 0;
    let extendedAt = 0;
    for (;;) {
      if (Date.now() - extendedAt > LINGER_MS / 2) {
        await this.extendPolling(workspaceId, shard);
        extendedAt = Date.now();
      }
      const batch = await this.dispatchBatch(workspaceId, shard);
      count += batch.count;
      if (batch.count) {
        if (Date.now() - started > MAX_DRAIN_MS) return { count, more: true };
        if (batch.count < SMALL_BATCH) await new Promise((r) => setTimeout(r, GATHER_MS));
        continue;
      }
      // Caught up: poll until the advertised window has passed, then go idle.
      for (;;) {
        const { pending, msLeft } = await this.poll(workspaceId, shard);
        if (pending) break;
        if (msLeft <= 0) return { count, more: false };
        await new Promise((r) => setTimeout(r, Math.min(POLL_MS, msLeft)));
      }
    }
  }

  private async extendPolling(workspaceId: string, shard: number): Promise<void> {
    await this.db.query(
      `INSERT INTO dispatch_shards (workspace_id, shard, polling_until) VALUES ($1, $2, clock_timestamp() + make_interval(secs => $3::double precision / 1000))
       ON CONFLICT (workspace_id, shard) DO UPDATE SET polling_until = GREATEST(dispatch_shards.polling_until, EXCLUDED.polling_until)`,
      [workspaceId, shard, LINGER_MS],
    );
  }

  /** Whether the shard has unprocessed rows, and how long its polling window still runs (database clock). */
  private async poll(workspaceId: string, shard: number): Promise<{ pending: boolean; msLeft: number }> {
    const [row] = (await this.db.query(
      `SELECT EXISTS (SELECT 1 FROM inbound_events WHERE workspace_id = $1 AND shard = $2 AND outcome IS NULL) AS pending,
         COALESCE((SELECT extract(epoch from (polling_until - clock_timestamp())) * 1000 FROM dispatch_shards WHERE workspace_id = $1 AND shard = $2), 0)::int AS ms_left`,
      [workspaceId, shard],
    )) as Array<{ pending: boolean; ms_left: number }>;
    return { pending: row.pending, msLeft: row.ms_left };
  }

  /** One batch: claim, process and record in one transaction; then start its runs and wake its waits. */
  async dispatchBatch(workspaceId: string, shard: number): Promise<BatchResult> {
    let claimed: { count: number; more: boolean; processed: Processed } | null;
    try {
      claimed = await this.db.transaction(async (tx) => {
        const { events, more } = await this.eventLog.claim(tx, workspaceId, shard, this.config.inbound.batchSize, MAX_BATCH_BYTES);
        if (!events.length) return null;
        const processed = await this.process(tx, workspaceId, events);
        faultPoint('dispatch-before-commit');
        return { count: events.length, more, processed };
      });
    } catch (err) {
      if (isRetryable(err)) throw err;
      this.logger.warn(`batch of shard ${shard} in ${workspaceId} failed (${(err as Error).message}); processing its events one by one`);
      claimed = await this.oneByOne(workspaceId, shard);
    }
    if (!claimed) return { count: 0, more: false };
    faultPoint('dispatch-after-commit');
    await this.afterCommit(workspaceId, claimed.processed);
    return { count: claimed.count, more: claimed.more };
  }

  private async process(tx: EntityManager, workspaceId: string, events: LedgerEvent[]): Promise<Processed> {
    // Profiles and tenants first, in ledger order: runs triggered by this batch see them.
    const identifies = events.filter((e) => e.type === 'identify' && e.user_id);
    const traits = identifies.map((e) => ({ userId: e.user_id!, traits: identifyTraits(e.body) }));
    await this.profiles.mergeMany(tx, workspaceId, traits.map((t) => ({ userId: t.userId, patch: traitsWithoutPreferences(t.traits) as typeof t.traits })));
    const { problems: preferenceProblems, wakeOutbox } = await this.preferences.applyFromTraits(tx, workspaceId, traits);
    for (const e of events) {
      if (e.type !== 'group' || !e.user_id) continue;
      await this.tenants.applyGroup(workspaceId, String(e.body.groupId), isPlainObject(e.body.traits) ? e.body.traits : {}, e.user_id, tx);
    }
    // Audience membership of the users changed above; entered/exited events land in this shard's ledger, drained next.
    await this.audiences.refresh(tx, workspaceId, events.filter((e) => (e.type === 'identify' || e.type === 'group') && e.user_id).map((e) => e.user_id!));
    const wakes = await this.waits.match(tx, workspaceId, events);

    const requests = await this.eventRuns.requestsFor(tx, workspaceId, events);
    const flat: Array<{ eventId: string; request: RunRequest }> = [];
    for (const [eventId, r] of requests) for (const request of r.requests) flat.push({ eventId, request });
    const planned = await this.planner.plan(tx, workspaceId, flat.map((f) => f.request));
    const byEvent = new Map<string, PlannedRun[]>();
    planned.forEach((p, i) => byEvent.set(flat[i].eventId, [...(byEvent.get(flat[i].eventId) ?? []), p]));

    const outcomes = events.map((e) => {
      const runs = byEvent.get(e.id) ?? [];
      const problems = [
        ...(e.type === 'identify' && e.user_id ? preferenceProblems.get(e.user_id) ?? [] : []),
        ...(requests.get(e.id)?.problems ?? []), ...runs.flatMap((p) => (p.ok ? [] : [p.problem])),
      ];
      const ok = runs.filter((p): p is Extract<PlannedRun, { ok: true }> => p.ok);
      const applied = e.type === 'identify' || e.type === 'group' || e.type === 'alias';
      const outcome: InboundEventOutcome = ok.length || applied ? 'processed' : problems.length ? 'failed' : 'unmapped';
      // A trigger ignored because its singleton sequence already runs is recorded, but started nothing.
      return { id: e.id, outcome, runIds: ok.filter((p) => !p.ignored).map((p) => p.prepared.runId), error: problems.length ? problems.join('; ') : null };
    });
    await this.eventLog.recordOutcomes(tx, workspaceId, outcomes);
    const toStart = planned.flatMap((p) => (p.ok && !p.notStarted && !p.alreadyStarted ? [p.prepared] : []));
    return { outcomes, toStart, wakes, wakeOutbox };
  }

  /** The fallback for a batch that failed deterministically: each event in its own transaction. */
  private async oneByOne(workspaceId: string, shard: number): Promise<{ count: number; more: boolean; processed: Processed } | null> {
    const merged: Processed = { outcomes: [], toStart: [], wakes: { wakes: [], legacy: [] } };
    let count = 0;
    for (let i = 0; i < this.config.inbound.batchSize; i++) {
      const one = await this.db.transaction(async (tx) => {
        const { events } = await this.eventLog.claim(tx, workspaceId, shard, 1, MAX_BATCH_BYTES);
        if (!events.length) return null;
        try {
          // A savepoint: a failed event rolls back alone, and its outcome is written in the same transaction.
          return await tx.transaction((inner) => this.process(inner, workspaceId, events));
        } catch (err) {
          if (isRetryable(err)) throw err;
          const outcome = { id: events[0].id, outcome: 'failed' as const, runIds: [], error: `could not be processed: ${(err as Error).message}` };
          await this.eventLog.recordOutcomes(tx, workspaceId, [outcome]);
          return { outcomes: [outcome], toStart: [], wakes: { wakes: [], legacy: [] } };
        }
      });
      if (!one) break;
      count++;
      merged.outcomes.push(...one.outcomes);
      merged.toStart.push(...one.toStart);
      merged.wakes.wakes.push(...one.wakes.wakes);
      merged.wakes.legacy.push(...one.wakes.legacy);
      merged.wakeOutbox = merged.wakeOutbox || one.wakeOutbox;
    }
    return count ? { count, more: count === this.config.inbound.batchSize, processed: merged } : null;
  }

  /** Starts the batch's runs and wakes its matched waits. A failure here loses nothing: the sweep starts and wakes what is left. */
  private async afterCommit(workspaceId: string, processed: Processed): Promise<void> {
    if (processed.wakeOutbox) void this.outbox.wake(workspaceId);
    try {
      await this.starter.start(processed.toStart);
    } catch (err) {
      this.logger.warn(`run starts failed after the batch committed (the sweep starts them): ${(err as Error).message}`);
    }
    await this.waits.wake(processed.wakes);
  }
}
