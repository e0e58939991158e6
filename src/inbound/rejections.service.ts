import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Keyset, Page } from '../common/http/pagination';

export interface RejectionView {
  reason: string;
  count: number;
  first_at: string;
  last_at: string;
  /** The latest refused request's error and the start of its body (the workspace's own data, shown to its own key). */
  sample: string | null;
}

const SAMPLE_CHARS = 1_000;
const KEYSET = new Keyset([{ column: 'last_at', type: 'timestamptz' }, { column: 'reason', type: 'text' }]);

/**
 * What the inbound endpoint refused as not being a RudderStack event at all (a 400 or 413:
 * not JSON, no type, no user id), counted per workspace and reason. RudderStack drops a 4xx
 * for good, so this is where an operator sees what never made it into the event log.
 */
@Injectable()
export class RejectionsService {
  private readonly logger = new Logger('InboundRejections');

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Counts one refused request. Never throws: counting must not change the answer. */
  async record(workspaceId: string, message: string, body?: unknown): Promise<void> {
    const reason = rejectionReason(message);
    const sample = `${message}${body === undefined ? '' : `\n${excerpt(body)}`}`.slice(0, SAMPLE_CHARS).replace(/\u0000/g, '\\u0000');
    try {
      await this.db.query(
        `INSERT INTO inbound_rejections AS r (workspace_id, reason, count, sample) VALUES ($1, $2, 1, $3)
         ON CONFLICT (workspace_id, reason) DO UPDATE SET count = r.count + 1, last_at = now(), sample = EXCLUDED.sample`,
        [workspaceId, reason, sample],
      );
    } catch (err) {
      this.logger.warn(`could not count a rejected request: ${(err as Error).message}`);
    }
  }

  async list(workspaceId: string, limit: number, cursor?: string): Promise<Page<RejectionView> & { total: number }> {
    const params: unknown[] = [workspaceId];
    const after = KEYSET.where(cursor, params);
    const rows = (await this.db.query(
      `SELECT reason, count::text AS count, first_at, last_at, sample, ${KEYSET.select()} FROM inbound_rejections
       WHERE workspace_id = $1 ${after ? `AND ${after}` : ''} ORDER BY ${KEYSET.orderBy()} LIMIT ${limit + 1}`,
      params,
    )) as Array<{ reason: string; count: string; first_at: Date; last_at: Date; sample: string | null }>;
    const [{ total }] = (await this.db.query('SELECT COALESCE(sum(count), 0)::text AS total FROM inbound_rejections WHERE workspace_id = $1', [workspaceId])) as Array<{ total: string }>;
    return {
      ...KEYSET.page(rows, limit, (r) => ({ reason: r.reason, count: Number(r.count), first_at: r.first_at.toISOString(), last_at: r.last_at.toISOString(), sample: r.sample })),
      total: Number(total),
    };
  }
}

/** The message without what varies per request: the batch position and the offending value. */
export function rejectionReason(message: string): string {
  return message
    .replace(/^(batch)?\[\d+\]\.?/, '')
    .replace(/\s*\(got [\s\S]*\)$/, '')
    .replace(/^(body is not valid JSON|body must be UTF-8 JSON):[\s\S]*$/, '$1')
    .slice(0, 300);
}

function excerpt(body: unknown): string {
  if (typeof body === 'string') return body.slice(0, SAMPLE_CHARS);
  try {
    return (JSON.stringify(body) ?? String(body)).slice(0, SAMPLE_CHARS);
  } catch {
    return String(body).slice(0, SAMPLE_CHARS);
  }
}
