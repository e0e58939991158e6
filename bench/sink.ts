import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/**
 * A local data-plane stand-in for the bench: accepts /v1/batch (gzip or not) and counts events,
 * per write key (the SDK sends it as the Basic-auth user name), with the time the last one came in.
 */
export async function startSink() {
  const counts = new Map<string, { events: number; requests: number; lastAt: number }>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let raw = Buffer.concat(chunks);
      try {
        if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
        const n = (JSON.parse(raw.toString('utf8')) as { batch: unknown[] }).batch.length;
        const key = writeKeyOf(req.headers.authorization);
        const entry = counts.get(key) ?? { events: 0, requests: 0, lastAt: 0 };
        entry.events += n;
        entry.requests += 1;
        entry.lastAt = Date.now();
        counts.set(key, entry);
        res.writeHead(200).end('OK');
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const of = (key: string) => counts.get(key) ?? { events: 0, requests: 0, lastAt: 0 };
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Events received for a write key (all keys when omitted). */
    count: (key?: string) => (key === undefined ? [...counts.values()].reduce((s, e) => s + e.events, 0) : of(key).events),
    requests: (key: string) => of(key).requests,
    /** Date.now() when the last batch for the key came in (0: none yet). */
    lastAt: (key: string) => of(key).lastAt,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export type Sink = Awaited<ReturnType<typeof startSink>>;

function writeKeyOf(authorization: string | undefined): string {
  const m = /^Basic\s+(.+)$/i.exec(authorization ?? '');
  if (!m) return '';
  return Buffer.from(m[1], 'base64').toString('utf8').split(':')[0];
}
