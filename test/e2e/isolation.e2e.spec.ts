import { randomUUID } from 'node:crypto';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

let herald: TestHerald;
beforeAll(async () => {
  herald = await startTestHerald();
});
afterAll(() => herald?.stop());

it("one workspace's key never reads or changes another's data", async () => {
  const a = await herald.newWorkspace();
  const b = await herald.newWorkspace();
  const identify = { type: 'identify', userId: 'shared-user', messageId: randomUUID(), traits: { secret: 'a-only' } };
  const group = { type: 'group', userId: 'shared-user', groupId: 'acme', messageId: randomUUID(), traits: { name: 'Acme' } };
  await herald.http.post('/inbound/rudderstack').set(a.auth).send(identify).expect(202);
  await herald.http.post('/inbound/rudderstack').set(a.auth).send(group).expect(202);
  await waitUntil(async () => (await herald.http.get('/tenants/acme/users').set(a.auth)).body.items?.length === 1, { what: 'group ingest' });
  await waitUntil(async () => (await herald.http.get('/profiles/shared-user').set(a.auth)).status === 200, { what: 'identify ingest' });
  const aLog = (await herald.http.get('/inbound/events/log').set(a.auth)).body.items;
  expect(aLog).toHaveLength(2);

  // Reads from B see nothing of A.
  await herald.http.get('/profiles/shared-user').set(b.auth).expect(404);
  await herald.http.get('/tenants/acme').set(b.auth).expect(404);
  await herald.http.get('/tenants/acme/users').set(b.auth).expect(404);
  await herald.http.get('/users/shared-user/tenants/acme').set(b.auth).expect(404);
  expect((await herald.http.get('/users/shared-user/tenants').set(b.auth)).body.items).toEqual([]);
  expect((await herald.http.get('/inbound/events').set(b.auth)).body.items).toEqual([]);
  expect((await herald.http.get('/inbound/events/log').set(b.auth)).body.items).toEqual([]);
  await herald.http.get(`/inbound/events/log/${aLog[0].id}`).set(b.auth).expect(404);

  // Writes from B never touch A's rows.
  await herald.http.delete('/profiles/shared-user').set(b.auth).expect(404);
  await herald.http.delete('/tenants/acme').set(b.auth).expect(404);
  await herald.http.put('/users/intruder/tenants/acme').set(b.auth).send({}).expect(404);
  await herald.http.patch('/profiles/shared-user').set(b.auth).send({ patch: [{ op: 'add', path: '/x', value: 1 }] }).expect(404);
  await herald.http.post('/profiles/shared-user').set(b.auth).send({ profile: { secret: 'b' } }).expect(200);

  expect((await herald.http.get('/profiles/shared-user').set(a.auth)).body.profile).toEqual({ secret: 'a-only' });
  expect((await herald.http.get('/profiles/shared-user').set(b.auth)).body.profile).toEqual({ secret: 'b' });
  expect((await herald.http.get('/tenants/acme/users').set(a.auth)).body.items.map((m: any) => m.user_id)).toEqual(['shared-user']);

  // Replaying A's messageId under B is B's own new event, not a duplicate of A's.
  const replay = await herald.http.post('/inbound/rudderstack').set(b.auth).send(identify);
  expect(replay.body).toEqual({ messageId: identify.messageId });
});
