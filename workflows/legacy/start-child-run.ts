import { ParentClosePolicy, startChild, WorkflowIdReusePolicy } from '@temporalio/workflow';
import type { PreparedRun } from '../shared/run-types';
import { toTypedSearchAttributes } from '../shared/search-attributes';

/** Starts a prepared run as a child that outlives its parent (event-triggered and invoked runs). */
export function startChildRun(run: PreparedRun) {
  return startChild(run.workflowType, {
    workflowId: run.workflowId,
    args: [run.input],
    parentClosePolicy: ParentClosePolicy.ABANDON,
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    typedSearchAttributes: toTypedSearchAttributes(run.searchAttributes),
  });
}
