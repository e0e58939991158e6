import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { BatchDecision, RoutedEvent, RunStatus } from '../shared/run-types';

/** Signals and queries of run workflows, defined once for the workflows, activities and API. */

/** Wakes a run waiting on `key` (a wait-for whose event was matched in Postgres). Carries no event body. */
export const runWakeSignal = defineSignal<[{ key: string }]>('runWake');
export const batchDecisionSignal = defineSignal<[BatchDecision]>('batchDecision');
/** Legacy runs (workflows/legacy) receive their events with the body in the signal. */
export const routedEventSignal = defineSignal<[RoutedEvent]>('routedEvent');
export const runStateQuery = defineQuery<{ status: RunStatus; step: string | null }>('runState');
