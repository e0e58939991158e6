import { isPlainObject } from '../../workflows/shared/json';
import { badRequest } from '../common/errors/api-error';
import { firstNulPath } from '../common/json/nul-characters';
import { sequenceCatalog } from '../automations/sequences/sequence-catalog';

/** What a schedule does when it fires. */
export type ScheduleTarget =
  | { template: string; to: Record<string, unknown> }
  | { automation: string; recipient?: string }
  | { sequence: string; recipient: string }
  | { broadcast: string };

export type TargetKind = 'template' | 'automation' | 'sequence' | 'broadcast';

const KINDS: TargetKind[] = ['template', 'automation', 'sequence', 'broadcast'];
/** The `to` fields that name who a /send goes to (one or more, as /send takes them). */
const RECIPIENT_FIELDS = ['user_id', 'email', 'tenant_id', 'list_id', 'list_pattern', 'audience_id'];
const ID = /^[^\u0000-\u001f]{1,200}$/;

export function targetKind(target: ScheduleTarget): TargetKind {
  return KINDS.find((k) => k in target)!;
}


/**
 * Checks a target's shape (400 naming the field): `{ template, to }` (a /send), `{ automation,
 * recipient? }` (an automation template run), `{ sequence, recipient }` (a code sequence run) or
 * `{ broadcast }`. That a template or automation exists is checked when the schedule fires (they
 * may be created after the schedule); a sequence, being code, is checked now.
 */
export function parseTarget(value: unknown): ScheduleTarget {
  if (!isPlainObject(value)) throw badRequest('target must be an object: { template, to }, { automation, recipient }, { sequence, recipient } or { broadcast }');
  const kinds = KINDS.filter((k) => value[k] !== undefined);
  if (kinds.length !== 1) {
    throw badRequest(kinds.length
      ? `target must name one of template, automation, sequence or broadcast, not ${kinds.join(' and ')}`
      : `target must name one of template, automation, sequence or broadcast${Object.keys(value).length ? ` (unknown target kind ${JSON.stringify(Object.keys(value)[0])})` : ''}`);
  }
  const kind = kinds[0];
  const allowed: Record<TargetKind, string[]> = { template: ['template', 'to'], automation: ['automation', 'recipient'], sequence: ['sequence', 'recipient'], broadcast: ['broadcast'] };
  const unknown = Object.keys(value).filter((k) => !allowed[kind].includes(k));
  if (unknown.length) throw badRequest(`target: unknown field ${JSON.stringify(unknown[0])} for a ${kind} target (it takes ${allowed[kind].join(', ')})`);
  const id = value[kind];
  if (typeof id !== 'string' || !ID.test(id)) throw badRequest(`target.${kind} must be a non-empty string id (at most 200 characters)`);
  const recipient = value.recipient;
  if (recipient !== undefined && (typeof recipient !== 'string' || !recipient || recipient.length > 512)) throw badRequest('target.recipient must be a user id (a non-empty string)');
  switch (kind) {
    case 'template': {
      const to = value.to;
      if (!isPlainObject(to)) throw badRequest('target.to must be an object such as { user_id }, { tenant_id }, { list_id } or { audience_id }');
      const named = RECIPIENT_FIELDS.filter((f) => to[f] !== undefined);
      if (!named.length) throw badRequest(`target.to needs one of ${RECIPIENT_FIELDS.join(', ')}`);
      for (const f of named) if (typeof to[f] !== 'string' || !(to[f] as string).trim()) throw badRequest(`target.to.${f} must be a non-empty string`);
      if (JSON.stringify(to).length > 16_000) throw badRequest('target.to is larger than 16 KB');
      const nul = firstNulPath(to, 'target.to');
      if (nul) throw badRequest(`${nul} contains a NUL character (\\u0000), which cannot be stored`);
      return { template: id, to };
    }
    case 'automation':
      return recipient === undefined ? { automation: id } : { automation: id, recipient };
    case 'sequence': {
      if (recipient === undefined) throw badRequest('target.recipient is required for a sequence target (the user the sequence runs for)');
      const known = sequenceCatalog();
      if (!known[id]) throw badRequest(`target.sequence: no sequence named ${JSON.stringify(id)} (known: ${Object.keys(known).sort().join(', ') || 'none'})`);
      return { sequence: id, recipient };
    }
    case 'broadcast':
      return { broadcast: id };
  }
}
