import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/**
 * Throttle windows in Postgres: survives worker restarts, and each decision is keyed by the
 * run and step, so a retried activity gets the decision it already had.
 */
@Injectable()
export class ThrottleService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async acquire(req: { workspaceId: string; key: string; maxAllowed: number; periodMs: number; requestId: string }): Promise<{ allowed: boolean }> {
    return this.db.transaction(async (tx) => {
      // Serialise decisions per key; the lock ends with the transaction.
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [req.workspaceId, req.key]);
      const previous = (await tx.query(
        'SELECT allowed FROM throttle_decisions WHERE workspace_id = $1 AND throttle_key = $2 AND request_id = $3',
        [req.workspaceId, req.key, req.requestId],
      )) as Array<{ allowed: boolean }>;
      if (previous[0]) return { allowed: previous[0].allowed };
      const window = `now() - make_interval(secs => $3::double precision / 1000)`;
      await tx.query(`DELETE FROM throttle_decisions WHERE workspace_id = $1 AND throttle_key = $2 AND at < ${window}`, [
        req.workspaceId, req.key, req.periodMs,
      ]);
      const [{ count }] = (await tx.query(
        `SELECT count(*)::int AS count FROM throttle_decisions WHERE workspace_id = $1 AND throttle_key = $2 AND allowed AND at >= ${window}`,
        [req.workspaceId, req.key, req.periodMs],
      )) as Array<{ count: number }>;
      const allowed = count < req.maxAllowed;
      await tx.query('INSERT INTO throttle_decisions (workspace_id, throttle_key, request_id, allowed) VALUES ($1, $2, $3, $4)', [
        req.workspaceId, req.key, req.requestId, allowed,
      ]);
      return { allowed };
    });
  }
}
