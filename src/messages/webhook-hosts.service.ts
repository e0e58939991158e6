import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { LRUCache } from 'lru-cache';
import { DataSource } from 'typeorm';
import { badRequest } from '../common/errors/api-error';

/** How long a process trusts what it read: a change reaches every worker within this long. */
const TTL_MS = 5_000;
const MAX_HOSTS = 100;
/** A host name, an IP literal, or `*.` and a domain (any subdomain of it, not the domain itself). */
const HOST = /^(?:\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$|^[0-9a-f:.]+$/;

/**
 * A workspace's optional list of hosts its webhooks may go to. Without a list (null), any public
 * host (the SSRF guard still applies); with one, a template's or a profile's webhook URL must
 * name one of them — so a profile set by an identify event cannot send signed bodies elsewhere.
 */
@Injectable()
export class WebhookHostsService {
  private readonly cache = new LRUCache<string, { hosts: string[] | null }>({ max: 10_000, ttl: TTL_MS });

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async get(workspaceId: string): Promise<{ hosts: string[] | null }> {
    const hit = this.cache.get(workspaceId);
    if (hit) return hit;
    const [row] = (await this.db.query(`SELECT webhook_allowed_hosts AS hosts FROM workspaces WHERE id = $1`, [workspaceId])) as Array<{ hosts: string[] | null }>;
    const value = { hosts: row?.hosts ?? null };
    this.cache.set(workspaceId, value);
    return value;
  }

  async set(workspaceId: string, hosts: unknown): Promise<{ hosts: string[] | null }> {
    const list = normalise(hosts);
    await this.db.query(`UPDATE workspaces SET webhook_allowed_hosts = $2 WHERE id = $1`, [workspaceId, list === null ? null : JSON.stringify(list)]);
    const value = { hosts: list };
    this.cache.set(workspaceId, value);
    return value;
  }

  /** The predicate safeFetch checks every hop with, or undefined when the workspace has no list. */
  async predicate(workspaceId: string): Promise<((host: string) => boolean) | undefined> {
    const { hosts } = await this.get(workspaceId);
    if (hosts === null) return undefined;
    return (host) => hosts.some((h) => (h.startsWith('*.') ? host.endsWith(h.slice(1)) : host === h));
  }
}

function normalise(hosts: unknown): string[] | null {
  if (hosts === null) return null;
  if (!Array.isArray(hosts)) throw badRequest('hosts must be an array of host names (or null for any public host)');
  if (hosts.length > MAX_HOSTS) throw badRequest(`hosts: at most ${MAX_HOSTS} entries`);
  return [...new Set(hosts.map((h, i) => {
    if (typeof h !== 'string' || h.length > 253) throw badRequest(`hosts[${i}] must be a host name such as "hooks.example.com" or "*.example.com"`);
    const host = h.trim().toLowerCase().replace(/^\[|\]$/g, '');
    if (!HOST.test(host)) throw badRequest(`hosts[${i}] must be a host name such as "hooks.example.com" or "*.example.com" (no scheme, port or path)`);
    return host;
  }))];
}
