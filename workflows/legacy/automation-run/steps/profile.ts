import type { GetProfileStep, UpdateProfileStep } from '../../../shared/step-schema';
import { mergeWithStrategy, MergeStrategy } from '../../../shared/merge';
import { effects } from '../activities';
import type { RunSession, StepOutcome } from '../session';

/** update-profile: writes the stored profile with a merge strategy (and the run's, when it is the recipient). */
export async function runUpdateProfile(session: RunSession, step: UpdateProfileStep): Promise<StepOutcome> {
  const s = session.resolve(step, session.scope());
  const userId = String(s.recipient_id);
  const profile = await effects.updateProfile({
    workspaceId: session.workspaceId,
    userId,
    profile: s.profile,
    strategy: s.merge as MergeStrategy,
  });
  if (userId === session.context.recipient) session.context.profile = profile;
  return { result: { user_id: userId } };
}

/** get-profile: loads a stored profile into the run's profile. */
export async function runGetProfile(session: RunSession, step: GetProfileStep): Promise<StepOutcome> {
  const s = session.resolve(step, session.scope(step));
  const userId = String(s.user_id);
  const stored = await effects.getProfile({ workspaceId: session.workspaceId, userId });
  session.context.profile = mergeWithStrategy(s.merge_strategy as MergeStrategy, session.context.profile, stored ?? {});
  return { result: { user_id: userId, found: stored !== null } };
}
