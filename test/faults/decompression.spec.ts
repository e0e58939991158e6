import { gzipSync } from 'node:zlib';
import { startTestHerald, TestHerald } from '../support/test-herald';

/**
 * Issue 12, item 2: a body is read only on a route that takes one, after its key checked out,
 * and a compressed one only up to a bounded size and ratio. Here the API and the worker share
 * one process (as `npm start` runs them): 20 gzip bodies of 4 KB that inflate to 4 MB, sent with
 * no key or a wrong one, must cost next to nothing while an authenticated caller goes on.
 */
let herald: TestHerald;
let auth: Record<string, string>;
const bomb = gzipSync(Buffer.from(JSON.stringify({ type: 'track', userId: 'x', event: 'E', properties: { pad: 'a'.repeat(4 * 1024 * 1024 - 100) } })));

beforeAll(async () => {
  herald = await startTestHerald();
  auth = (await herald.newWorkspace()).auth;
});

afterAll(async () => {
  await herald?.stop();
});

// Herald reads every body as JSON whatever its Content-Type; octet-stream keeps superagent from JSON-encoding the Buffer.
const RAW = { 'Content-Type': 'application/octet-stream', 'Content-Encoding': 'gzip' };
const gz = (path: string, headers: Record<string, string>, method: 'post' | 'get' = 'post') => (herald.http as any)[method](path).set({ ...RAW, ...headers }).send(bomb);

it('unauthenticated decompression bombs are refused before inflating: CPU, RSS and a parallel caller stay flat', async () => {
  expect(bomb.length).toBeLessThan(16 * 1024);
  // Warm up the authenticated path so the comparison below is of steady states.
  for (let i = 0; i < 5; i++) await herald.http.get('/profiles/warm').set(auth);

  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const cpuBefore = process.cpuUsage();
  const targets: Array<() => Promise<{ status: number }>> = [];
  for (let i = 0; i < 10; i++) targets.push(() => gz('/inbound/rudderstack', {}));
  for (let i = 0; i < 5; i++) targets.push(() => gz('/inbound/rudderstack', { Authorization: 'Bearer hk_wrong' }));
  for (let i = 0; i < 5; i++) targets.push(() => gz('/health', {}, 'get'));
  const answers = Promise.all(targets.map((t) => t()));
  const parallel: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = Date.now();
    expect((await herald.http.get('/profiles/warm').set(auth)).status).toBe(404);
    parallel.push(Date.now() - started);
  }
  const statuses = (await answers).map((r) => r.status);
  const cpu = process.cpuUsage(cpuBefore);
  const rssGrowth = process.memoryUsage().rss - rssBefore;
  console.log(`[decompression] 20 bombs: statuses ${JSON.stringify(statuses)}; CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms; RSS +${(rssGrowth / 1e6).toFixed(1)} MB; parallel calls ${parallel.join('/')} ms`);

  expect(statuses.slice(0, 15)).toEqual(Array(15).fill(401));
  expect(statuses.slice(15)).toEqual(Array(5).fill(200));
  // Inflating and parsing 20 × 4 MB costs seconds of CPU and hundreds of MB; refusing costs milliseconds.
  expect((cpu.user + cpu.system) / 1000).toBeLessThan(2_000);
  expect(rssGrowth).toBeLessThan(100 * 1024 * 1024);
  expect(Math.max(...parallel)).toBeLessThan(2_000);
});

it('an authenticated body may inflate only a bounded ratio: a bomb is a 413, a real compressed event is accepted', async () => {
  const bombed = await gz('/inbound/rudderstack', auth);
  expect({ status: bombed.status, body: bombed.body }).toEqual({ status: 413, body: { message: 'request body is larger than the limit', type: 'invalid_request_error' } });
  expect(bombed.body).toEqual({ message: 'request body is larger than the limit', type: 'invalid_request_error' });
  const event = { type: 'track', userId: 'gz-user', event: 'Compressed', messageId: 'gz-1', properties: { items: Array.from({ length: 50 }, (_, i) => ({ sku: `sku-${i}`, price: i })) } };
  const ok = await herald.http.post('/inbound/rudderstack').set({ ...auth, ...RAW }).send(gzipSync(Buffer.from(JSON.stringify(event))));
  expect(ok.status).toBe(202);
  expect(ok.body).toMatchObject({ messageId: 'gz-1' });
});

it('Basic auth with junk after the base64 token is refused', async () => {
  const key = auth.Authorization.replace(/^Bearer /, '');
  const basic = Buffer.from(`:${key}`).toString('base64');
  expect((await herald.http.get('/profiles/x').set('Authorization', `Basic ${basic}`)).status).toBe(404);
  expect((await herald.http.get('/profiles/x').set('Authorization', `Basic ${basic}!!junk`)).status).toBe(401);
  expect((await herald.http.get('/profiles/x').set('Authorization', `Basic ${basic} more`)).status).toBe(401);
});
