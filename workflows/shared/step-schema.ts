import { z } from 'zod';
import { DurationError, isTimestampText, parseDuration } from './durations';
import { validateCondition, validateInterpolations } from './expressions';
import { MERGE_STRATEGIES } from './merge';

/**
 * The automation step language. The zod schema is the source of truth: the TypeScript types
 * are inferred from it, the API validates templates on save with it, and runs re-validate the
 * stored JSON when they load it. Courier's alias spellings are normalised here, so the rest of
 * Herald sees canonical names only.
 */

/** A value that is resolved at run time: `{ "$ref": "data.x" }`, `"refs.data.x"` or `"${...}"`. */
const isDynamic = (v: unknown) =>
  (typeof v === 'string' && (v.includes('${') || v.startsWith('refs.'))) ||
  (typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as Record<string, unknown>).$ref === 'string');

const refObject = z.object({ $ref: z.string().min(1) }).strict();
const json = z.unknown();
const jsonObject = z.record(z.string(), z.unknown());
const dynamic = <T extends z.ZodTypeAny>(schema: T) => z.union([schema, refObject]);

const durationValue = z.union([z.string(), z.number(), refObject]).superRefine((v, ctx) => {
  if (isDynamic(v)) return;
  try {
    parseDuration(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: err instanceof DurationError ? err.message : String(err) });
  }
});
/**
 * Checks a delivery window's opening-hours grammar. The grammar's library is Node-only (this
 * file is in the workflow bundle too), so the API registers it (src/common/time/delivery-window.ts);
 * a workflow re-validating a stored step has it already checked.
 */
let windowCheck: (text: string) => string | null = () => null;
export function useDeliveryWindowCheck(check: (text: string) => string | null): void {
  windowCheck = check;
}

/** An ISO-8601 timestamp, or an opening-hours window ("Mo-Fr 08:00-16:30") in the recipient's zone. */
const untilValue = z.union([z.string(), refObject]).superRefine((v, ctx) => {
  if (isDynamic(v) || isTimestampText(v)) return;
  const text = v as string;
  const looksLikeDate = /^\d{4}-\d{2}/.test(text.trim());
  const problem = looksLikeDate ? 'not a valid date' : windowCheck(text);
  if (problem) {
    ctx.addIssue({
      code: 'custom',
      message: `until must be an ISO-8601 date or date-time (e.g. "2030-01-31T09:00:00Z") or an opening-hours window (e.g. "Mo-Fr 08:00-16:30"): ${problem}`,
    });
  }
});
const condition = z.unknown().superRefine((v, ctx) => {
  const problem = validateCondition(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
const text = z.string().min(1);
const mergeStrategy = z.enum(MERGE_STRATEGIES as unknown as [string, ...string[]]);

const common = {
  if: condition.optional(),
  ref: z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'ref must be a name of letters, digits, _ or -').optional(),
  data: jsonObject.optional(),
  profile: jsonObject.optional(),
};

/** Renames Courier's alias spellings to the canonical field names before validation. */
function aliases(map: Record<string, string>) {
  return (input: unknown) => {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
    const out: Record<string, unknown> = { ...(input as Record<string, unknown>) };
    for (const [alias, canonical] of Object.entries(map)) {
      if (alias in out) {
        if (!(canonical in out)) out[canonical] = out[alias];
        delete out[alias];
      }
    }
    return out;
  };
}
const TOKEN_ALIASES = { cancelationToken: 'cancelation_token', cancellation_token: 'cancelation_token', cancellationToken: 'cancelation_token' };

const sendStep = z
  .object({
    action: z.literal('send'),
    ...common,
    recipient: dynamic(text).optional(),
    template: dynamic(text).optional(),
    brand: dynamic(text).optional(),
    channels: z.array(text).optional(),
    idempotency_key: text.optional(),
    message: jsonObject.optional(),
  })
  .strict()
  .refine((s) => s.template !== undefined || s.message !== undefined, { message: 'send needs template or message', path: ['template'] });

const delayStep = z.preprocess(
  aliases({ delayFor: 'duration', delayUntil: 'until' }),
  z
    .object({ action: z.literal('delay'), ...common, duration: durationValue.optional(), until: untilValue.optional() })
    .strict()
    .refine((s) => (s.duration === undefined) !== (s.until === undefined), { message: 'delay needs exactly one of duration or until', path: ['duration'] }),
);

const waitForStep = z
  .object({ action: z.literal('wait-for'), ...common, event: dynamic(text), timeout: durationValue, match: condition.optional() })
  .strict();

const cancelStep = z.preprocess(
  aliases(TOKEN_ALIASES),
  z.object({ action: z.literal('cancel'), ...common, cancelation_token: dynamic(text) }).strict(),
);

const fetchDataStep = z
  .object({
    action: z.literal('fetch-data'),
    ...common,
    webhook: z
      .object({
        url: text,
        method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'get', 'post', 'put', 'patch', 'delete']).default('GET'),
        headers: z.record(z.string(), z.string()).optional(),
        params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
        body: json.optional(),
      })
      .strict(),
    merge_strategy: mergeStrategy.default('overwrite'),
  })
  .strict();

