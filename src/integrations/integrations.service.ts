import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { keyId, seal, unseal } from '../common/crypto/secret-box';
import { badRequest, notFound } from '../common/errors/api-error';
import { checkDestination, DestinationRefusedError } from '../common/net/safe-fetch';
import { HERALD_CONFIG, HeraldConfig } from '../config/herald-config';
import { SecretsService } from '../messages/secrets.service';
import { RudderstackIntegrationDto } from './dto/rudderstack.dto';

interface Row {
  write_key_encrypted: string;
  write_key_hint: string;
  data_plane_url: string;
  enabled: boolean;
  journey_events: boolean;
  preference_events: boolean;
  status: string;
  last_error: string | null;
  last_error_at: Date | null;
  last_success_at: Date | null;
  retrying_since: Date | null;
  events_sent: string;
  created_at: Date;
  updated_at: Date;
}

/** The RudderStack outbound integration of a workspace; the write key is sealed at rest and shown masked. */
@Injectable()
export class IntegrationsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly secrets: SecretsService,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  async put(workspaceId: string, body: RudderstackIntegrationDto) {
    const dataPlaneUrl = await this.dataPlaneUrl(body.data_plane_url);
    const sealed = seal(body.write_key, (await this.secrets.sealingKeys()).current);
    await this.db.query(
      `INSERT INTO rudderstack_integrations (workspace_id, write_key_encrypted, write_key_hint, data_plane_url, enabled, journey_events, preference_events)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (workspace_id) DO UPDATE SET write_key_encrypted = EXCLUDED.write_key_encrypted, write_key_hint = EXCLUDED.write_key_hint,
         data_plane_url = EXCLUDED.data_plane_url, enabled = EXCLUDED.enabled, journey_events = EXCLUDED.journey_events, preference_events = EXCLUDED.preference_events,
         status = 'ok', last_error = NULL, retrying_since = NULL, updated_at = now()`,
      [workspaceId, sealed, mask(body.write_key), dataPlaneUrl, body.enabled ?? true, body.journey_events ?? false, body.preference_events ?? false],
    );
    return this.get(workspaceId);
  }

  /**
   * `status` says whether events are flowing: `ok` only when nothing is pending; `sending` while
   * a backlog drains without failures; `retrying` (with `retrying_since` and `last_error`)
   * while the oldest pending event waits on retries (the data plane unreachable or answering
   * 5xx/429); `failing` when it refused for good (e.g. 401: the write key is wrong) and events
   * are kept until the integration is fixed; `disabled` when turned off.
   */
  async get(workspaceId: string) {
    const row = await this.row(workspaceId);
    if (!row) throw notFound('no RudderStack integration: PUT /integrations/rudderstack first');
    const [{ pending, oldest }] = (await this.db.query(
      'SELECT count(*)::int AS pending, min(created_at) AS oldest FROM outbound_events WHERE workspace_id = $1 AND sent_at IS NULL',
      [workspaceId],
    )) as Array<{ pending: number; oldest: Date | null }>;
    return {
      write_key: row.write_key_hint,
      data_plane_url: row.data_plane_url,
      enabled: row.enabled,
      journey_events: row.journey_events,
      preference_events: row.preference_events,
      status: outboundStatus(row, pending),
      retrying_since: row.status !== 'failing' && pending > 0 ? (row.retrying_since?.toISOString() ?? null) : null,
      last_error: row.last_error,
      last_error_at: row.last_error_at?.toISOString() ?? null,
      last_success_at: row.last_success_at?.toISOString() ?? null,
      events_sent: Number(row.events_sent),
      events_pending: pending,
      oldest_pending_at: oldest?.toISOString() ?? null,
      updated_at: row.updated_at.toISOString(),
    };
  }

  async delete(workspaceId: string): Promise<void> {
    const [, affected] = (await this.db.query('DELETE FROM rudderstack_integrations WHERE workspace_id = $1', [workspaceId])) as [unknown, number];
    if (!affected) throw notFound('no RudderStack integration');
    // Nothing is kept for an integration that no longer exists.
    await this.db.query('DELETE FROM outbound_events WHERE workspace_id = $1 AND sent_at IS NULL', [workspaceId]);
  }

  /** The write key in clear, for the flush activity only. */
  /**
   * The data plane's base URL as stored: http(s), no credentials, query or fragment (the SDK
   * appends /v1/batch to it, so a query would swallow that path), no trailing slash, and not a
   * private address unless HERALD_ALLOW_PRIVATE_NETWORKS allows it (checked again at every connect).
   */
  private async dataPlaneUrl(input: string): Promise<string> {
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      throw badRequest('data_plane_url must be an absolute http(s) URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badRequest('data_plane_url must be an http(s) URL');
    if (url.username || url.password) throw badRequest('data_plane_url must not contain credentials (the write key is sent as Basic auth)');
    if (url.search || input.includes('?')) throw badRequest('data_plane_url must not have a query string: the SDK appends /v1/batch to it');
    if (url.hash || input.includes('#')) throw badRequest('data_plane_url must not have a fragment');
    try {
      await checkDestination(url, this.config.allowPrivateNetworks);
    } catch (err) {
      if (err instanceof DestinationRefusedError) throw badRequest(`data_plane_url: ${err.message}`);
      throw err;
    }
    return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
  }

  async credentials(workspaceId: string): Promise<{ writeKey: string; dataPlaneUrl: string; enabled: boolean } | null> {
    const row = await this.row(workspaceId);
    if (!row) return null;
    const keys = await this.secrets.sealingKeys();
    const writeKey = unseal(row.write_key_encrypted, keys.open);
    // Sealed by an older key (or the pre-0.2 in-database one): sealed again under the current key, once.
    if (!row.write_key_encrypted.startsWith(`v2.${keyId(keys.current)}.`)) {
      await this.db.query(`UPDATE rudderstack_integrations SET write_key_encrypted = $3 WHERE workspace_id = $1 AND write_key_encrypted = $2`, [
        workspaceId, row.write_key_encrypted, seal(writeKey, keys.current),
      ]);
    }
    return { writeKey, dataPlaneUrl: row.data_plane_url, enabled: row.enabled };
  }

  async recordSuccess(workspaceId: string, sent: number): Promise<void> {
    await this.db.query(
      `UPDATE rudderstack_integrations SET status = 'ok', retrying_since = NULL, last_success_at = now(), events_sent = events_sent + $2 WHERE workspace_id = $1`,
      [workspaceId, sent],
    );
  }

  /** `failing`: refused for good; otherwise the emitter retries with backoff, and `retrying_since` keeps the first failure. */
  async recordFailure(workspaceId: string, reason: string, failing: boolean): Promise<void> {
    await this.db.query(
      `UPDATE rudderstack_integrations SET last_error = $2, last_error_at = now(), status = CASE WHEN $3 THEN 'failing' ELSE 'retrying' END,
         retrying_since = CASE WHEN $3 THEN NULL ELSE COALESCE(retrying_since, now()) END
       WHERE workspace_id = $1`,
      [workspaceId, reason, failing],
    );
  }

  private async row(workspaceId: string): Promise<Row | null> {
    const rows = (await this.db.query('SELECT * FROM rudderstack_integrations WHERE workspace_id = $1', [workspaceId])) as Row[];
    return rows[0] ?? null;
  }
}

function outboundStatus(row: Row, pending: number): 'ok' | 'sending' | 'retrying' | 'failing' | 'disabled' {
  if (!row.enabled) return 'disabled';
  if (row.status === 'failing') return 'failing';
  if (pending === 0) return 'ok';
  return row.status === 'retrying' ? 'retrying' : 'sending';
}

/** The write key as shown: its last four characters only (fewer for a very short key). */
function mask(key: string): string {
  return `…${key.slice(-Math.min(4, Math.floor(key.length / 3)))}`;
}
