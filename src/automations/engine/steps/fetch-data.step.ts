import { isPlainObject } from '../../../../workflows/shared/json';
import { mergeWithStrategy, MergeStrategy } from '../../../../workflows/shared/merge';
import type { FetchDataStep } from '../../../../workflows/shared/step-schema';
import type { RunsRepository } from '../../runs/runs.repository';
import { StepFailed, StepHandler, StepRetry } from '../engine.types';
import { fetchData, FetchDataError } from '../fetch-data';

/** Attempts before a retryable failure (5xx, 429, timeout) fails the step. */
export const FETCH_DATA_ATTEMPTS = 5;

/** fetch-data: an HTTP call whose JSON response is merged into the run's data. */
export function fetchDataStep(repo: RunsRepository, allowPrivateNetworks: string[]): StepHandler<FetchDataStep> {
  return {
    async run({ run, path, resolved: s, context, step }) {
      let response;
      try {
        response = await fetchData(
          { url: s.webhook.url, method: s.webhook.method.toUpperCase(), headers: s.webhook.headers, params: s.webhook.params, body: s.webhook.body },
          allowPrivateNetworks,
        );
      } catch (err) {
        if (!(err instanceof FetchDataError)) throw err;
        if (!err.retryable) throw new StepFailed(err.message, err.type);
        // Attempts are counted on the step record, so retries of the activity share one budget.
        const attempts = await repo.countAttempt(run.workspace_id, run.id, path, step.action, run.seq);
        if (attempts >= FETCH_DATA_ATTEMPTS) throw new StepFailed(`${err.message}; gave up after ${attempts} attempts`, err.type);
        throw new StepRetry(err.message);
      }
      const body = isPlainObject(response.body) ? response.body : { response: response.body };
      const data = mergeWithStrategy(s.merge_strategy as MergeStrategy, context.data, body);
      return { kind: 'done', result: { status: response.status }, context: { ...context, data } };
    },
  };
}