const updateProfileStep = z
  .object({
    action: z.literal('update-profile'),
    ...common,
    recipient_id: dynamic(text),
    profile: jsonObject,
    merge: mergeStrategy.default('overwrite'),
  })
  .strict();

const getProfileStep = z
  .object({ action: z.literal('get-profile'), ...common, user_id: dynamic(text), merge_strategy: mergeStrategy.default('overwrite') })
  .strict();

const invokeStep = z
  .object({
    action: z.literal('invoke'),
    ...common,
    template: text,
    context: z
      .object({ data: jsonObject.optional(), profile: jsonObject.optional(), recipient: dynamic(text).optional(), brand: dynamic(text).optional() })
      .strict()
      .optional(),
  })
  .strict();

const throttleStep = z
  .object({
    action: z.literal('throttle'),
    ...common,
    max_allowed: z.number().int().min(1),
    period: durationValue,
    scope: z.enum(['user', 'global', 'dynamic']).default('user'),
    throttle_key: dynamic(text).optional(),
  })
  .strict()
  .refine((s) => s.scope !== 'dynamic' || s.throttle_key !== undefined, { message: 'throttle_key is required when scope is dynamic', path: ['throttle_key'] });

const addToBatchStep = z
  .object({
    action: z.literal('add-to-batch'),
    ...common,
    wait_period: durationValue,
    max_wait_period: durationValue,
    max_items: z.number().int().min(1).max(1000).optional(),
    batch_key: dynamic(text).optional(),
  })
  .strict();

const exitStep = z.object({ action: z.literal('exit'), ...common }).strict();

/** subscribe: puts a user (the run's recipient by default) on a list, creating the list if need be. */
const subscribeStep = z
  .preprocess(
    aliases({ listId: 'list_id', recipientId: 'recipient_id' }),
    z.object({ action: z.literal('subscribe'), ...common, list_id: dynamic(text), recipient_id: dynamic(text).optional() }).strict(),
  );

/** send-list: one message per subscriber of a list (or of the lists a pattern matches), by the broadcast engine. */
const sendListStep = z
  .preprocess(
    aliases({ list_id: 'list' }),
    z.object({ action: z.literal('send-list'), ...common, list: dynamic(text).optional(), list_pattern: dynamic(text).optional(), template: dynamic(text) }).strict()
      .refine((s) => (s.list === undefined) !== (s.list_pattern === undefined), { message: 'send-list needs exactly one of list or list_pattern', path: ['list'] }),
  );

type BranchStepShape = {
  action: 'branch';
  if?: unknown;
  ref?: string;
  data?: Record<string, unknown>;
  profile?: Record<string, unknown>;
  paths: Array<{ if: unknown; steps: Step[] }>;
  default?: { steps: Step[] };
};

const branchStep: z.ZodType<BranchStepShape> = z.lazy(() =>
  z
    .object({
      action: z.literal('branch'),
      ...common,
      paths: z.array(z.object({ if: condition, steps: z.array(stepSchema) }).strict()).min(1),
      default: z.object({ steps: z.array(stepSchema) }).strict().optional(),
    })
    .strict(),
) as z.ZodType<BranchStepShape>;

export const ACTIONS = ['send', 'delay', 'wait-for', 'cancel', 'fetch-data', 'update-profile', 'get-profile', 'invoke', 'branch', 'throttle', 'add-to-batch', 'exit', 'subscribe', 'send-list'] as const;
export type Action = (typeof ACTIONS)[number];

