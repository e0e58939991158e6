import { z } from 'zod';
import { ACTIONS } from '../../workflows/shared/step-schema';
import { component, dateTime, json, jsonObject, page } from '../common/openapi/schemas';

const RUN_STATUSES = ['PROCESSING', 'WAITING', 'PROCESSED', 'CANCELED', 'ERROR'] as const;

/** A step of the step language (workflows/shared/step-schema.ts): each action has its own fields. */
export const StepSchema = component('Step', z.looseObject({ action: z.enum(ACTIONS) }), 'One step; the fields besides action depend on it');

export const TemplateSchema = component(
  'AutomationTemplate',
  z.object({
    id: z.string(),
    name: z.string(),
    alias: z.string().nullable(),
    trigger_event_id: z.string().nullable(),
    cancelation_token: z.string().nullable(),
    recipient: z.string().nullable(),
    steps: z.array(StepSchema).describe('the draft'),
    published_version: z.int().nullable(),
    published_at: dateTime().nullable(),
    created_at: dateTime(),
    updated_at: dateTime(),
  }),
);
export const TemplatePageSchema = page('AutomationTemplatePage', TemplateSchema);

export const PublishedSchema = component('PublishedVersion', z.object({ id: z.string(), version: z.int(), published_at: dateTime() }));

export const TemplateVersionsSchema = component(
  'AutomationTemplateVersions',
  z.object({
    items: z.array(z.object({ version: z.int(), name: z.string(), steps: z.array(StepSchema), cancelation_token: z.string().nullable(), recipient: z.string().nullable(), published_at: dateTime() })),
  }),
);

export const SequencesSchema = component(
  'Sequences',
  z.object({
    items: z.array(z.object({
      name: z.string(),
      description: z.string(),
      singleton: z.boolean(),
      steps: z.array(StepSchema).nullable().describe('its outline in the step language (drawn read-only by the Studio), or null'),
    })),
  }),
);

export const InvokedSchema = component('Invoked', z.object({ runId: z.string() }));

export const CanceledRunsSchema = component(
  'CanceledRuns',
  z.object({ canceled: z.array(z.object({ run_id: z.string(), status: z.enum(RUN_STATUSES).describe('CANCELED, or the final state the run had reached') })) }),
);

export const RunSchema = component(
  'Run',
  z.object({
    run_id: z.string(),
    status: z.enum(RUN_STATUSES),
    kind: z.enum(['steps', 'sequence']),
    template_id: z.string().nullable(),
    template_version: z.int().nullable(),
    template_name: z.string().nullable(),
    sequence: z.string().nullable(),
    source: z.string().describe('api, schedule, or the event, broadcast or run that started it'),
    recipient: z.string().nullable(),
    cancelation_token: z.string().nullable(),
    context: z.object({ data: jsonObject(), profile: jsonObject(), recipient: z.string().nullable(), brand: z.string().nullable(), template: z.string().nullable() }),
    error: z.string().nullable(),
    parent_run_id: z.string().nullable(),
    event_log_id: z.string().nullable(),
    workflow_id: z.string(),
    temporal_url: z.string().nullable().describe('the workflow in the Temporal UI, when its URL is configured'),
    created_at: dateTime(),
    updated_at: dateTime(),
    finished_at: dateTime().nullable(),
    wakes_at: dateTime().nullable().describe('while WAITING: when its timer or timeout is due'),
  }),
);
export const RunPageSchema = page('RunPage', RunSchema);

export const RunStepsSchema = component(
  'RunSteps',
  z.object({
    run_id: z.string(),
    status: z.enum(RUN_STATUSES),
    definition: z.array(StepSchema).nullable().describe('the steps as the run pinned them (null for a code sequence)'),
    items: z.array(
      z.object({
        path: z.string().describe('the step index, nested as 1.paths.0.steps.2'),
        action: z.string(),
        status: z.enum([...RUN_STATUSES, 'SKIPPED', 'NOT PROCESSED']),
        started_at: dateTime().nullable(),
        ended_at: dateTime().nullable(),
        result: json(),
        error: z.string().nullable(),
        message_id: z.string().nullable(),
      }),
    ),
  }),
);

export const StepJsonSchemaSchema = component(
  'StepLanguageSchema',
  z.object({
    actions: z.array(z.object({
      action: z.enum(ACTIONS),
      description: z.string(),
      schema: jsonObject().describe("JSON Schema (draft 2020-12) of the step's input; each field's help is its description"),
    })),
  }),
);

export const MappingTargetSchema = component(
  'MappingTarget',
  z.object({ target: z.string().describe('a template id, or sequence:<name>'), type: z.enum(['template', 'sequence']), name: z.string() }),
);
