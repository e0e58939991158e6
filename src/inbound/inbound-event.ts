import { randomUUID } from 'node:crypto';
import { badRequest } from '../common/errors/api-error';
import { isPlainObject, JsonObject } from '../common/json/json-merge';

export const EVENT_TYPES = ['identify', 'track', 'group', 'page', 'screen', 'alias'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

const MAX_ID_LENGTH = 512;
const MAX_NAME_LENGTH = 1000;

/** An inbound event after validation: the body as sent, plus what Herald keys it by. */
export interface NormalizedEvent {
  type: EventType;
  messageId: string;
  /** `userId ?? anonymousId`: whose profile and runs this event concerns. */
  recipientId: string;
  userId: string | null;
  /** Catalog key: identify, group, alias, track/<event>, page/<name>, screen/<name>. */
  eventId: string;
  body: JsonObject;
}

/** `{ batch: [...] }`, a JSON array, or one event: the list of raw events and how to name each. */
export function splitInboundBody(body: unknown): Array<{ raw: unknown; path: string }> {
  if (Array.isArray(body)) return body.map((raw, i) => ({ raw, path: `[${i}].` }));
  if (isPlainObject(body) && 'batch' in body) {
    if (!Array.isArray(body.batch)) throw badRequest('batch must be an array of events');
    return body.batch.map((raw, i) => ({ raw, path: `batch[${i}].` }));
  }
  if (!isPlainObject(body)) throw badRequest('body must be a JSON object, a JSON array of events, or { "batch": [...] }');
  return [{ raw: body, path: '' }];
}

/**
 * Validates one event per SPEC section 2; each failure is a 400 naming the field (prefixed
 * with its batch position). A missing messageId gets a generated one. Unknown keys are kept.
 */
export function normalizeEvent(raw: unknown, path = ''): NormalizedEvent {
  const fail = (message: string) => badRequest(`${path}${message}`);
  if (!isPlainObject(raw)) throw badRequest(`${path ? path.slice(0, -1) : 'event'} must be a JSON object`);
  const body = raw;

  if (body.type === undefined || body.type === null || body.type === '') throw fail('type is required');
  if (typeof body.type !== 'string') throw fail('type must be a string');
  const type = body.type.toLowerCase() as EventType;
  if (!EVENT_TYPES.includes(type)) throw fail(`type must be one of ${EVENT_TYPES.join(', ')} (got ${JSON.stringify(body.type)})`);

  const userId = optionalId(body.userId, 'userId', fail);
  const anonymousId = optionalId(body.anonymousId, 'anonymousId', fail);
  const recipientId = userId ?? anonymousId;
  if (!recipientId) throw fail('userId or anonymousId is required');

  let messageId = optionalId(body.messageId, 'messageId', fail);
  if (!messageId) {
    messageId = randomUUID();
    body.messageId = messageId;
  }

  for (const field of ['properties', 'traits', 'context', 'integrations'] as const) {
    if (body[field] !== undefined && body[field] !== null && !isPlainObject(body[field])) {
      throw fail(`${field} must be a JSON object`);
    }
  }
  const context = body.context as JsonObject | undefined;
  if (context?.traits !== undefined && context.traits !== null && !isPlainObject(context.traits)) {
    throw fail('context.traits must be a JSON object');
  }

  let eventId: string;
  switch (type) {
    case 'identify':
      if (!isPlainObject(body.traits) && !isPlainObject(context?.traits)) {
        throw fail('traits (or context.traits) is required for identify');
      }
      eventId = 'identify';
      break;
    case 'track':
      eventId = `track/${requiredName(body.event, 'event', 'track', fail)}`;
      break;
    case 'group':
      requiredName(body.groupId, 'groupId', 'group', fail, true, MAX_ID_LENGTH);
      eventId = 'group';
      break;
    case 'page':
    case 'screen': {
      const name = body.name ?? (body.properties as JsonObject | undefined)?.name;
      eventId = typeof name === 'string' && name ? `${type}/${name.slice(0, MAX_NAME_LENGTH)}` : type;
      break;
    }
    case 'alias':
      eventId = 'alias';
      break;
    default:
      return assertNever(type);
  }
  return { type, messageId, recipientId, userId, eventId, body };
}

/** The traits an identify merges into the profile: `traits ?? context.traits`. */
export function identifyTraits(body: JsonObject): JsonObject {
  if (isPlainObject(body.traits)) return body.traits;
  const context = body.context as JsonObject | undefined;
  return isPlainObject(context?.traits) ? context.traits : {};
}

function optionalId(value: unknown, field: string, fail: (m: string) => Error): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') throw fail(`${field} must be a string`);
  if (value.length > MAX_ID_LENGTH) throw fail(`${field} must be at most ${MAX_ID_LENGTH} characters`);
  return value;
}

function requiredName(
  value: unknown, field: string, type: string, fail: (m: string) => Error, allowNumber = false, max = MAX_NAME_LENGTH,
): string {
  if (value === undefined || value === null || value === '') throw fail(`${field} is required for ${type}`);
  if (allowNumber && typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') throw fail(`${field} must be a string`);
  if (value.length > max) throw fail(`${field} must be at most ${max} characters`);
  return value;
}

function assertNever(value: never): never {
  throw new Error(`unhandled event type ${String(value)}`);
}