const byAction: Record<Action, z.ZodTypeAny> = {
  send: sendStep,
  delay: delayStep,
  'wait-for': waitForStep,
  cancel: cancelStep,
  'fetch-data': fetchDataStep,
  'update-profile': updateProfileStep,
  'get-profile': getProfileStep,
  invoke: invokeStep,
  branch: branchStep,
  throttle: throttleStep,
  'add-to-batch': addToBatchStep,
  exit: exitStep,
  subscribe: subscribeStep,
  'send-list': sendListStep,
};

/** Dispatches on `action` first so an error names the fields of the right step type. */
export const stepSchema: z.ZodType<Step> = z.unknown().transform((input, ctx) => {
  const action = (input as { action?: unknown } | null)?.action;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    ctx.addIssue({ code: 'custom', message: 'a step must be a JSON object' });
    return z.NEVER;
  }
  if (typeof action !== 'string' || !(ACTIONS as readonly string[]).includes(action)) {
    ctx.addIssue({ code: 'custom', path: ['action'], message: `action must be one of ${ACTIONS.join(', ')}` });
    return z.NEVER;
  }
  const parsed = byAction[action as Action].safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, code: 'custom', path: issue.path, message: issue.message } as never);
    return z.NEVER;
  }
  const step = parsed.data as Step;
  const interpolationProblem = validateInterpolations(step);
  if (interpolationProblem) {
    ctx.addIssue({ code: 'custom', message: interpolationProblem });
    return z.NEVER;
  }
  return step;
}) as unknown as z.ZodType<Step>;

export type SendStep = z.infer<typeof sendStep>;
export type DelayStep = z.infer<typeof delayStep>;
export type WaitForStep = z.infer<typeof waitForStep>;
export type CancelStep = z.infer<typeof cancelStep>;
export type FetchDataStep = z.infer<typeof fetchDataStep>;
export type UpdateProfileStep = z.infer<typeof updateProfileStep>;
export type GetProfileStep = z.infer<typeof getProfileStep>;
export type InvokeStep = z.infer<typeof invokeStep>;
export type BranchStep = BranchStepShape;
export type ThrottleStep = z.infer<typeof throttleStep>;
export type AddToBatchStep = z.infer<typeof addToBatchStep>;
export type ExitStep = z.infer<typeof exitStep>;
export type SubscribeStep = z.infer<typeof subscribeStep>;
export type SendListStep = z.infer<typeof sendListStep>;
export type Step =
  | SendStep | DelayStep | WaitForStep | CancelStep | FetchDataStep | UpdateProfileStep
  | GetProfileStep | InvokeStep | BranchStep | ThrottleStep | AddToBatchStep | ExitStep | SubscribeStep | SendListStep;

export const automationSchema = z.preprocess(
  aliases(TOKEN_ALIASES),
  z.object({ steps: z.array(stepSchema), cancelation_token: text.optional() }).passthrough(),
);

export class StepValidationError extends Error {
  constructor(public readonly problems: string[]) {
    super(problems[0]);
    this.name = 'StepValidationError';
  }
}

/** `steps[2].duration: ...` — names the step index and field (nested: steps[1].paths[0].steps[0].template). */
export function formatIssuePath(path: ReadonlyArray<PropertyKey>, root = 'steps'): string {
  let out = root;
  for (const segment of path) out += typeof segment === 'number' ? `[${segment}]` : `.${String(segment)}`;
  return out;
}

/** Validates a step list; throws StepValidationError with every problem, first one first. */
export function parseSteps(steps: unknown, root = 'steps'): Step[] {
  if (!Array.isArray(steps)) throw new StepValidationError([`${root} must be an array of steps`]);
  const result = z.array(stepSchema).safeParse(steps);
  if (!result.success) {
    throw new StepValidationError(result.error.issues.map((i) => `${formatIssuePath(i.path, root)}: ${i.message}`));
  }
  return result.data;
}

/** Every `invoke` target a step list names literally (for cycle checks on save). */
export function invokedTemplates(steps: Step[]): string[] {
  const out: string[] = [];
  for (const step of steps) {
    if (step.action === 'invoke') out.push(step.template);
    if (step.action === 'branch') {
      for (const p of step.paths) out.push(...invokedTemplates(p.steps));
      if (step.default) out.push(...invokedTemplates(step.default.steps));
    }
  }
  return out;
}
