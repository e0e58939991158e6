import type { Step } from '../../src/automations/steps/step.schema';
import type { RunContext } from '../shared/run-types';
import type { RunSession } from '../automation-run/session';

type StepFields<A extends Step['action']> = Omit<Extract<Step, { action: A }>, 'action'>;

/**
 * The step helpers a code sequence uses. Each call runs the same handler the JSON interpreter
 * runs for that action, so a sequence's steps are recorded, cancellable and shown exactly like
 * a template's.
 */
export class SequenceSteps {
  private n = 0;

  constructor(private readonly session: RunSession) {}

  get context(): RunContext {
    return this.session.context;
  }

  get data(): Record<string, unknown> {
    return this.session.context.data;
  }

  get recipient(): string | null {
    return this.session.context.recipient;
  }

  /** Runs any step of the step language; returns its result (what `ref` would expose). */
  async step<A extends Step['action']>(action: A, fields: StepFields<A>): Promise<unknown> {
    const ref = `_seq${this.n}`;
    await this.session.runStep({ action, ...fields, ref } as unknown as Step, `seq.${this.n++}`);
    return this.session.refs[ref];
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
  run(steps: SequenceSteps): Promise<void>;
}

/** Declares a code sequence. Put it in `workflows/sequences/<name>.sequence.ts` as the default export. */
export function defineSequence(definition: SequenceDefinition): SequenceDefinition {
  return definition;
}
