import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { badRequest, notFound } from '../common/errors/api-error';
import { isSingleEmailAddress } from './channels/email-address';

export type SuppressionReason = 'BOUNCED' | 'MANUAL';

export interface SuppressionView {
  email: string;
  reason: SuppressionReason;
  detail: string | null;
  created_at: string;
}

/**
 * The workspace's email suppression list: an address whose server refused it for good (5xx at
 * RCPT or DATA) is added as BOUNCED, and the email channel skips it from then on (the next
 * channel of the routing is tried). Addresses are compared lower-cased.
 */
@Injectable()
export class SuppressionsService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async isSuppressed(workspaceId: string, email: string): Promise<SuppressionReason | null> {
    const [row] = (await this.db.query(`SELECT reason FROM email_suppressions WHERE workspace_id = $1 AND email = $2`, [workspaceId, email.toLowerCase()])) as Array<{ reason: SuppressionReason }>;
    return row?.reason ?? null;
  }

  /** Adds (or keeps) an address; the first reason stays. */
  async add(workspaceId: string, email: string, reason: SuppressionReason, detail: string | null): Promise<void> {
    await this.db.query(
      `INSERT INTO email_suppressions (workspace_id, email, reason, detail) VALUES ($1, $2, $3, $4) ON CONFLICT (workspace_id, email) DO NOTHING`,
      [workspaceId, email.toLowerCase(), reason, detail?.slice(0, 1000) ?? null],
    );
  }

  async get(workspaceId: string, email: string): Promise<SuppressionView> {
    const [row] = (await this.db.query(`SELECT email, reason, detail, created_at FROM email_suppressions WHERE workspace_id = $1 AND email = $2`, [
      workspaceId,
      checked(email),
    ])) as Array<{ email: string; reason: SuppressionReason; detail: string | null; created_at: Date }>;
    if (!row) throw notFound(`${email} is not suppressed`);
    return { email: row.email, reason: row.reason, detail: row.detail, created_at: row.created_at.toISOString() };
  }

  /** PUT: suppress an address by hand (reason MANUAL). */
  async put(workspaceId: string, email: string): Promise<SuppressionView> {
    await this.add(workspaceId, checked(email), 'MANUAL', 'set through the API');
    return this.get(workspaceId, email);
  }

  /** DELETE: send to the address again (e.g. its mailbox was fixed). */
  async remove(workspaceId: string, email: string): Promise<void> {
    const [, affected] = (await this.db.query(`DELETE FROM email_suppressions WHERE workspace_id = $1 AND email = $2`, [workspaceId, checked(email)])) as [unknown, number];
    if (!affected) throw notFound(`${email} is not suppressed`);
  }
}

function checked(email: string): string {
  if (!isSingleEmailAddress(email)) throw badRequest('the path must be one plain email address');
  return email.toLowerCase();
}
