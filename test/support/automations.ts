import type { TestHerald } from './test-herald';
import { waitUntil } from './wait-until';

type Auth = Record<string, string>;

/** Polls a run until it has one of the given statuses; returns the run. */
export async function runReaches(herald: TestHerald, auth: Auth, runId: string, statuses: string[], timeoutMs = 30_000) {
  return waitUntil(async () => {
    const res = await herald.http.get(`/automations/runs/${runId}`).set(auth);
    return res.status === 200 && statuses.includes(res.body.status) ? res.body : undefined;
  }, { timeoutMs, what: `run ${runId} to reach ${statuses.join('/')}` });
}

export async function runSteps(herald: TestHerald, auth: Auth, runId: string): Promise<Array<Record<string, any>>> {
  const res = await herald.http.get(`/automations/runs/${runId}/steps`).set(auth);
  if (res.status !== 200) throw new Error(`steps of ${runId}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.items;
}

export async function invokeAdHoc(herald: TestHerald, auth: Auth, body: Record<string, unknown>): Promise<string> {
  const res = await herald.http.post('/automations/invoke').set(auth).send(body);
  if (res.status !== 202) throw new Error(`invoke: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.runId;
}

/** Creates and publishes a template; returns its id. */
export async function publishedTemplate(herald: TestHerald, auth: Auth, body: Record<string, unknown>): Promise<string> {
  const created = await herald.http.post('/automations').set(auth).send(body);
  if (created.status !== 201) throw new Error(`create template: ${created.status} ${JSON.stringify(created.body)}`);
  const published = await herald.http.post(`/automations/${created.body.id}/publish`).set(auth);
  if (published.status !== 201) throw new Error(`publish: ${published.status} ${JSON.stringify(published.body)}`);
  return created.body.id;
}

/** Polls a message until it has left ENQUEUED (sent, delivered, filtered, undeliverable…); returns it. */
export async function messageDecided(herald: TestHerald, auth: Auth, messageId: string, timeoutMs = 20_000) {
  return waitUntil(async () => {
    const res = await herald.http.get(`/messages/${messageId}`).set(auth);
    return res.status === 200 && res.body.status !== 'ENQUEUED' ? res.body : undefined;
  }, { timeoutMs, what: `message ${messageId} decided` });
}
