import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { safeFetch } from '../common/net/safe-fetch';
import { HERALD_CONFIG, HeraldConfig } from '../config/herald-config';
import { ProvidersService } from '../providers/providers.service';
import type { TicketReceipt } from '../providers/provider.types';
import { MessagesService } from './messages.service';
import { ProviderDeliveryService } from './provider-delivery.service';

/** Tickets read per sweep (Expo takes up to 1000 ids per request). */
const BATCH = 1000;
/** A ticket whose receipt has not come in this long never will (Expo keeps receipts about a day). */
const GIVE_UP_MS = 24 * 3600_000;

type Ticket = { workspace_id: string; provider_id: string; ticket_id: string; message_id: string; channel: string; user_id: string | null; token: string; old: boolean };

/**
 * Push receipts (Expo): a ticket accepted at send time says only that Expo took the message; its
 * receipt, ready within minutes, says whether Apple's or Google's push service did. The sweep
 * reads the receipts of tickets older than HERALD_PUSH_RECEIPT_DELAY: a message with a ticket
 * that went through becomes DELIVERED, one whose every ticket failed UNDELIVERABLE (each status
 * once, so a re-read changes nothing), and a DeviceNotRegistered token is taken off the profile.
 * No Temporal work: one query per sweep when nothing is waiting.
 */
@Injectable()
export class PushReceiptsService {
  private readonly logger = new Logger('PushReceipts');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly providers: ProvidersService,
    private readonly messages: MessagesService,
    private readonly delivery: ProviderDeliveryService,
  ) {}

  async poll(): Promise<{ pushReceiptsRead: number; pushTokensRemoved: number }> {
    const tickets = (await this.db.query(
      `SELECT workspace_id, provider_id, ticket_id, message_id, channel, user_id, token, created_at < now() - make_interval(secs => $2 / 1000.0) AS old
       FROM push_receipt_tickets WHERE created_at <= now() - make_interval(secs => $1 / 1000.0) ORDER BY created_at LIMIT ${BATCH}`,
      [this.config.delivery.pushReceiptDelayMs, GIVE_UP_MS],
    )) as Ticket[];
    let read = 0;
    let removed = 0;
    for (const group of groupBy(tickets, (t) => `${t.workspace_id}\u0000${t.provider_id}`).values()) {
      const { workspace_id: workspaceId, provider_id: providerId } = group[0];
      const p = await this.providers.forSend(workspaceId, providerId);
      if (!p?.adapter?.readReceipts) {
        // The provider is gone (or no longer reports receipts): nobody can answer for these tickets.
        await this.forget(group);
        continue;
      }
      let receipts: Map<string, TicketReceipt>;
      try {
        receipts = await p.adapter.readReceipts({
          config: { ...p.config, ...p.secrets },
          ticketIds: group.map((t) => t.ticket_id),
          fetch: (url, options) => safeFetch(url, { ...options, allowPrivateNetworks: this.config.allowPrivateNetworks }),
        });
      } catch (err) {
        this.logger.warn(`receipts of ${group.length} ${p.provider} tickets (${providerId}) not read: ${(err as Error).message}; next sweep`);
        // Those past hope go anyway, so a provider that stays down cannot hold the queue's head forever.
        await this.forget(group.filter((t) => t.old));
        continue;
      }
      removed += await this.apply(workspaceId, providerId, p.provider, group, receipts);
      read += receipts.size;
      // Read, or past hope: done with them.
      await this.forget(group.filter((t) => receipts.has(t.ticket_id) || t.old));
    }
    return { pushReceiptsRead: read, pushTokensRemoved: removed };
  }

  /** Statuses per message (any ticket through: DELIVERED; every read one failed: UNDELIVERABLE), dead tokens off profiles. */
  private async apply(workspaceId: string, providerId: string, provider: string, tickets: Ticket[], receipts: Map<string, TicketReceipt>): Promise<number> {
    let removed = 0;
    for (const [messageId, mine] of groupBy(tickets.filter((t) => receipts.has(t.ticket_id)), (t) => t.message_id)) {
      const outcomes = mine.map((t) => ({ t, r: receipts.get(t.ticket_id)! }));
      const detail = { provider, provider_id: providerId, receipt: true, tickets: mine.length };
      const failed = outcomes.flatMap(({ t, r }) => (r.ok ? [] : [{ t, error: r.error, message: r.message.split(t.token).join('[token]') }]));
      if (failed.length < outcomes.length) {
        await this.messages.transition(workspaceId, messageId, 'DELIVERED', { channel: mine[0].channel, detail });
      } else {
        const first = failed[0];
        await this.messages.transition(workspaceId, messageId, 'UNDELIVERABLE', { channel: mine[0].channel, error: `${provider}: ${first.error}${first.message ? `: ${first.message}` : ''}`, detail });
      }
      const dead = failed.filter((f) => f.error === 'DeviceNotRegistered' && f.t.user_id);
      if (dead.length) {
        await this.delivery.removeTokens(workspaceId, dead[0].t.user_id!, dead.map((f) => f.t.token));
        removed += dead.length;
      }
    }
    return removed;
  }

  private async forget(tickets: Ticket[]): Promise<void> {
    if (!tickets.length) return;
    await this.db.query(
      `DELETE FROM push_receipt_tickets WHERE workspace_id = $1 AND provider_id = $2 AND ticket_id = ANY($3::text[])`,
      [tickets[0].workspace_id, tickets[0].provider_id, tickets.map((t) => t.ticket_id)],
    );
  }
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
