import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { ResponseObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { ERROR_DESCRIPTIONS, errorResponse, ErrorStatus } from './api-responses.decorator';
import { componentSchemas } from './schemas';

const BODY_METHODS = new Set(['post', 'put', 'patch', 'delete']);
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

type Parameter = { in?: string; name?: string; required?: boolean; description?: string };
type Operation = {
  operationId?: string;
  parameters?: Parameter[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
  security?: Array<Record<string, string[]>>;
  tags?: string[];
};

const TAGS: Array<{ name: string; description: string }> = [
  { name: 'inbound', description: 'RudderStack/Segment events in; the event log, catalog and mappings' },
  { name: 'automations', description: 'Automation templates, invocations and runs' },
  { name: 'profiles', description: 'User profiles' },
  { name: 'tenants', description: 'Tenants and their members' },
  { name: 'messages', description: 'Sending and reading messages' },
  { name: 'inbox', description: 'The in-app inbox' },
  { name: 'notifications', description: 'Notification templates' },
  { name: 'preferences', description: 'Preferences, topics and unsubscribe' },
  { name: 'lists', description: 'Lists and subscriptions' },
  { name: 'audiences', description: 'Audiences defined by a filter over profile data' },
  { name: 'broadcasts', description: 'One template to many recipients, paced' },
  { name: 'schedules', description: 'Recurring and one-time schedules' },
  { name: 'integrations', description: 'RudderStack outbound settings' },
  { name: 'keys', description: "The workspace's API keys" },
  { name: 'health', description: 'Liveness and readiness' },
  { name: 'tracking', description: 'Open and click tracking' },
];

/**
 * Herald's OpenAPI document: what @nestjs/swagger reads from the controllers, the zod response
 * components (src/common/openapi/schemas.ts), and the responses every route of a kind shares
 * (see ApiResponses for the convention).
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Herald')
    .setDescription(
      'Automation orchestrator for RudderStack/Segment events. Authenticate with `Authorization: Bearer <API key>` ' +
        '(Basic auth with the key as password also works). Errors are `{ message, type }`; 429 and 503 answers carry Retry-After.',
    )
    .setVersion(process.env.npm_package_version ?? '0.1.0')
    .setLicense('Apache-2.0', 'https://www.apache.org/licenses/LICENSE-2.0')
    .addServer('/', 'This Herald')
    .addBearerAuth()
    .addBasicAuth()
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    // `runs_list`, `templates_publish`: the controller's name without "Controller", then the handler.
    operationIdFactory: (controller, method) => `${controller.replace(/Controller$/, '').replace(/^./, (c) => c.toLowerCase())}_${method}`,
  });
  document.tags = TAGS.filter((tag) => Object.values(document.paths).some((item) => METHODS.some((m) => (item as Record<string, Operation | undefined>)[m]?.tags?.includes(tag.name))));
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...componentSchemas() } };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const op = (item as Record<string, Operation | undefined>)[method];
      if (!op) continue;
      op.operationId = aliasOperationId(op.operationId, path);
      op.parameters = withoutDuplicateHeaders(op.parameters);
      addSharedResponses(method, op);
    }
  }
  shareErrorResponses(document);
  return document;
}

const ERROR_RESPONSE_NAMES: Record<ErrorStatus, string> = {
  400: 'BadRequest', 401: 'Unauthorized', 404: 'NotFound', 409: 'Conflict', 413: 'PayloadTooLarge', 429: 'TooManyRequests', 502: 'BadGateway', 503: 'ServiceUnavailable',
};

/** Error responses with the default description become one `components.responses` entry each, referenced. */
function shareErrorResponses(document: OpenAPIObject): void {
  const shared: Record<string, ResponseObject> = {};
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const op = (item as Record<string, Operation | undefined>)[method];
      for (const [status, response] of Object.entries(op?.responses ?? {})) {
        const name = ERROR_RESPONSE_NAMES[Number(status) as ErrorStatus];
        if (!name || (response as { description?: string }).description !== ERROR_DESCRIPTIONS[Number(status) as ErrorStatus]) continue;
        shared[name] = response as ResponseObject;
        op!.responses[status] = { $ref: `#/components/responses/${name}` };
      }
    }
  }
  document.components!.responses = shared;
}

/**
 * `@Headers('idempotency-key')` adds a required header of its own beside the `@ApiHeader` that
 * describes it (header names are case-insensitive): the described one stays.
 */
function withoutDuplicateHeaders(parameters: Parameter[] | undefined): Parameter[] | undefined {
  if (!parameters) return parameters;
  const described = new Set(parameters.filter((p) => p.in === 'header' && p.description).map((p) => p.name?.toLowerCase()));
  return parameters.filter((p) => p.in !== 'header' || p.description || !described.has(p.name?.toLowerCase()));
}

/**
 * A handler on two paths (Courier's spelling beside Herald's) gets `name[0]`, `name[1]` from
 * @nestjs/swagger: the first path keeps the name, the other adds its first segment.
 */
function aliasOperationId(id: string | undefined, path: string): string | undefined {
  const m = id && /^(.*)\[(\d+)\]$/.exec(id);
  if (!m) return id;
  if (m[2] === '0') return m[1];
  const segment = path.split('/').filter(Boolean)[0] ?? 'root';
  return `${m[1]}_${segment.replace(/[-_](.)/g, (_, c: string) => c.toUpperCase())}`;
}

function addSharedResponses(method: string, op: Operation): void {
  const authenticated = !!op.security?.length;
  // Public routes say so explicitly; the others take a key as Bearer or Basic.
  op.security = authenticated ? [{ bearer: [] }, { basic: [] }] : [];
  const shared: ErrorStatus[] = [];
  if (authenticated) shared.push(401, 503);
  if (authenticated && BODY_METHODS.has(method)) shared.push(400, 413);
  // Query values are validated; a path value Postgres cannot take (a NUL) is a 400 too.
  if (op.parameters?.some((p) => p.in === 'query' || (authenticated && p.in === 'path'))) shared.push(400);
  for (const status of shared) {
    if (op.responses[status]) continue;
    const { description, schema, headers } = errorResponse(status, ERROR_DESCRIPTIONS[status]);
    op.responses[status] = { description, ...(headers ? { headers } : {}), content: { 'application/json': { schema } } };
  }
  op.responses = Object.fromEntries(Object.entries(op.responses).sort(([a], [b]) => a.localeCompare(b)));
}
