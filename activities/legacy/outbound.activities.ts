import type { OutboundEvent } from '../../src/outbox/outbound-event';
import type { FlushResult, OutboundService } from '../../src/integrations/outbound.service';
import type { OutboxService } from '../../src/outbox/outbox.service';
import type { DataSource } from 'typeorm';

/** Activities of the legacy emitter (events carried in signals). */
export function createLegacyOutboundActivities({ db, outbound, outbox }: { db: DataSource; outbound: OutboundService; outbox: OutboxService }) {
  return {
    /** Idempotent: the outbox stores each event id once. */
    async persistOutbound(req: { workspaceId: string; events: OutboundEvent[] }): Promise<void> {
      await outbox.append(db, req.workspaceId, req.events, 'message');
    },

    /** Sends the next batch; an event is marked sent only after the data plane accepted its batch. */
    flushOutbound: (req: { workspaceId: string; max: number }): Promise<FlushResult> => outbound.flush(req.workspaceId, req.max),
  };
}

export type OutboundActivities = ReturnType<typeof createLegacyOutboundActivities>;
