import { isTimestampText, parseDuration, untilToDelayMs } from '../../../../workflows/shared/durations';
import type { DelayStep } from '../../../../workflows/shared/step-schema';
import { nextOpening, WindowError } from '../../../common/time/delivery-window';
import type { DeliveryWindowsService } from '../../../messages/delivery-windows.service';
import { StepFailed, StepHandler } from '../engine.types';

/**
 * delay: a durable timer in the run's workflow; a cancel ends it at once. `until` is a timestamp
 * or an opening-hours window, whose next opening is read in the recipient's zone (profile
 * `zoneinfo` > `timezone` > the workspace's default > UTC).
 */
export function delayStep(windows: DeliveryWindowsService): StepHandler<DelayStep> {
  return {
    async run({ run, scope, resolved: s }) {
      const now = Date.now();
      let ms: number;
      let window: { window: string; zone: string } | null = null;
      if (s.duration !== undefined) ms = parseDuration(s.duration);
      else if (isTimestampText(s.until) || typeof s.until !== 'string') ms = untilToDelayMs(s.until, now);
      else {
        const zone = await windows.zoneFor(run.workspace_id, null, scope.profile as Record<string, unknown> | undefined);
        try {
          ms = nextOpening(s.until, zone, now) - now;
        } catch (err) {
          if (err instanceof WindowError) throw new StepFailed(`delay: ${err.message}`);
          throw err;
        }
        window = { window: s.until, zone };
      }
      if (ms <= 0) return { kind: 'done', result: { delayed_ms: 0, ...window } };
      return { kind: 'wait', wait: { kind: 'sleep', ms }, waiting: { delayed_ms: ms, wakes_at: new Date(now + ms).toISOString(), ...window } };
    },
    async resume(_call, { waiting }) {
      return { kind: 'done', result: { delayed_ms: waiting.delayed_ms ?? null, ...(waiting.window ? { window: waiting.window, zone: waiting.zone } : {}) } };
    },
  };
}
