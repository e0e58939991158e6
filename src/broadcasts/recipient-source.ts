import { isPlainObject } from '../../workflows/shared/json';
import { badRequest } from '../common/errors/api-error';
import { checkListId, patternRegex } from '../lists/lists.service';

/** Who a broadcast (or a /send to many) goes to. */
export type RecipientSource = { list_id: string } | { list_pattern: string } | { audience_id: string } | { tenant_id: string };


/** The one source named in `value` (`list_id`, `list_pattern`, `audience_id` or `tenant_id`), checked. */
export function recipientSource(value: unknown, field = 'source'): RecipientSource {
  if (!isPlainObject(value)) throw badRequest(`${field} must name list_id, list_pattern, audience_id or tenant_id`);
  const given = (['list_id', 'list_pattern', 'audience_id', 'tenant_id'] as const).filter((k) => value[k] !== undefined && value[k] !== null && value[k] !== '');
  if (given.length !== 1) throw badRequest(`${field} must name exactly one of list_id, list_pattern, audience_id or tenant_id`);
  const key = given[0];
  const id = value[key];
  if (typeof id !== 'string' || id.length > 512) throw badRequest(`${field}.${key} must be a string of at most 512 characters`);
  if (key === 'list_id') checkListId(id);
  if (key === 'list_pattern') patternRegex(id);
  return { [key]: id } as RecipientSource;
}

/**
 * The SQL selecting the source's distinct user ids (`user_id`), with its parameters appended to
 * `params` after the workspace ($1). Each source is an indexed read of its membership table.
 */
export function recipientsSql(source: RecipientSource, params: unknown[]): string {
  if ('list_id' in source) return `SELECT user_id FROM list_subscriptions WHERE workspace_id = $1 AND list_id = $${params.push(source.list_id)}`;
  if ('list_pattern' in source) return `SELECT DISTINCT user_id FROM list_subscriptions WHERE workspace_id = $1 AND list_id ~ $${params.push(patternRegex(source.list_pattern))}`;
  if ('audience_id' in source) return `SELECT user_id FROM audience_members WHERE workspace_id = $1 AND audience_id = $${params.push(source.audience_id)}`;
  return `SELECT user_id FROM tenant_memberships WHERE workspace_id = $1 AND tenant_id = $${params.push(source.tenant_id)}`;
}
