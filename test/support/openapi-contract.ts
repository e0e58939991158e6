import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/**
 * Holds Herald's answers to its own OpenAPI document: every response the tests receive must have
 * a status the operation documents and, for JSON, a body its schema accepts. Objects are closed
 * here (the document leaves them open for clients), so a field the document does not name fails.
 */
export interface OpenApiDocument {
  paths: Record<string, Record<string, { operationId?: string; responses: Record<string, ResponseObject> }>>;
  components?: { schemas?: Record<string, unknown>; responses?: Record<string, ResponseObject> };
}
interface ResponseObject {
  $ref?: string;
  content?: Record<string, { schema?: unknown }>;
}

export interface CheckedResponse {
  method: string;
  /** The request path, with or without a query string. */
  url: string;
  status: number;
  contentType?: string;
  /** The raw body text ('' for none). */
  body: string;
  /** The request carried If-None-Match or If-Modified-Since. */
  conditional?: boolean;
}

interface Route {
  template: string;
  pattern: RegExp;
  params: number;
  methods: Record<string, { operationId?: string; responses: Record<string, ResponseObject> }>;
}

const DOC_ID = 'herald-openapi';

export class OpenApiContract {
  private readonly routes: Route[];
  private readonly ajv: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(readonly document: OpenApiDocument) {
    this.ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true });
    addFormats(this.ajv);
    const schemas = Object.fromEntries(Object.entries(document.components?.schemas ?? {}).map(([name, schema]) => [name, toJsonSchema(schema)]));
    this.ajv.addSchema({ $id: DOC_ID, components: { schemas } });
    this.routes = Object.entries(document.paths)
      .map(([template, methods]) => ({
        template,
        pattern: new RegExp(`^${template.split(/\{[^}]+\}/).map(escape).join('[^/]+')}/?$`),
        params: (template.match(/\{/g) ?? []).length,
        methods,
      }))
      // A literal segment wins over a parameter (/automations/runs before /automations/{id}).
      .sort((a, b) => a.params - b.params);
  }

  /** The documented route a request path belongs to, or undefined (the Studio, the docs, unknown paths). */
  route(method: string, url: string): { template: string; operationId?: string } | undefined {
    const path = url.split('?')[0];
    const route = this.routes.find((r) => r.pattern.test(path) && r.methods[method.toLowerCase()]);
    return route && { template: route.template, operationId: route.methods[method.toLowerCase()].operationId };
  }

  /** What is wrong with a response, or null when the document describes it. */
  check(res: CheckedResponse): string | null {
    const method = res.method.toLowerCase();
    if (method === 'head' || method === 'options') return null;
    const path = res.url.split('?')[0];
    const route = this.routes.find((r) => r.pattern.test(path) && r.methods[method]);
    if (!route) return null;
    const op = route.methods[method];
    // HTTP's own revalidation (Express sends ETags; browsers revalidate), the same for every GET.
    if (res.status === 304 && method === 'get' && res.conditional) return null;
    const where = `${res.method.toUpperCase()} ${route.template} (${op.operationId ?? '?'}) answered ${res.status}`;
    const response = this.resolve(op.responses[String(res.status)] ?? op.responses[`${String(res.status)[0]}XX`] ?? op.responses.default);
    if (!response) return `${where}, a status the document does not list (it lists ${Object.keys(op.responses).join(', ')}); body: ${res.body.slice(0, 500)}`;
    const mediaType = (res.contentType ?? '').split(';')[0].trim().toLowerCase();
    const content = response.content ?? {};
    if (!Object.keys(content).length) {
      return res.body.length ? `${where} with a ${mediaType || 'untyped'} body the document says it has none of: ${res.body.slice(0, 300)}` : null;
    }
    if (!content[mediaType]) {
      return `${where} with ${mediaType || 'no content type'}, but the document has ${Object.keys(content).join(', ')}: ${res.body.slice(0, 300)}`;
    }
    if (mediaType !== 'application/json') return null;
    let body: unknown;
    try {
      body = JSON.parse(res.body);
    } catch {
      return `${where} with a body that is not JSON: ${res.body.slice(0, 300)}`;
    }
    const validate = this.validator(`${method} ${route.template} ${res.status}`, content[mediaType].schema ?? {});
    if (validate(body)) return null;
    const errors = (validate.errors ?? []).slice(0, 8).map((e) => `  ${e.instancePath || '/'} ${e.message}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ''}`);
    return `${where} with a body its schema does not accept:\n${errors.join('\n')}\nbody: ${res.body.slice(0, 1500)}`;
  }

  /** A response object, following a `#/components/responses/...` reference. */
  resolve(response: ResponseObject | undefined): ResponseObject | undefined {
    const ref = response?.$ref?.match(/^#\/components\/responses\/(.+)$/);
    return ref ? this.document.components?.responses?.[ref[1]] : response;
  }

  private validator(key: string, schema: unknown): ValidateFunction {
    let v = this.validators.get(key);
    if (!v) {
      v = this.ajv.compile(toJsonSchema(schema) as object);
      this.validators.set(key, v);
    }
    return v;
  }
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * OpenAPI 3.0 schema objects as JSON Schema: `nullable` becomes a `null` alternative, refs point
 * into the document's components, and objects with named properties admit no others.
 */
export function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const { nullable, ...rest } = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) {
    if (key === '$ref' && typeof value === 'string') out.$ref = value.startsWith('#/') ? `${DOC_ID}${value}` : value;
    else if (key === 'properties') out[key] = Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, toJsonSchema(v)]));
    else if (key === 'example' || key === 'examples') continue;
    else out[key] = toJsonSchema(value);
  }
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return nullable === true ? { anyOf: [out, { type: 'null' }] } : out;
}
