import type { FlushResult, OutboundService } from '../src/integrations/outbound.service';

/** The emitter workflow's activity (a local activity). */
export function createEmitterActivities({ outbound }: { outbound: OutboundService }) {
  return {
    /** Sends the next batch of the outbox; an event is marked sent only after the data plane accepted its batch. */
    flushOutbox: (req: { workspaceId: string; max: number }): Promise<FlushResult> => outbound.flush(req.workspaceId, req.max),
  };
}

export type EmitterActivities = ReturnType<typeof createEmitterActivities>;
