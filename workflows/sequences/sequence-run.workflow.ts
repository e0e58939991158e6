import { ApplicationFailure } from '@temporalio/workflow';
import { RunSession } from '../automation-run/session';
import type { RunInput, RunResult } from '../shared/run-types';
import { SequenceSteps } from './define-sequence';
import { SEQUENCES } from './registry';

/** Runs a code sequence by name, with the same session (records, cancel, signals) as the interpreter. */
export async function sequenceRun(input: RunInput): Promise<RunResult> {
  const definition = input.sequence ? SEQUENCES[input.sequence] : undefined;
  if (!definition) throw ApplicationFailure.nonRetryable(`unknown sequence ${JSON.stringify(input.sequence)}`, 'UnknownSequence');
  const session = new RunSession(input);
  return session.execute(() => definition.run(new SequenceSteps(session)));
}
