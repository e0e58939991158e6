import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * A local HTTP server that records requests and answers with the statuses it is told to, in
 * order (then 200); with `holdMs`, each answer comes that long after the request (a slow receiver).
 */
export async function startHttpSink(statuses: number[] = [], options: { holdMs?: number } = {}) {
  const requests: RecordedRequest[] = [];
  const queue = [...statuses];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const status = queue.shift() ?? 200;
      const answer = () => res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ ok: status < 400 }));
      if (options.holdMs) setTimeout(answer, options.holdMs);
      else answer();
    });
  });
  server.requestTimeout = 0;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respondWith: (...next: number[]) => queue.push(...next),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
