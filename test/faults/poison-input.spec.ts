import { messageDecided } from '../support/automations';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

/**
 * Issue 12, item 6: input that cannot succeed must not be retried forever at the cost of CPU
 * every workspace shares. A template of nested loops renders within a time and memory budget and
 * the message ends UNDELIVERABLE with the reason, once; /send content with a NUL character is a
 * 400 like everywhere else (Postgres cannot store it), not a 202 that fails on every attempt.
 */
let herald: TestHerald;

beforeAll(async () => {
  herald = await startTestHerald();
});

afterAll(async () => {
  await herald?.stop();
});

it('a template of nested loops ends UNDELIVERABLE with the reason, and the worker goes on', async () => {
  const ws = await herald.newWorkspace();
  const loops = '{% for a in (1..2000) %}{% for b in (1..2000) %}{% for c in (1..2000) %}x{% endfor %}{% endfor %}{% endfor %}';
  const saved = await herald.http.put('/notifications/loops').set(ws.auth).send({ name: 'Loops', channels: { inbox: { title: 'Hi', body: loops } } });
  expect(saved.status).toBe(200);
  const poison = await Promise.all(
    Array.from({ length: 3 }, async (_, i) => (await herald.http.post('/send').set(ws.auth).send({ message: { to: { user_id: `loop-${i}` }, template: 'loops' } }).expect(202)).body.requestId as string),
  );
  for (const id of poison) {
    const message = await messageDecided(herald, ws.auth, id, 30_000);
    expect({ status: message.status, error: message.error }).toEqual({ status: 'UNDELIVERABLE', error: expect.stringMatching(/template could not be rendered: .*(limit|exceeded)/i) });
    const history = (await herald.http.get(`/messages/${id}/history`).set(ws.auth)).body.items.map((h: any) => h.status);
    expect(history).toEqual(['ENQUEUED', 'UNDELIVERABLE']);
  }
  // A healthy message after them is delivered.
  await herald.http.put('/notifications/plain').set(ws.auth).send({ name: 'Plain', channels: { inbox: { title: 'Hi', body: 'there' } } }).expect(200);
  const ok = (await herald.http.post('/send').set(ws.auth).send({ message: { to: { user_id: 'fine' }, template: 'plain' } }).expect(202)).body.requestId;
  await waitUntil(async () => (await herald.http.get(`/messages/${ok}`).set(ws.auth)).body.status === 'DELIVERED', { what: 'the healthy message delivered' });
}, 90_000);

it('/send content with a NUL character is a 400 naming where it is', async () => {
  const ws = await herald.newWorkspace();
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ to: { user_id: 'n' }, content: { title: 'a\u0000b', body: 'x' } }, 'message.content.title'],
    [{ to: { user_id: 'n' }, content: { title: 't', body: 'x' }, data: { nested: [{ v: '\u0000' }] } }, 'message.data.nested[0].v'],
    [{ to: { user_id: 'n\u0000' }, content: { title: 't', body: 'x' } }, 'message.to.user_id'],
  ];
  for (const [message, where] of cases) {
    const res = await herald.http.post('/send').set(ws.auth).send({ message });
    expect({ where, status: res.status, message: res.body.message }).toEqual({ where, status: 400, message: `${where} contains a NUL character (\\u0000), which cannot be stored` });
  }
  expect((await herald.http.get('/messages').set(ws.auth)).body.items).toEqual([]);
});

it('an if of 100,000 && terms is a 400 naming the bound, not a 500 (issue 12, item 7)', async () => {
  const ws = await herald.newWorkspace();
  const condition = Array.from({ length: 100_000 }, (_, i) => `data.a${i}`).join(' && ');
  const res = await herald.http.post('/automations').set(ws.auth).send({ name: 'Long if', steps: [{ action: 'send', template: 'x', if: condition }] });
  expect(res.status).toBe(400);
  expect(res.body.message).toMatch(/expression too long \(\d+ characters; at most 4000\)/);
});

it('a NUL character in a path or query is a 400 naming the URL, and nothing is stored', async () => {
  const ws = await herald.newWorkspace();
  for (const url of ['/profiles/a%00b', '/messages/m%00', '/providers/p%00x', '/lists/l%00/subscriptions']) {
    const res = await herald.http.get(url).set(ws.auth);
    expect({ url, status: res.status, message: res.body.message }).toEqual({ url, status: 400, message: expect.stringMatching(/^request path or query contains a character Postgres cannot store/) });
  }
  const put = await herald.http.put('/profiles/u%00x').set(ws.auth).send({ profile: { email: 'x@example.com' } });
  expect({ status: put.status, message: put.body.message }).toEqual({ status: 400, message: expect.stringMatching(/^request path or query/) });
  expect((await herald.http.get('/profiles/u').set(ws.auth)).status).toBe(404);
  // In a body it still names the body.
  const body = await herald.http.put('/profiles/u').set(ws.auth).send({ profile: { email: 'x@example.com', name: 'a\u0000' } });
  expect(body.status).toBe(400);
  expect(body.body.message).not.toMatch(/path or query/);
});
