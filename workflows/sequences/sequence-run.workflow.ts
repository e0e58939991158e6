import { ApplicationFailure } from '@temporalio/workflow';
import { finished, isLegacyRunInput, RunDriver } from '../automation-run/driver';
import { legacySequenceRun } from '../legacy/sequence-run';
import type { AdvanceResult } from '../shared/run-protocol';
import type { LegacyRunInput, RunContext, RunInput, RunResult } from '../shared/run-types';
import type { Step } from '../shared/step-schema';
import { SequenceSteps } from './define-sequence';
import { SEQUENCES } from './registry';

/** Thrown through the sequence's code when the run ended under it (canceled, failed, stopped by a step). */
class RunEnded extends Error {
  constructor(readonly result: Extract<AdvanceResult, { kind: 'done' }>) {
    super('run ended');
  }
}

/** A sequence's steps, each one `advanceRun` call (plus its waits) on the lean driver. */
class DriverSequenceSteps extends SequenceSteps {
  private n = 0;

  constructor(private readonly driver: RunDriver, readonly context: RunContext) {
    super();
  }

  async step(action: Step['action'], fields: object): Promise<unknown> {
    const result = await this.driver.advance({ step: { path: `seq.${this.n++}`, step: { action, ...fields } as unknown as Step } });
    if (result.kind === 'done') throw new RunEnded(result);
    if (result.kind !== 'stepped') throw ApplicationFailure.nonRetryable(`unexpected ${result.kind}`, 'RunProtocol');
    if (result.flow === 'stop') throw new RunEnded({ kind: 'done', status: 'PROCESSED' });
    return result.result;
  }
}

/** Runs a code sequence by name (`workflows/sequences/<name>.sequence.ts`) on the lean driver. */
export async function sequenceRun(input: RunInput | LegacyRunInput): Promise<RunResult> {
  if (isLegacyRunInput(input)) return legacySequenceRun(input);
  const definition = input.sequence ? SEQUENCES[input.sequence] : undefined;
  if (!definition) throw ApplicationFailure.nonRetryable(`unknown sequence ${JSON.stringify(input.sequence)}`, 'UnknownSequence');
  const driver = new RunDriver(input);
  const start = await driver.advance({ start: true });
  if (start.kind === 'done') return finished(start);
  if (start.kind !== 'started') throw ApplicationFailure.nonRetryable(`unexpected ${start.kind}`, 'RunProtocol');
  try {
    await definition.run(new DriverSequenceSteps(driver, start.context));
  } catch (err) {
    if (err instanceof RunEnded) {
      if (err.result.status !== 'PROCESSED') return finished(err.result);
      return finished(await driver.advance({ finish: true }));
    }
    // A bug in the sequence's code ends the run ERROR instead of retrying the workflow task forever.
    if (err instanceof ApplicationFailure || !(err instanceof Error)) throw err;
    return finished(await driver.advance({ fail: err.message }));
  }
  return finished(await driver.advance({ finish: true }));
}
