import { Inject, Injectable } from '@nestjs/common';
import { badRequest } from '../common/errors/api-error';
import { HERALD_CONFIG, HeraldConfig } from '../config/herald-config';
import { SA_WORKSPACE } from '../../workflows/shared/search-attributes';
import { dispatcherWorkflowId } from '../../workflows/shared/workflow-ids';
import { WorkflowWaker } from '../temporal/workflow-waker.service';
import { faultPoint } from '../common/fault-injection';
import { BacklogService } from './backlog.service';
import { EventLogService } from './event-log.service';
import { NormalizedEvent, normalizeEvent, splitInboundBody } from './inbound-event';
import { LedgerWriter } from './ledger-writer';
import { shardOf } from './shards';

export const MAX_BATCH_EVENTS = 1000;
/** A dispatcher whose polling window ends sooner than this is woken: the margin covers the commit and one poll. */
const POLLING_MARGIN_MS = 150;

export interface AcceptedEvent {
  messageId: string;
  duplicate?: true;
}

/**
 * The inbound accept point (SPEC section 2): validate, admit (backpressure), commit to the
 * ledger, answer 202. One multi-row insert for a batch (and, under load, for the requests
 * that arrive together: LedgerWriter's group commit); the unique (workspace, messageId) row
 * is the permanent record, so exactly one request per messageId is answered without
 * `duplicate`. Processing is the dispatchers' job: the shards that got new rows are woken
 * (coalesced signal-with-start) after the commit, and the maintenance sweep wakes any that a
 * crash left unwoken. Temporal being down does not stop events from being accepted.
 */
@Injectable()
export class InboundService {
  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly eventLog: EventLogService,
    private readonly ledger: LedgerWriter,
    private readonly backlog: BacklogService,
    private readonly waker: WorkflowWaker,
  ) {}

  /** Validates every event first (a bad one rejects the request, nothing is stored), then commits them. */
  async accept(workspaceId: string, body: unknown): Promise<AcceptedEvent | { results: AcceptedEvent[] }> {
    const items = splitInboundBody(body);
    if (items.length === 0) throw badRequest('batch must contain at least one event');
    if (items.length > MAX_BATCH_EVENTS) throw badRequest(`batch must contain at most ${MAX_BATCH_EVENTS} events`);
    const events = items.map(({ raw, path }) => normalizeEvent(raw, path));
    await this.backlog.admit(workspaceId, events.length);
    const results = await this.commit(workspaceId, events);
    const single = items.length === 1 && items[0].path === '';
    return single ? results[0] : { results };
  }

  /** Inserts the events (a messageId repeated inside the batch is a duplicate of its first), counts the duplicates, wakes the shards. */
  private async commit(workspaceId: string, events: NormalizedEvent[]): Promise<AcceptedEvent[]> {
    const firsts = new Map<string, NormalizedEvent>();
    for (const e of events) if (!firsts.has(e.messageId)) firsts.set(e.messageId, e);
    const unique = [...firsts.values()].map((e) => ({ ...e, workspaceId, shard: shardOf(e.recipientId, this.config.inbound.shards) }));
    const { inserted, pollingMsLeft } = await this.ledger.write(unique);
    faultPoint('after-ledger-commit');
    // A dispatcher still polling for a while will see the rows on its own: no signal (no Temporal work).
    for (const [shard, msLeft] of pollingMsLeft) if (msLeft < POLLING_MARGIN_MS) this.wake(workspaceId, shard);

    const seen = new Set<string>();
    const duplicates: string[] = [];
    const results = events.map((e): AcceptedEvent => {
      const first = !seen.has(e.messageId);
      seen.add(e.messageId);
      if (first && inserted.has(e.messageId)) return { messageId: e.messageId };
      duplicates.push(e.messageId);
      return { messageId: e.messageId, duplicate: true };
    });
    await this.eventLog.countDuplicates(workspaceId, duplicates);
    return results;
  }

  /** Wakes a shard's dispatcher; never throws (the sweep wakes it when this fails). */
  wake(workspaceId: string, shard: number): void {
    void this.waker.wake({
      workflowType: 'dispatcher',
      workflowId: dispatcherWorkflowId(workspaceId, shard),
      args: [{ workspaceId, shard }],
      signal: 'wake',
      typedSearchAttributes: [{ key: SA_WORKSPACE, value: workspaceId }],
    });
  }
}
