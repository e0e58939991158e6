import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Herald's custom search attributes: every workflow carries its workspace, and runs carry
 * what an operator filters by in the Temporal UI. Registered by the embedded dev server at
 * launch and by the worker on start (for external clusters that allow it).
 */
export const SA_WORKSPACE = defineSearchAttributeKey('HeraldWorkspace', SearchAttributeType.KEYWORD);
export const SA_EVENT = defineSearchAttributeKey('HeraldEvent', SearchAttributeType.KEYWORD);
export const SA_RECIPIENT = defineSearchAttributeKey('HeraldRecipient', SearchAttributeType.KEYWORD);
export const SA_TEMPLATE = defineSearchAttributeKey('HeraldTemplate', SearchAttributeType.KEYWORD);
export const SA_SOURCE = defineSearchAttributeKey('HeraldSource', SearchAttributeType.KEYWORD);
export const SA_CANCELATION_TOKEN = defineSearchAttributeKey('HeraldCancelationToken', SearchAttributeType.KEYWORD);

export const HERALD_SEARCH_ATTRIBUTES = [
  SA_WORKSPACE,
  SA_EVENT,
  SA_RECIPIENT,
  SA_TEMPLATE,
  SA_SOURCE,
  SA_CANCELATION_TOKEN,
] as const;

/** Rebuilds typed search attributes from plain name → value pairs (as they travel in activity results). */
export function toTypedSearchAttributes(values: Record<string, string>) {
  return HERALD_SEARCH_ATTRIBUTES.filter((key) => values[key.name] !== undefined && values[key.name] !== '').map((key) => ({
    key,
    value: values[key.name].slice(0, 2000),
  }));
}
