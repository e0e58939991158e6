/**
 * Liquid rendering for notification templates (SPEC §4 "Delivery").
 *
 * Templates are written by workspace members and rendered over `data`, `profile`, `recipient`
 * and `tenant`, which come from API callers and inbound events, so both the template and the
 * scope are treated as untrusted:
 *
 * - `strictVariables: false` — a missing variable renders as '' and never throws.
 * - `strictFilters: true` — an unknown filter is a syntax error, caught by `validateLiquid` when
 *   the template is saved rather than silently dropped at send time.
 * - `ownPropertyOnly: true` — `{{ data.constructor }}`, `{{ data.__proto__ }}` etc. render empty;
 *   templates cannot walk prototypes.
 * - `jsTruthy: false` — Liquid truthiness ('' and 0 are truthy; only nil/false are falsy).
 * - HTML engine: `outputEscape: 'escape'` — every `{{ }}` output is HTML-escaped so data cannot
 *   inject markup. Authors opt out per output with `| raw`. Note that an explicit `| escape` in
 *   HTML mode escapes twice (`&amp;lt;`); authors should not add it. The text engine (subjects,
 *   inbox titles/bodies, webhook bodies, plain-text email) does not escape.
 * - File-based tags are removed: `include`, `render` and `layout` would read files relative to
 *   the process working directory, so they are unregistered (using them is an "unknown tag"
 *   syntax error) and, belt and braces, the engines get an empty in-memory `templates` map.
 * - DoS limits (liquidjs 10): `parseLimit` 1e6 characters per parse, `renderLimit` 1000 ms
 *   per render, `memoryLimit` 1e7 allocation units per render (e.g. `(1..100000000)` ranges or
 *   repeated `concat` hit it). A limit hit, or any other run-time failure, surfaces as
 *   `TemplateRenderError`.
 *
 * Parsed templates are cached per engine by source string in a bounded LRU (1000 entries), so
 * repeated sends of the same template do not re-parse.
 */
import { Liquid, Template } from 'liquidjs';

/** A template that does not parse. The message is `"<fieldPath>: <liquid message>"`. */
export class TemplateSyntaxError extends Error {
  constructor(
    message: string,
    readonly fieldPath?: string,
  ) {
    super(message);
    this.name = 'TemplateSyntaxError';
  }
}

/** A template that parsed but failed while rendering (a DoS limit hit, etc.). */
export class TemplateRenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateRenderError';
  }
}

export const LIQUID_LIMITS = Object.freeze({
  /** characters parsed per parse() call */
  parseLimit: 1e6,
  /** milliseconds per render() call */
  renderLimit: 1000,
  /** liquidjs allocation units per render() call */
  memoryLimit: 1e7,
});

/** Tags that read from the file system; never available to workspace templates. */
const FILE_TAGS = ['include', 'render', 'layout'] as const;

function createEngine(html: boolean): Liquid {
  const engine = new Liquid({
    strictVariables: false,
    strictFilters: true,
    ownPropertyOnly: true,
    jsTruthy: false,
    ...(html ? { outputEscape: 'escape' as const } : {}),
    templates: {},
    cache: false,
    ...LIQUID_LIMITS,
  });
  for (const tag of FILE_TAGS) delete engine.tags[tag];
  return engine;
}

const CACHE_MAX = 1000;

class Engine {
  private readonly cache = new Map<string, Template[]>();
  constructor(readonly liquid: Liquid) {}

  /** Parse (or reuse) a template; throws liquidjs errors unchanged. */
  parse(source: string): Template[] {
    const hit = this.cache.get(source);
    if (hit) {
      // Refresh recency: Map iteration order is insertion order, oldest first.
      this.cache.delete(source);
      this.cache.set(source, hit);
      return hit;
    }
    const parsed = this.liquid.parse(source);
    if (this.cache.size >= CACHE_MAX) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(source, parsed);
    return parsed;
  }

  /** Exposed for tests/diagnostics only. */
  get cacheSize(): number {
    return this.cache.size;
  }
}

const htmlEngine = new Engine(createEngine(true));
const textEngine = new Engine(createEngine(false));

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

function syntaxError(err: unknown, fieldPath: string): TemplateSyntaxError {
  // liquidjs messages already carry "line:N, col:M".
  return new TemplateSyntaxError(`${fieldPath}: ${errorMessage(err)}`, fieldPath);
}

/**
 * Parse only. Throws `TemplateSyntaxError("<fieldPath>: <liquid error, line/col>")` for an
 * unclosed tag, unknown tag (including include/render/layout), unknown filter, unclosed output,
 * or a template over the parse limit. Valid templates are cached for later renders.
 */
export function validateLiquid(source: string, fieldPath: string): void {
  if (typeof source !== 'string') {
    throw new TemplateSyntaxError(`${fieldPath}: template must be a string`, fieldPath);
  }
  try {
    textEngine.parse(source);
  } catch (err) {
    throw syntaxError(err, fieldPath);
  }
}

/**
 * Render `source` over `scope`. With `html: true`, every output is HTML-escaped. Missing
 * variables render empty. Throws `TemplateSyntaxError` if the source does not parse (callers
 * should have validated it on save) and `TemplateRenderError` for run-time failures.
 */
export async function renderLiquid(
  source: string,
  scope: Record<string, unknown>,
  opts: { html?: boolean } = {},
): Promise<string> {
  const engine = opts.html ? htmlEngine : textEngine;
  let tpl: Template[];
  try {
    tpl = engine.parse(source);
  } catch (err) {
    throw syntaxError(err, 'template');
  }
  try {
    const out: unknown = await engine.liquid.render(tpl, scope ?? {});
    return typeof out === 'string' ? out : String(out ?? '');
  } catch (err) {
    throw new TemplateRenderError(`template render failed: ${errorMessage(err)}`);
  }
}

/** @internal for tests: number of cached parsed templates per engine. */
export function __liquidCacheSizes(): { html: number; text: number } {
  return { html: htmlEngine.cacheSize, text: textEngine.cacheSize };
}
