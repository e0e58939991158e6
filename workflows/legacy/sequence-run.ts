import { ApplicationFailure } from '@temporalio/workflow';
import type { Step } from '../shared/step-schema';
import type { LegacyRunInput, RunContext, RunResult } from '../shared/run-types';
import { SequenceSteps } from '../sequences/define-sequence';
import { SEQUENCES } from '../sequences/registry';
import { RunSession } from './automation-run/session';

/** A code sequence's steps run by the legacy in-workflow session (as before the batched pipeline). */
class LegacySequenceSteps extends SequenceSteps {
  private n = 0;

  constructor(private readonly session: RunSession) {
    super();
  }

  get context(): RunContext {
    return this.session.context;
  }

  async step(action: Step['action'], fields: object): Promise<unknown> {
    const ref = `_seq${this.n}`;
    await this.session.runStep({ action, ...fields, ref } as unknown as Step, `seq.${this.n++}`);
    return this.session.refs[ref];
  }
}

/** Runs a code sequence by name with the legacy session. */
export async function legacySequenceRun(input: LegacyRunInput): Promise<RunResult> {
  const definition = input.sequence ? SEQUENCES[input.sequence] : undefined;
  if (!definition) throw ApplicationFailure.nonRetryable(`unknown sequence ${JSON.stringify(input.sequence)}`, 'UnknownSequence');
  const session = new RunSession(input);
  return session.execute(() => definition.run(new LegacySequenceSteps(session)));
}
