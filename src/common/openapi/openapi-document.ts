import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ERROR_DESCRIPTIONS, errorResponse, ErrorStatus } from './api-responses.decorator';
import { componentSchemas } from './schemas';

const BODY_METHODS = new Set(['post', 'put', 'patch', 'delete']);
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

type Operation = {
  operationId?: string;
  parameters?: Array<{ in?: string }>;
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
      addSharedResponses(method, op);
    }
  }
  return document;
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
