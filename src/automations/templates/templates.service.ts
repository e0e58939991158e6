import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ApiError, badRequest, conflict, notFound } from '../../common/errors/api-error';
import type { Queryable } from '../../database/queryable';
import { Keyset, Page } from '../../common/http/pagination';
import { validateInterpolations } from '../../../workflows/shared/expressions';
import { invokedTemplates, parseSteps, Step, StepValidationError } from '../../../workflows/shared/step-schema';
// Registers the opening-hours check that delay windows are validated with.
import '../../common/time/delivery-window';

export interface TemplateInput {
  name: string;
  alias?: string | null;
  cancelation_token?: string | null;
  recipient?: string | null;
  steps: unknown[];
  trigger_event_id?: string | null;
}

interface TemplateRow {
  id: string;
  name: string;
  alias: string | null;
  trigger_event_id: string | null;
  steps: Step[];
  cancelation_token: string | null;
  published_version: number | null;
  published_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface TemplateView {
  id: string;
  name: string;
  alias: string | null;
  trigger_event_id: string | null;
  cancelation_token: string | null;
  recipient: string | null;
  steps: Step[];
  published_version: number | null;
  published_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface PublishedVersion {
  templateId: string;
  version: number;
  name: string;
  steps: Step[];
  cancelationToken: string | null;
  recipient: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Literal routes under /automations: a template by one of these aliases could never be read by it. */
const RESERVED_ALIASES = new Set(['invoke', 'cancel', 'runs', 'sequences', 'step-schema']);
const TEMPLATES_KEYSET = new Keyset([{ column: 'id', type: 'uuid' }], 'ASC');
const MAX_INVOKE_DEPTH = 16;

/**
 * Automation templates: a draft that is edited, and immutable published versions. A run pins
 * the version it starts with; steps are validated (and invoke cycles refused) on every save.
 */
@Injectable()
export class TemplatesService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async create(workspaceId: string, input: TemplateInput): Promise<TemplateView> {
    const steps = this.validate(input.steps);
    this.validateReferences(input);
    return this.db.transaction(async (tx) => {
      await this.assertAliasFree(tx, workspaceId, input.alias ?? null, null, null);
      const [row] = (await tx.query(
        `INSERT INTO automation_templates (workspace_id, name, alias, steps, cancelation_token, trigger_event_id, recipient)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
        [workspaceId, input.name, input.alias ?? null, JSON.stringify(steps), input.cancelation_token ?? null, input.trigger_event_id ?? null, input.recipient ?? null],
      )) as Array<{ id: string }>;
      await this.assertNoInvokeCycle(tx, workspaceId, row.id, steps);
      return this.getView(tx, workspaceId, row.id);
    });
  }

  /** Edits the draft; published versions never change. */
  async update(workspaceId: string, idOrAlias: string, input: TemplateInput): Promise<TemplateView> {
    const steps = this.validate(input.steps);
    this.validateReferences(input);
    return this.db.transaction(async (tx) => {
      const current = await this.find(tx, workspaceId, idOrAlias);
      await this.assertAliasFree(tx, workspaceId, input.alias ?? null, current.id, current.alias);
      await tx.query(
        `UPDATE automation_templates SET name = $3, alias = $4, steps = $5, cancelation_token = $6, recipient = $7, updated_at = now()
         WHERE workspace_id = $1 AND id = $2`,
        [workspaceId, current.id, input.name, input.alias ?? null, JSON.stringify(steps), input.cancelation_token ?? null, input.recipient ?? null],
      );
      await this.assertNoInvokeCycle(tx, workspaceId, current.id, steps);
      return this.getView(tx, workspaceId, current.id);
    });
  }

  /** Publishes the draft as the next immutable version. */
  async publish(workspaceId: string, idOrAlias: string): Promise<{ id: string; version: number; published_at: string }> {
    return this.db.transaction(async (tx) => {
      const t = await this.find(tx, workspaceId, idOrAlias, true);
      const version = (t.published_version ?? 0) + 1;
      const [row] = (await tx.query(
        `INSERT INTO automation_template_versions (workspace_id, template_id, version, name, steps, cancelation_token, recipient)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING published_at`,
        [workspaceId, t.id, version, t.name, JSON.stringify(t.steps), t.cancelation_token, (t as TemplateRow & { recipient: string | null }).recipient],
      )) as Array<{ published_at: Date }>;
      await tx.query(
        `UPDATE automation_templates SET published_version = $3, published_at = $4 WHERE workspace_id = $1 AND id = $2`,
        [workspaceId, t.id, version, row.published_at],
      );
      return { id: t.id, version, published_at: row.published_at.toISOString() };
    });
  }

  async get(workspaceId: string, idOrAlias: string): Promise<TemplateView> {
    const t = await this.find(this.db.manager, workspaceId, idOrAlias);
    return this.getView(this.db.manager, workspaceId, t.id);
  }

  async list(workspaceId: string, limit: number, cursor?: string): Promise<Page<TemplateView>> {
    const params: unknown[] = [workspaceId];
    const after = TEMPLATES_KEYSET.where(cursor, params);
    const rows = (await this.db.query(
      `SELECT * FROM automation_templates WHERE workspace_id = $1 ${after ? `AND ${after}` : ''}
       ORDER BY ${TEMPLATES_KEYSET.orderBy()} LIMIT $${params.push(limit + 1)}`,
      params,
    )) as TemplateRow[];
    return TEMPLATES_KEYSET.pageOf(rows, limit, toView, (r) => [r.id]);
  }

  async versions(workspaceId: string, idOrAlias: string) {
    const t = await this.find(this.db.manager, workspaceId, idOrAlias);
    const rows = (await this.db.query(
      `SELECT version, name, steps, cancelation_token, recipient, published_at FROM automation_template_versions
       WHERE workspace_id = $1 AND template_id = $2 ORDER BY version DESC`,
      [workspaceId, t.id],
    )) as Array<{ version: number; name: string; steps: Step[]; cancelation_token: string | null; recipient: string | null; published_at: Date }>;
    return {
      items: rows.map((r) => ({ ...r, published_at: r.published_at.toISOString() })),
    };
  }

  async delete(workspaceId: string, idOrAlias: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const t = await this.find(tx, workspaceId, idOrAlias, true);
      await tx.query('DELETE FROM event_mappings WHERE workspace_id = $1 AND target = $2', [workspaceId, t.id]);
      await tx.query('DELETE FROM automation_templates WHERE workspace_id = $1 AND id = $2', [workspaceId, t.id]);
    });
  }

  /** The latest published version, which a new run pins. */
  async latestPublished(workspaceId: string, idOrAlias: string): Promise<PublishedVersion> {
    const t = await this.find(this.db.manager, workspaceId, idOrAlias);
    if (!t.published_version) throw conflict(`automation template ${JSON.stringify(idOrAlias)} has no published version: publish it first`);
    const [v] = (await this.db.query(
      `SELECT version, name, steps, cancelation_token, recipient FROM automation_template_versions
       WHERE workspace_id = $1 AND template_id = $2 AND version = $3`,
      [workspaceId, t.id, t.published_version],
    )) as Array<{ version: number; name: string; steps: unknown; cancelation_token: string | null; recipient: string | null }>;
    // Stored steps are validated again when read back: a run never starts from malformed JSON.
    return { templateId: t.id, version: v.version, name: v.name, steps: parseSteps(v.steps), cancelationToken: v.cancelation_token, recipient: v.recipient };
  }

  /**
   * The published version of each template id or alias, in one query (a batch of events may
   * name many): a version, or the ApiError a single lookup would have thrown.
   */
  async latestPublishedMany(tx: Queryable, workspaceId: string, refs: string[]): Promise<Map<string, PublishedVersion | ApiError>> {
    const out = new Map<string, PublishedVersion | ApiError>();
    if (!refs.length) return out;
    const ids = refs.filter((r) => UUID.test(r));
    const aliases = refs.filter((r) => !UUID.test(r));
    const rows = (await tx.query(
      `SELECT t.id, t.alias, t.published_version, v.version, v.name, v.steps, v.cancelation_token, v.recipient
       FROM automation_templates t
       LEFT JOIN automation_template_versions v ON v.workspace_id = t.workspace_id AND v.template_id = t.id AND v.version = t.published_version
       WHERE t.workspace_id = $1 AND (t.id = ANY($2::uuid[]) OR t.alias = ANY($3))`,
      [workspaceId, ids, aliases],
    )) as Array<{ id: string; alias: string | null; published_version: number | null; version: number | null; name: string; steps: unknown; cancelation_token: string | null; recipient: string | null }>;
    for (const ref of refs) {
      const r = rows.find((row) => row.id === ref.toLowerCase() || row.alias === ref);
      if (!r) out.set(ref, notFound(`automation template ${JSON.stringify(ref)} not found`));
      else if (r.version === null) out.set(ref, conflict(`automation template ${JSON.stringify(ref)} has no published version: publish it first`));
      else out.set(ref, { templateId: r.id, version: r.version, name: r.name, steps: parseSteps(r.steps), cancelationToken: r.cancelation_token, recipient: r.recipient });
    }
    return out;
  }

  /** Resolves a template by id or alias, or null. */
  async resolve(workspaceId: string, idOrAlias: string): Promise<{ id: string; name: string } | null> {
    const rows = (await this.db.query(
      `SELECT id, name FROM automation_templates WHERE workspace_id = $1 AND ${UUID.test(idOrAlias) ? 'id = $2::uuid' : 'alias = $2'}`,
      [workspaceId, idOrAlias],
    )) as Array<{ id: string; name: string }>;
    return rows[0] ?? null;
  }

  /** The template's own references (token, recipient) must parse, like the steps'. */
  private validateReferences(input: TemplateInput): void {
    for (const field of ['cancelation_token', 'recipient'] as const) {
      const problem = input[field] ? validateInterpolations(input[field]) : undefined;
      if (problem) throw badRequest(`${field}: ${problem}`);
    }
  }

  private validate(steps: unknown): Step[] {
    try {
      return parseSteps(steps);
    } catch (err) {
      if (err instanceof StepValidationError) throw badRequest(err.problems.join('; '));
      throw err;
    }
  }

  private async find(tx: EntityManager, workspaceId: string, idOrAlias: string, lock = false): Promise<TemplateRow> {
    const rows = (await tx.query(
      `SELECT * FROM automation_templates WHERE workspace_id = $1 AND ${UUID.test(idOrAlias) ? 'id = $2::uuid' : 'alias = $2'}
       ${lock ? 'FOR UPDATE' : ''}`,
      [workspaceId, idOrAlias],
    )) as TemplateRow[];
    if (!rows[0]) throw notFound(`automation template ${JSON.stringify(idOrAlias)} not found`);
    return rows[0];
  }

  private async getView(tx: EntityManager, workspaceId: string, id: string): Promise<TemplateView> {
    return toView(await this.find(tx, workspaceId, id));
  }

  private async assertAliasFree(tx: EntityManager, workspaceId: string, alias: string | null, selfId: string | null, currentAlias: string | null): Promise<void> {
    if (!alias) return;
    if (UUID.test(alias)) throw badRequest('alias must not look like a template id (a UUID)');
    // A template saved with one before the rule keeps it; a new alias may not be one.
    if (RESERVED_ALIASES.has(alias.toLowerCase()) && alias !== currentAlias) {
      throw badRequest(`alias ${JSON.stringify(alias)} is reserved: /automations/${alias} is one of Herald's routes (reserved: ${[...RESERVED_ALIASES].join(', ')})`);
    }
    const rows = (await tx.query('SELECT id FROM automation_templates WHERE workspace_id = $1 AND alias = $2', [workspaceId, alias])) as Array<{ id: string }>;
    if (rows[0] && rows[0].id !== selfId) throw conflict(`alias ${JSON.stringify(alias)} is already used by template ${rows[0].id}`);
  }

  /**
   * Follows literal `invoke` targets through drafts and published versions; reaching the
   * template being saved again is a cycle, refused with the path it takes.
   */
  private async assertNoInvokeCycle(tx: EntityManager, workspaceId: string, selfId: string, steps: Step[]): Promise<void> {
    const names = new Map<string, string>();
    const visit = async (templateSteps: Step[], trail: string[], depth: number): Promise<void> => {
      if (depth > MAX_INVOKE_DEPTH) return;
      for (const ref of new Set(invokedTemplates(templateSteps))) {
        if (ref.includes('${') || ref.startsWith('refs.')) continue; // dynamic: checked when the run invokes it
        const rows = (await tx.query(
          `SELECT id, name, steps FROM automation_templates WHERE workspace_id = $1 AND ${UUID.test(ref) ? 'id = $2::uuid' : 'alias = $2'}`,
          [workspaceId, ref],
        )) as Array<{ id: string; name: string; steps: Step[] }>;
        const target = rows[0];
        if (!target) continue; // an unknown template fails the run when invoked, with its own error
        names.set(target.id, target.name);
        if (target.id === selfId) throw badRequest(`steps: invoke cycle: ${[...trail, ref].join(' → ')}`);
        if (trail.includes(ref)) continue;
        const versions = (await tx.query(
          'SELECT steps FROM automation_template_versions WHERE workspace_id = $1 AND template_id = $2',
          [workspaceId, target.id],
        )) as Array<{ steps: Step[] }>;
        for (const s of [target.steps, ...versions.map((v) => v.steps)]) await visit(s, [...trail, ref], depth + 1);
      }
    };
    const [self] = (await tx.query('SELECT name, alias FROM automation_templates WHERE workspace_id = $1 AND id = $2', [workspaceId, selfId])) as Array<{ name: string; alias: string | null }>;
    await visit(steps, [self?.alias ?? selfId], 0);
  }
}

function toView(r: TemplateRow & { recipient?: string | null }): TemplateView {
  return {
    id: r.id,
    name: r.name,
    alias: r.alias,
    trigger_event_id: r.trigger_event_id,
    cancelation_token: r.cancelation_token,
    recipient: r.recipient ?? null,
    steps: r.steps,
    published_version: r.published_version,
    published_at: r.published_at?.toISOString() ?? null,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  };
}
