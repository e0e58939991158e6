import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { ScheduleActivities, ScheduledFiring, ScheduledFiringResult } from '../../activities/schedule.activities';
import { FIRING_ATTEMPTS } from './firing-policy';

/** Set by Temporal on every workflow a Schedule starts: the firing's nominal (scheduled) time. */
const SCHEDULED_START_TIME = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

const { fireSchedule } = proxyLocalActivities<ScheduleActivities>({
  startToCloseTimeout: '1 minute',
  // The activity records the firing as FAILED on its last attempt before giving up.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '20 seconds', maximumAttempts: FIRING_ATTEMPTS },
});

export interface ScheduledTargetInput {
  workspaceId: string;
  scheduleId: string;
}

/**
 * Started by a Herald schedule's Temporal Schedule (`herald-schedule:<workspace>:<id>`), one per
 * firing, with ids only: one local activity reads the schedule's definition from Postgres and
 * performs its target (a /send, an automation or sequence run, a broadcast), idempotent by the
 * schedule id and the firing's scheduled time, so a retried firing acts once.
 */
export async function scheduledTargetWorkflow(input: ScheduledTargetInput): Promise<ScheduledFiringResult> {
  const firing: ScheduledFiring = { ...input, scheduledAt: scheduledTime(), workflowId: workflowInfo().workflowId };
  return fireSchedule(firing);
}

/**
 * The firing's nominal time: Temporal's TemporalScheduledStartTime search attribute; else the
 * time Temporal appends to a scheduled workflow's id (`<id>-2025-01-06T08:00:00Z`); else when
 * this workflow started.
 */
export function scheduledTime(): string {
  const info = workflowInfo();
  const attribute = info.typedSearchAttributes.get(SCHEDULED_START_TIME);
  if (attribute instanceof Date && !Number.isNaN(attribute.getTime())) return attribute.toISOString();
  const suffix = /-(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)$/.exec(info.workflowId);
  if (suffix && !Number.isNaN(Date.parse(suffix[1]))) return new Date(suffix[1]).toISOString();
  return info.startTime.toISOString();
}
