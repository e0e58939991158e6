import type { RunInput, RunResult } from '../shared/run-types';
import { RunSession } from './session';

/**
 * The interpreter: one workflow per run (`run:<workspace>:<runId>`) executing the pinned JSON
 * step list. Publishing a new template version never reaches a running run, because the
 * steps travel in the input.
 */
export async function automationRun(input: RunInput): Promise<RunResult> {
  const session = new RunSession(input);
  return session.execute(() => session.runSteps(input.steps, ''));
}
