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

/** Field help (shown by the Studio's designer, from the JSON Schema these schemas emit). */
const help = <T extends z.ZodTypeAny>(schema: T, description: string) => schema.describe(description) as T;
const DURATION_HELP = 'e.g. "30 minutes", "2 days", "1 week", or milliseconds as a number';

const common = {
  if: help(condition.optional(), 'Run this step only when this holds: an expression (data.plan == "pro"), [path, operator, value], true/false, or { "AND" | "OR": [...] }'),
  ref: help(z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'ref must be a name of letters, digits, _ or -').optional(), "A name for this step's result, read later as refs.<ref>"),
  data: help(jsonObject.optional(), "Merged into the run's data before the step runs"),
  profile: help(jsonObject.optional(), "Merged into the run's profile before the step runs"),
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
    recipient: help(dynamic(text).optional(), "Who receives it: a user id or refs.data.userId (default: the run's recipient)"),
    template: help(dynamic(text).optional(), 'The notification template id to render'),
    brand: help(dynamic(text).optional(), 'A brand id for the template'),
    channels: help(z.array(text).optional(), "Channels to use, in order (default: the template's)"),
    idempotency_key: help(text.optional(), 'Sends with the same key within a run are sent once'),
    message: help(jsonObject.optional(), 'A Courier message object, instead of or beside a template'),
  })
  .strict()
  .refine((s) => s.template !== undefined || s.message !== undefined, { message: 'send needs template or message', path: ['template'] });

const delayStep = z.preprocess(
  aliases({ delayFor: 'duration', delayUntil: 'until' }),
  z
    .object({
      action: z.literal('delay'),
      ...common,
      duration: help(durationValue.optional(), `How long to wait: ${DURATION_HELP}`),
      until: help(untilValue.optional(), 'Wait until a date-time ("2030-01-31T09:00:00Z") or an opening-hours window in the recipient\'s zone ("Mo-Fr 08:00-16:30")'),
    })
    .strict()
    .refine((s) => (s.duration === undefined) !== (s.until === undefined), { message: 'delay needs exactly one of duration or until', path: ['duration'] }),
);

const waitForStep = z
  .object({
    action: z.literal('wait-for'),
    ...common,
    event: help(dynamic(text), 'The track event name to wait for (from the same user)'),
    timeout: help(durationValue, `Give up after this long and go on (refs.<ref>.matched is false): ${DURATION_HELP}`),
    match: help(condition.optional(), 'Only an event for which this condition holds (event.properties.plan == "pro")'),
  })
  .strict();

const cancelStep = z.preprocess(
  aliases(TOKEN_ALIASES),
  z.object({ action: z.literal('cancel'), ...common, cancelation_token: help(dynamic(text), 'Cancels every active run with this token') }).strict(),
);

const fetchDataStep = z
  .object({
    action: z.literal('fetch-data'),
    ...common,
    webhook: help(z
      .object({
        url: text,
        method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'get', 'post', 'put', 'patch', 'delete']).default('GET'),
        headers: z.record(z.string(), z.string()).optional(),
        params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
        body: json.optional(),
      })
      .strict(), 'The request: { url, method, headers, params, body }; the JSON answer is merged into data'),
    merge_strategy: help(mergeStrategy.default('overwrite'), 'How the answer merges into data'),
  })
  .strict();

const updateProfileStep = z
  .object({
    action: z.literal('update-profile'),
    ...common,
    recipient_id: help(dynamic(text), 'The user whose profile is updated'),
    profile: help(jsonObject, 'The fields to write'),
    merge: help(mergeStrategy.default('overwrite'), 'How the fields merge into the stored profile'),
  })
  .strict();

const getProfileStep = z
  .object({
    action: z.literal('get-profile'),
    ...common,
    user_id: help(dynamic(text), 'The user whose stored profile is read into the run'),
    merge_strategy: help(mergeStrategy.default('overwrite'), "How it merges into the run's profile"),
  })
  .strict();

const invokeStep = z
  .object({
    action: z.literal('invoke'),
    ...common,
    template: help(text, 'The automation template (id or alias) to start as a child run'),
    context: help(z
      .object({ data: jsonObject.optional(), profile: jsonObject.optional(), recipient: dynamic(text).optional(), brand: dynamic(text).optional() })
      .strict()
      .optional(), 'data, profile, recipient and brand for the child run'),
  })
  .strict();

