import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { notFound } from '../../common/errors/api-error';
import type { Queryable } from '../../database/queryable';
import { SEQUENCE_TARGET_PREFIX, sequenceCatalog } from '../sequences/sequence-catalog';
import { TemplatesService } from '../templates/templates.service';

export interface MappingTarget {
  /** Template id, or `sequence:<name>`. */
  target: string;
  type: 'template' | 'sequence';
  name: string;
}

/** Links between event ids (track/<event>, identify, ...) and the templates or sequences they run. */
@Injectable()
export class MappingsService {
  constructor(@InjectDataSource() private readonly db: DataSource, private readonly templates: TemplatesService) {}

  /** A template id or alias, a sequence name, or `sequence:<name>`. Templates win over sequences of the same name. */
  async resolveTarget(workspaceId: string, ref: string): Promise<MappingTarget> {
    if (!ref.startsWith(SEQUENCE_TARGET_PREFIX)) {
      const template = await this.templates.resolve(workspaceId, ref);
      if (template) return { target: template.id, type: 'template', name: template.name };
    }
    const name = ref.startsWith(SEQUENCE_TARGET_PREFIX) ? ref.slice(SEQUENCE_TARGET_PREFIX.length) : ref;
    if (sequenceCatalog()[name]) return { target: `${SEQUENCE_TARGET_PREFIX}${name}`, type: 'sequence', name };
    throw notFound(`no automation template or sequence ${JSON.stringify(ref)}`);
  }

  async link(workspaceId: string, eventId: string, ref: string): Promise<MappingTarget & { event_id: string }> {
    const target = await this.resolveTarget(workspaceId, ref);
    await this.db.query('INSERT INTO event_mappings (workspace_id, event_id, target) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
      workspaceId, eventId, target.target,
    ]);
    return { event_id: eventId, ...target };
  }

  async unlink(workspaceId: string, eventId: string, ref: string): Promise<void> {
    const target = await this.resolveTarget(workspaceId, ref).catch(() => ({ target: ref }));
    const [, affected] = (await this.db.query('DELETE FROM event_mappings WHERE workspace_id = $1 AND event_id = $2 AND target = $3', [
      workspaceId, eventId, target.target,
    ])) as [unknown, number];
    if (!affected) throw notFound(`${JSON.stringify(ref)} is not linked to ${JSON.stringify(eventId)}`);
  }

  /** The automations linked to each of the given event ids (for the catalog). */
  async targetsFor(workspaceId: string, eventIds: string[], tx: Queryable = this.db): Promise<Record<string, MappingTarget[]>> {
    if (!eventIds.length) return {};
    const rows = (await tx.query(
      `SELECT m.event_id, m.target, t.name FROM event_mappings m
       LEFT JOIN automation_templates t ON t.workspace_id = m.workspace_id
         AND t.id = (CASE WHEN m.target ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN m.target::uuid END)
       WHERE m.workspace_id = $1 AND m.event_id = ANY($2) ORDER BY m.created_at`,
      [workspaceId, eventIds],
    )) as Array<{ event_id: string; target: string; name: string | null }>;
    const out: Record<string, MappingTarget[]> = {};
    for (const r of rows) {
      const isSequence = r.target.startsWith(SEQUENCE_TARGET_PREFIX);
      (out[r.event_id] ??= []).push({
        target: r.target,
        type: isSequence ? 'sequence' : 'template',
        name: isSequence ? r.target.slice(SEQUENCE_TARGET_PREFIX.length) : r.name ?? r.target,
      });
    }
    return out;
  }
}
