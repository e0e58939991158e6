import {
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  proxyLocalActivities,
  setHandler,
  sleep,
} from '@temporalio/workflow';
import type { EngineActivities } from '../../activities/engine.activities';
import type { AdvanceRequest, AdvanceResult } from '../shared/run-protocol';
import type { BatchDecision, LegacyRunInput, RunInput, RunResult } from '../shared/run-types';
import { batchDecisionSignal, runWakeSignal } from './messages';

/**
 * One local activity per step (often fewer: it runs steps until one must wait). Retried until
 * Postgres answers; errors a retry cannot fix end the step and the run inside the activity.
 */
const engine = proxyLocalActivities<EngineActivities>({
  startToCloseTimeout: '3 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

type Settled = Extract<AdvanceResult, { kind: 'done' | 'stepped' | 'started' }>;

/**
 * The workflow side of a run: calls `advanceRun` and does what it asks — sleep, or wait for a
 * wake signal (a matched wait-for, a batch decision) — then calls it again. It holds no run
 * data: history carries ids, paths and small summaries.
 */
export class RunDriver {
  private readonly wakes: Record<string, true> = {};
  private readonly batches: Record<string, BatchDecision> = {};

  constructor(private readonly input: RunInput) {
    setHandler(runWakeSignal, ({ key }) => {
      this.wakes[key] = true;
    });
    setHandler(batchDecisionSignal, (decision) => {
      this.batches[decision.key] = decision;
      this.wakes[batchWakeKey(decision.key)] = true;
    });
  }

  /** Advances until the request settles: the run is done, or (sequences) the step ran. */
  async advance(request: Omit<AdvanceRequest, 'workspaceId' | 'runId'>): Promise<Settled> {
    const ids = { workspaceId: this.input.workspaceId, runId: this.input.runId };
    try {
      let result = await engine.advanceRun({ ...ids, ...request });
      for (;;) {
        switch (result.kind) {
          case 'continue':
            result = await engine.advanceRun({ ...ids, ...request });
            break;
          case 'sleep':
            if (result.ms > 0) await sleep(result.ms);
            result = await engine.advanceRun({ ...ids, step: request.step, resume: { path: result.path, reason: 'timer' } });
            break;
          case 'wait': {
            const key = result.key;
            const woken = () => this.wakes[key] === true;
            const woke = result.timeoutMs === null ? (await condition(woken), true) : await condition(woken, result.timeoutMs);
            const batch = key.startsWith('batch:') ? this.batches[key.slice('batch:'.length)] : undefined;
            result = await engine.advanceRun({ ...ids, step: request.step, resume: { path: result.path, reason: woke ? 'signal' : 'timeout', batch } });
            break;
          }
          default:
            return result;
        }
      }
    } catch (err) {
      // Canceled through Temporal (the UI, or the legacy cancel path): the row says so too.
      if (isCancellation(err)) await CancellationScope.nonCancellable(() => engine.advanceRun({ ...ids, cancel: true }));
      throw err;
    }
  }

  /** Runs a JSON-interpreted run to its end. */
  async run(): Promise<RunResult> {
    return finished(await this.advance({}));
  }
}

export const batchWakeKey = (key: string) => `batch:${key}`;

/**
 * Runs started before the lean driver carry their steps and context in the input. The input is
 * fixed in history, so the choice is deterministic, and unlike patched() it costs new runs no
 * marker and no search-attribute upsert.
 */
export function isLegacyRunInput(input: RunInput | LegacyRunInput): input is LegacyRunInput {
  return 'context' in input;
}

/** A run's final result; a failed run fails its workflow too, so the Temporal UI shows it. */
export function finished(result: Settled): RunResult {
  if (result.kind !== 'done') throw ApplicationFailure.nonRetryable(`run did not finish (${result.kind})`, 'RunProtocol');
  if (result.status === 'ERROR') throw ApplicationFailure.nonRetryable(result.error ?? 'run failed', 'RunFailed');
  return result.error ? { status: result.status, error: result.error } : { status: result.status };
}
