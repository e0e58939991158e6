import type { DrainResult, OutboundService } from '../src/integrations/outbound.service';

/** The emitter workflow's activity (a local activity). */
export function createEmitterActivities({ outbound }: { outbound: OutboundService }) {
  return {
    /** Drains the outbox batch by batch; an event is marked sent only after the data plane accepted its batch. */
    drainOutbox: (req: { workspaceId: string; max: number }): Promise<DrainResult> => outbound.drain(req.workspaceId, req.max),
  };
}

export type EmitterActivities = ReturnType<typeof createEmitterActivities>;
