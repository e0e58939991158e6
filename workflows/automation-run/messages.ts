import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { BatchDecision, RoutedEvent, RunStatus } from '../shared/run-types';

/** Signals and queries of run workflows, defined once for the workflows, activities and API. */
export const routedEventSignal = defineSignal<[RoutedEvent]>('routedEvent');
export const batchDecisionSignal = defineSignal<[BatchDecision]>('batchDecision');
export const runStateQuery = defineQuery<{ status: RunStatus; step: string | null }>('runState');
