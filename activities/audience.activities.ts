import { Context } from '@temporalio/activity';
import type { AudienceRecomputeService, RecomputePageRequest, RecomputePageResult } from '../src/audiences/audience-recompute.service';

/** The audience recompute workflow's activity. */
export function createAudienceActivities({ recompute }: { recompute: AudienceRecomputeService }) {
  return {
    /** Idempotent: a retried page finds the memberships it wrote and changes nothing; its progress comes from its input. */
    recomputeAudiencePage: (req: RecomputePageRequest): Promise<RecomputePageResult> => recompute.page(req, () => Context.current().heartbeat()),
  };
}

export type AudienceActivities = ReturnType<typeof createAudienceActivities>;
