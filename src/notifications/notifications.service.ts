import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { badRequest, notFound } from '../common/errors/api-error';
import { Keyset, Page } from '../common/http/pagination';

const NOTIFICATIONS_KEYSET = new Keyset([{ column: 'id', type: 'text' }], 'ASC');
import { TemplateSyntaxError, validateLiquid } from './liquid-renderer';
import { NotificationChannels, NotificationInput, notificationSchema, Routing } from './notification.schema';

export interface NotificationView {
  id: string;
  name: string;
  channels: NotificationChannels;
  routing: Routing | null;
  subscription_topic_id: string | null;
  created_at: string;
  updated_at: string;
}

interface Row {
  id: string;
  name: string;
  channels: NotificationChannels;
  routing: Routing | null;
  subscription_topic_id: string | null;
  created_at: Date;
  updated_at: Date;
}

/** Notification templates. Every Liquid string is parsed on save, so a syntax error is a 400 now, not a failed send later. */
@Injectable()
export class NotificationsService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async put(workspaceId: string, id: string, body: unknown): Promise<NotificationView> {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/.test(id)) throw badRequest('notification id must be letters, digits, _, . or -');
    const parsed = notificationSchema.safeParse(body);
    if (!parsed.success) {
      throw badRequest(parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    }
    checkLiquid(parsed.data);
    await this.db.query(
      `INSERT INTO notification_templates (workspace_id, id, name, channels, routing, subscription_topic_id) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (workspace_id, id) DO UPDATE SET name = EXCLUDED.name, channels = EXCLUDED.channels, routing = EXCLUDED.routing,
         subscription_topic_id = EXCLUDED.subscription_topic_id, updated_at = now()`,
      [workspaceId, id, parsed.data.name, JSON.stringify(parsed.data.channels), parsed.data.routing ? JSON.stringify(parsed.data.routing) : null, parsed.data.subscription_topic_id ?? null],
    );
    return this.get(workspaceId, id);
  }

  async find(workspaceId: string, id: string): Promise<NotificationView | null> {
    const rows = (await this.db.query('SELECT * FROM notification_templates WHERE workspace_id = $1 AND id = $2', [workspaceId, id])) as Row[];
    return rows[0] ? toView(rows[0]) : null;
  }

  async get(workspaceId: string, id: string): Promise<NotificationView> {
    const found = await this.find(workspaceId, id);
    if (!found) throw notFound(`notification ${JSON.stringify(id)} not found`);
    return found;
  }

  async list(workspaceId: string, limit: number, cursor?: string): Promise<Page<NotificationView>> {
    const params: unknown[] = [workspaceId];
    const after = NOTIFICATIONS_KEYSET.where(cursor, params);
    const rows = (await this.db.query(
      `SELECT * FROM notification_templates WHERE workspace_id = $1 ${after ? `AND ${after}` : ''} ORDER BY ${NOTIFICATIONS_KEYSET.orderBy()} LIMIT $${params.push(limit + 1)}`,
      params,
    )) as Row[];
    return NOTIFICATIONS_KEYSET.pageOf(rows, limit, toView, (r) => [r.id]);
  }

  async delete(workspaceId: string, id: string): Promise<void> {
    const [, affected] = (await this.db.query('DELETE FROM notification_templates WHERE workspace_id = $1 AND id = $2', [workspaceId, id])) as [unknown, number];
    if (!affected) throw notFound(`notification ${JSON.stringify(id)} not found`);
  }
}

function checkLiquid(input: NotificationInput): void {
  const visit = (value: unknown, path: string) => {
    if (typeof value === 'string') validateLiquid(value, path);
    else if (Array.isArray(value)) value.forEach((v, i) => visit(v, `${path}[${i}]`));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) visit(v, `${path}.${k}`);
  };
  try {
    visit(input.channels, 'channels');
  } catch (err) {
    if (err instanceof TemplateSyntaxError) throw badRequest(err.message);
    throw err;
  }
}

function toView(r: Row): NotificationView {
  return { id: r.id, name: r.name, channels: r.channels, routing: r.routing, subscription_topic_id: r.subscription_topic_id ?? null, created_at: r.created_at.toISOString(), updated_at: r.updated_at.toISOString() };
}
