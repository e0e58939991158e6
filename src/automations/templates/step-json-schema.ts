import { z } from 'zod';
import { ACTIONS, ACTION_HELP, STEP_SCHEMAS } from '../../../workflows/shared/step-schema';

export interface StepActionSchema {
  action: string;
  description: string;
  /** JSON Schema (draft 2020-12) of the step's input, with each field's help as `description`. */
  schema: Record<string, unknown>;
}

let cached: { actions: StepActionSchema[] } | undefined;

/**
 * The step language as JSON Schema, one per action, emitted from the zod schemas the API
 * validates with, so the Studio's forms cannot drift from what a save accepts. Checks zod
 * cannot express (durations, conditions, windows) stay server-side: a save reports them.
 */
export function stepJsonSchema(): { actions: StepActionSchema[] } {
  cached ??= {
    actions: ACTIONS.map((action) => {
      const { $schema: _dialect, ...schema } = z.toJSONSchema(STEP_SCHEMAS[action], { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
      return { action, description: ACTION_HELP[action], schema };
    }),
  };
  return cached;
}
