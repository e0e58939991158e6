import type { TestHerald } from '../../support/test-herald';

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
