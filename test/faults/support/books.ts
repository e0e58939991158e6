import type { TestHerald } from '../../support/test-herald';
import { waitUntil } from '../../support/wait-until';

type Auth = Record<string, string>;

/** Every page of a list endpoint. */
export async function listAll<T = Record<string, any>>(herald: TestHerald, auth: Auth, path: string, query: Record<string, string | number> = {}): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const res = await herald.http.get(path).set(auth).query({ limit: 500, ...query, ...(cursor ? { cursor } : {}) });
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
    items.push(...res.body.items);
    cursor = res.body.has_more ? res.body.cursor : undefined;
  } while (cursor);
  return items;
}

/** Counts of a list by a key, e.g. how many messages per id. */
export function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}

/**
 * The books of the restart tests: `count` events, each processed with one run, every run
 * PROCESSED, and each run's message in its recipient's inbox exactly once.
 */
export async function expectEventsRunsAndInbox(herald: TestHerald, auth: Auth, count: number, users: string[]) {
  const log = await waitUntil(async () => {
    const entries = await listAll(herald, auth, '/inbound/events/log');
    return entries.length === count && entries.every((e) => e.status === 'processed') ? entries : undefined;
  }, { timeoutMs: 120_000, what: `${count} events processed` });
  expect(log.every((e) => e.run_ids.length === 1)).toBe(true);
  const runs = await waitUntil(async () => {
    const all = await listAll(herald, auth, '/automations/runs');
    return all.length === count && all.every((r) => r.status === 'PROCESSED') ? all : undefined;
  }, { timeoutMs: 120_000, what: `${count} runs PROCESSED` });
  const inbox = (await Promise.all(users.map((u) => listAll(herald, auth, `/inbox/${u}/messages`)))).flat();
  const perMessage = countBy(inbox, (m) => m.id);
  expect(runs.map((r) => perMessage[`${r.run_id}:1`] ?? 0)).toEqual(Array(count).fill(1));
  expect(inbox).toHaveLength(count);
  return runs;
}
