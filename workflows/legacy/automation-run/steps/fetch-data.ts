import type { FetchDataStep } from '../../../shared/step-schema';
import { isPlainObject } from '../../../shared/json';
import { mergeWithStrategy, MergeStrategy } from '../../../shared/merge';
import { http } from '../activities';
import type { RunSession, StepOutcome } from '../session';

/** fetch-data: an HTTP call whose JSON response is merged into the run's data. */
export async function runFetchData(session: RunSession, step: FetchDataStep): Promise<StepOutcome> {
  const s = session.resolve(step, session.scope(step));
  const response = await http.fetchData({
    url: s.webhook.url,
    method: s.webhook.method.toUpperCase(),
    headers: s.webhook.headers,
    params: s.webhook.params,
    body: s.webhook.body,
  });
  const body = isPlainObject(response.body) ? response.body : { response: response.body };
  session.context.data = mergeWithStrategy(s.merge_strategy as MergeStrategy, session.context.data, body);
  return { result: { status: response.status } };
}
