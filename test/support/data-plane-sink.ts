import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface ReceivedEvent {
  writeKey: string;
  messageId: string;
  userId: string;
  event: string;
  properties: Record<string, any>;
  type: string;
}

/**
 * Plays a RudderStack data plane: POST /v1/batch with Basic auth (write key as user), gzip or
 * not. Keys listed in `validKeys` are accepted (others get 401); `failNext(n)` answers the
 * next n batches with 503, as a data plane that is down.
 */
export async function startDataPlaneSink(validKeys: Set<string>) {
  const events: ReceivedEvent[] = [];
  const batches: ReceivedEvent[][] = [];
  let failures = 0;
  let requests = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests++;
      const auth = String(req.headers.authorization ?? '');
      const writeKey = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString().split(':')[0] : '';
      if (req.method !== 'POST' || req.url !== '/v1/batch') return res.writeHead(404).end();
      if (!validKeys.has(writeKey)) return res.writeHead(401).end('{"error":"invalid write key"}');
      if (failures > 0) {
        failures--;
        return res.writeHead(503).end('{"error":"down"}');
      }
      let raw = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
      const body = JSON.parse(raw.toString('utf8')) as { batch: Array<Record<string, any>> };
      const batch = body.batch.map((e) => ({ writeKey, messageId: e.messageId, userId: e.userId, event: e.event, properties: e.properties, type: e.type }));
      batches.push(batch);
      events.push(...batch);
      res.writeHead(200).end('OK');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    events,
    batches,
    requests: () => requests,
    failNext: (n: number) => {
      failures = n;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
