import type { TestHerald } from '../../support/test-herald';

type Auth = Record<string, string>;

/** Runs `worker` over `items` with at most `limit` calls in flight; results keep the input order. */
export async function mapPool<T, R>(items: readonly T[], limit: number, worker: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      results[i] = await worker(items[i], i);
    }
  });
  await Promise.all(lanes);
  return results;
}

/** Every item of a cursor-paginated list endpoint (`{ items, has_more, cursor }`). */
export async function paginate<T = Record<string, any>>(
  herald: TestHerald,
  auth: Auth,
  path: string,
  query: Record<string, string | number> = {},
  limit = 500,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null | undefined;
  for (let page = 0; page < 10_000; page++) {
    const res = await herald.http
      .get(path)
      .set(auth)
      .query({ ...query, limit, ...(cursor ? { cursor } : {}) });
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    items.push(...(res.body.items as T[]));
    if (!res.body.has_more) return items;
    cursor = res.body.cursor;
    if (!cursor) throw new Error(`GET ${path}: has_more without a cursor`);
  }
  throw new Error(`GET ${path}: too many pages`);
}

/** A small deterministic PRNG (mulberry32), so a shuffled order can be reproduced from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