const throttleStep = z
  .object({
    action: z.literal('throttle'),
    ...common,
    max_allowed: help(z.number().int().min(1), 'At most this many runs pass per period; the others end here'),
    period: help(durationValue, `The window: ${DURATION_HELP}`),
    scope: help(z.enum(['user', 'global', 'dynamic']).default('user'), 'Counted per user, for everyone, or per throttle_key'),
    throttle_key: help(dynamic(text).optional(), 'The key to count by when scope is dynamic'),
  })
  .strict()
  .refine((s) => s.scope !== 'dynamic' || s.throttle_key !== undefined, { message: 'throttle_key is required when scope is dynamic', path: ['throttle_key'] });

const addToBatchStep = z
  .object({
    action: z.literal('add-to-batch'),
    ...common,
    wait_period: help(durationValue, `Send the batch after this long with no new item: ${DURATION_HELP}`),
    max_wait_period: help(durationValue, 'Send the batch at the latest after this long'),
    max_items: help(z.number().int().min(1).max(1000).optional(), 'Send the batch when it has this many items (1-1000)'),
    batch_key: help(dynamic(text).optional(), 'Batches are kept per key (default: per recipient)'),
  })
  .strict();

const exitStep = z.object({ action: z.literal('exit'), ...common }).strict();

/** subscribe: puts a user (the run's recipient by default) on a list, creating the list if need be. */
const subscribeStep = z
  .preprocess(
    aliases({ listId: 'list_id', recipientId: 'recipient_id' }),
    z.object({
      action: z.literal('subscribe'),
      ...common,
      list_id: help(dynamic(text), 'The list (created if missing), e.g. "product.updates"'),
      recipient_id: help(dynamic(text).optional(), "The user to subscribe (default: the run's recipient)"),
    }).strict(),
  );

/** send-list: one message per subscriber of a list (or of the lists a pattern matches), by the broadcast engine. */
const sendListStep = z
  .preprocess(
    aliases({ list_id: 'list' }),
    z.object({
      action: z.literal('send-list'),
      ...common,
      list: help(dynamic(text).optional(), 'The list whose subscribers each get a message'),
      list_pattern: help(dynamic(text).optional(), 'Or every list matching a pattern ("product.*")'),
      template: help(dynamic(text), 'The notification template to send'),
    }).strict()
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
      paths: help(z.array(z.object({ if: condition, steps: z.array(stepSchema) }).strict()).min(1), 'The paths, tried in order: the first whose if holds is taken'),
      default: help(z.object({ steps: z.array(stepSchema) }).strict().optional(), 'The steps when no path matches'),
    })
    .strict(),
) as z.ZodType<BranchStepShape>;

export const ACTIONS = ['send', 'delay', 'wait-for', 'cancel', 'fetch-data', 'update-profile', 'get-profile', 'invoke', 'branch', 'throttle', 'add-to-batch', 'exit', 'subscribe', 'send-list'] as const;
export type Action = (typeof ACTIONS)[number];

/** What each action does, in a line (the designer's palette). */
export const ACTION_HELP: Record<Action, string> = {
  send: 'Send a notification template to the recipient',
  delay: 'Wait for a duration, until a time, or for a delivery window',
  'wait-for': 'Wait for an event from the user, up to a timeout',
  cancel: 'Cancel the active runs with a cancelation token',
  'fetch-data': 'Call a webhook and merge its JSON into data',
  'update-profile': "Write fields into a user's profile",
  'get-profile': "Read a user's stored profile into the run",
  invoke: 'Start another automation as a child run',
  branch: 'Take the first path whose condition holds, else the default',
  throttle: 'Let at most N runs per period go on',
  'add-to-batch': 'Collect items and go on with one batched run',
  exit: 'End the run here',
  subscribe: 'Put the user on a list',
  'send-list': 'Send a template to every subscriber of a list',
};

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

/** Each action's own schema (the JSON Schema the Studio's designer builds its forms from). */
export const STEP_SCHEMAS: Readonly<Record<Action, z.ZodTypeAny>> = byAction;

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
