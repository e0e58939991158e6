import type { Step } from '../../../shared/step-schema';
import type { StepStatus } from '../../../shared/run-types';
import type { RunSession, StepOutcome } from '../session';
import { runAddToBatch } from './add-to-batch';
import { runBranch } from './branch';
import { runCancel } from './cancel';
import { runDelay } from './delay';
import { runFetchData } from './fetch-data';
import { runInvoke } from './invoke';
import { runGetProfile, runUpdateProfile } from './profile';
import { runSend } from './send';
import { runThrottle } from './throttle';
import { runWaitFor } from './wait-for';

/** One handler per step type; the switch is exhaustive, so a new action cannot be forgotten. */
export function executeStep(
  session: RunSession,
  step: Step,
  path: string,
  markStep: (status: StepStatus) => Promise<unknown>,
): Promise<StepOutcome> {
  switch (step.action) {
    case 'send':
      return runSend(session, step, path);
    case 'delay':
      return runDelay(session, step, markStep);
    case 'wait-for':
      return runWaitFor(session, step, path, markStep);
    case 'cancel':
      return runCancel(session, step);
    case 'fetch-data':
      return runFetchData(session, step);
    case 'update-profile':
      return runUpdateProfile(session, step);
    case 'get-profile':
      return runGetProfile(session, step);
    case 'invoke':
      return runInvoke(session, step, path);
    case 'branch':
      return runBranch(session, step, path);
    case 'throttle':
      return runThrottle(session, step, path);
    case 'add-to-batch':
      return runAddToBatch(session, step, path, markStep);
    case 'exit':
      return Promise.resolve({ result: null, flow: 'stop' });
    case 'subscribe':
    case 'send-list':
      // Steps newer than the in-workflow interpreter: only runs on the lean engine can hold them.
      throw new Error(`the ${step.action} step needs a run started on the current engine`);
    default:
      return assertNever(step);
  }
}

function assertNever(step: never): never {
  throw new Error(`unknown step action ${JSON.stringify((step as { action?: unknown }).action)}`);
}
