import type { OutboundEvent } from '../src/integrations/outbound-event';
import type { FlushResult, OutboundService } from '../src/integrations/outbound.service';

/** Activities of the emitter workflow. */
export function createOutboundActivities({ outbound }: { outbound: OutboundService }) {
  return {
    /** Idempotent: the outbox stores each event id once. */
    persistOutbound: (req: { workspaceId: string; events: OutboundEvent[] }): Promise<void> => outbound.persist(req.workspaceId, req.events),

    /** Sends the next batch; an event is marked sent only after the data plane accepted its batch. */
    flushOutbound: (req: { workspaceId: string; max: number }): Promise<FlushResult> => outbound.flush(req.workspaceId, req.max),
  };
}

export type OutboundActivities = ReturnType<typeof createOutboundActivities>;
