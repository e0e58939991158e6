import { parseDuration, untilToDelayMs } from '../../../../workflows/shared/durations';
import type { DelayStep } from '../../../../workflows/shared/step-schema';
import type { StepHandler } from '../engine.types';

/** delay: a durable timer in the run's workflow; a cancel ends it at once. */
export function delayStep(): StepHandler<DelayStep> {
  return {
    async run({ resolved: s }) {
      const ms = s.duration !== undefined ? parseDuration(s.duration) : untilToDelayMs(s.until, Date.now());
      if (ms <= 0) return { kind: 'done', result: { delayed_ms: 0 } };
      return { kind: 'wait', wait: { kind: 'sleep', ms }, waiting: { delayed_ms: ms, wakes_at: new Date(Date.now() + ms).toISOString() } };
    },
    async resume(_call, { waiting }) {
      return { kind: 'done', result: { delayed_ms: waiting.delayed_ms ?? null } };
    },
  };
}
