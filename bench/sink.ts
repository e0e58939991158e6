import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** A local data-plane stand-in for the bench: accepts /v1/batch (gzip or not) and counts events. */
export async function startSink() {
  let events = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let raw = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
      try {
        events += (JSON.parse(raw.toString('utf8')) as { batch: unknown[] }).batch.length;
        res.writeHead(200).end('OK');
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    count: () => events,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
