import { legacyAutomationRun } from '../legacy/automation-run/automation-run';
import type { LegacyRunInput, RunInput, RunResult } from '../shared/run-types';
import { isLegacyRunInput, RunDriver } from './driver';

/**
 * One workflow per run (`run:<workspace>:<runId>`) of a JSON step list. The steps are pinned in
 * the run row (publishing a new template version never reaches a running run) and executed by
 * the `advanceRun` local activity, one call per stretch of steps between waits.
 */
export async function automationRun(input: RunInput | LegacyRunInput): Promise<RunResult> {
  // Runs started before the lean driver (their steps travel in the input) replay and finish with the in-workflow interpreter.
  if (isLegacyRunInput(input)) return legacyAutomationRun(input);
  return new RunDriver(input).run();
}
