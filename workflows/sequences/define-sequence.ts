import type { Step } from '../shared/step-schema';
import type { RunContext } from '../shared/run-types';

type StepFields<A extends Step['action']> = Omit<Extract<Step, { action: A }>, 'action'>;

/**
 * The step helpers a code sequence uses. Each call runs the same handler the JSON interpreter
 * runs for that action, so a sequence's steps are recorded, cancellable and shown exactly like
 * a template's. The run driver implements `step` and `context`.
 */
export abstract class SequenceSteps {
  abstract readonly context: RunContext;

  /** Runs any step of the step language; returns its result (what `ref` would expose). */
  abstract step<A extends Step['action']>(action: A, fields: StepFields<A>): Promise<unknown>;

  get data(): Record<string, unknown> {
    return this.context.data;
  }

  get recipient(): string | null {
    return this.context.recipient;
  }

  send(fields: StepFields<'send'>) {
    return this.step('send', fields) as Promise<{ messageId: string; status: string }>;
  }

  delay(duration: string) {
    return this.step('delay', { duration });
  }

  waitFor(fields: StepFields<'wait-for'>) {
    return this.step('wait-for', fields) as Promise<{ matched: boolean; event: Record<string, unknown> | null }>;
  }

  fetchData(fields: StepFields<'fetch-data'>) {
    return this.step('fetch-data', fields);
  }

  updateProfile(fields: StepFields<'update-profile'>) {
    return this.step('update-profile', fields);
  }
}

export interface SequenceDefinition {
  /** The name mappings and the API use (`welcome`, `upgrade-nudge`). */
  name: string;
  description: string;
  /** At most one active run per recipient; a second trigger is recorded and ignored. */
  singleton?: boolean;
  /**
   * What `run` does, written in the step language, for the Studio to draw (read-only). Only a
   * picture: `run` is what runs, so keep the two telling the same story.
   */
  outline?: unknown[];
  run(steps: SequenceSteps): Promise<void>;
}

/** Declares a code sequence. Put it in `workflows/sequences/<name>.sequence.ts` as the default export. */
export function defineSequence(definition: SequenceDefinition): SequenceDefinition {
  return definition;
}
