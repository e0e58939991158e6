import { mergeWithStrategy, MergeStrategy } from '../../../../workflows/shared/merge';
import type { GetProfileStep, UpdateProfileStep } from '../../../../workflows/shared/step-schema';
import type { ProfilesService } from '../../../profiles/profiles.service';
import type { StepHandler } from '../engine.types';

/** update-profile: writes the stored profile with a merge strategy (and the run's, when it is the recipient). */
export function updateProfileStep(profiles: ProfilesService): StepHandler<UpdateProfileStep> {
  return {
    async run({ run, resolved: s, context }) {
      const userId = String(s.recipient_id);
      const profile = await profiles.applyStrategy(run.workspace_id, userId, s.profile, s.merge as MergeStrategy);
      const changed = userId === context.recipient ? { ...context, profile } : undefined;
      return { kind: 'done', result: { user_id: userId }, context: changed };
    },
  };
}

/** get-profile: loads a stored profile into the run's profile. */
export function getProfileStep(profiles: ProfilesService): StepHandler<GetProfileStep> {
  return {
    async run({ run, resolved: s, context }) {
      const userId = String(s.user_id);
      const stored = await profiles.get(run.workspace_id, userId);
      const profile = mergeWithStrategy(s.merge_strategy as MergeStrategy, context.profile, stored ?? {});
      return { kind: 'done', result: { user_id: userId, found: stored !== null }, context: { ...context, profile } };
    },
  };
}
