import { randomUUID } from 'node:crypto';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

let herald: TestHerald;
beforeAll(async () => {
  herald = await startTestHerald();
});
afterAll(() => herald?.stop());

describe('group events', () => {
  it('upsert the tenant (name from traits.name, the rest in properties) and add the user as a member', async () => {
    const ws = await herald.newWorkspace();
    const first = { type: 'group', userId: 'u1', groupId: 'acme', messageId: randomUUID(), traits: { name: 'Acme', plan: 'pro', address: { city: 'Oslo' } } };
    await herald.http.post('/inbound/rudderstack').set(ws.auth).send(first).expect(202);
    const tenant = await waitUntil(async () => {
      const res = await herald.http.get('/tenants/acme').set(ws.auth);
      return res.status === 200 ? res.body : undefined;
    }, { what: 'tenant acme' });
    expect(tenant).toEqual({ id: 'acme', name: 'Acme', parent_tenant_id: null, properties: { plan: 'pro', address: { city: 'Oslo' } }, user_profile: {}, type: 'tenant' });

    const second = { type: 'group', anonymousId: 'anon-9', groupId: 'acme', messageId: randomUUID(), traits: { seats: 10, address: { zip: '0150' } } };
    await herald.http.post('/inbound/rudderstack').set(ws.auth).send(second).expect(202);
    const members = await waitUntil(async () => {
      const res = await herald.http.get('/tenants/acme/users').set(ws.auth);
      return res.body.items?.length === 2 ? res.body : undefined;
    }, { what: 'two members' });
    expect(members.items.map((m: any) => m.user_id)).toEqual(['anon-9', 'u1']);
    const updated = (await herald.http.get('/tenants/acme').set(ws.auth)).body;
    expect(updated.name).toBe('Acme');
    expect(updated.properties).toEqual({ plan: 'pro', seats: 10, address: { city: 'Oslo', zip: '0150' } });
    expect((await herald.http.get('/users/u1/tenants').set(ws.auth)).body.items).toEqual([{ user_id: 'u1', tenant_id: 'acme', profile: {}, type: 'user' }]);
  });
});

describe('tenants API', () => {
  it('PUT creates and replaces, GET reads, DELETE removes the tenant and its memberships', async () => {
    const ws = await herald.newWorkspace();
    await herald.http.get('/tenants/t1').set(ws.auth).expect(404);
    const created = await herald.http.put('/tenants/t1').set(ws.auth).send({ name: 'T One', properties: { a: 1 }, user_profile: { locale: 'nb' } });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({ id: 't1', name: 'T One', parent_tenant_id: null, properties: { a: 1 }, user_profile: { locale: 'nb' }, type: 'tenant' });
    await herald.http.put('/tenants/parent').set(ws.auth).send({ name: 'Parent' }).expect(200);
    const replaced = await herald.http.put('/tenants/t1').set(ws.auth).send({ name: 'T 1', parent_tenant_id: 'parent' });
    expect(replaced.body).toMatchObject({ name: 'T 1', parent_tenant_id: 'parent', properties: {}, user_profile: {} });

    await herald.http.put('/users/u1/tenants/t1').set(ws.auth).send({ profile: { role: 'admin' } }).expect(200);
    await herald.http.put('/users/u2/tenants/t1').set(ws.auth).send({}).expect(200);
    expect((await herald.http.get('/users/u1/tenants/t1').set(ws.auth)).body).toEqual({ user_id: 'u1', tenant_id: 't1', profile: { role: 'admin' }, type: 'user' });

    await herald.http.delete('/tenants/t1').set(ws.auth).expect(204);
    await herald.http.get('/tenants/t1').set(ws.auth).expect(404);
    await herald.http.get('/users/u1/tenants/t1').set(ws.auth).expect(404);
    expect((await herald.http.get('/users/u1/tenants').set(ws.auth)).body.items).toEqual([]);
    await herald.http.delete('/tenants/t1').set(ws.auth).expect(404);
  });

  it('validates the body, naming the field', async () => {
    const ws = await herald.newWorkspace();
    const noName = await herald.http.put('/tenants/t').set(ws.auth).send({ properties: {} });
    expect(noName.status).toBe(400);
    expect(noName.body).toEqual({ message: 'name must be a string', type: 'invalid_request_error' });
    const badProps = await herald.http.put('/tenants/t').set(ws.auth).send({ name: 'x', properties: 'nope' });
    expect(badProps.body.message).toBe('properties must be a JSON object');
    await herald.http.put('/users/u/tenants/missing').set(ws.auth).send({}).expect(404);
  });

  it('pages through members with a cursor', async () => {
    const ws = await herald.newWorkspace();
    await herald.http.put('/tenants/big').set(ws.auth).send({ name: 'Big' }).expect(200);
    for (let i = 0; i < 7; i++) await herald.http.put(`/users/m${i}/tenants/big`).set(ws.auth).send({}).expect(200);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await herald.http.get('/tenants/big/users').set(ws.auth).query({ limit: 3, ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((m: any) => m.user_id));
      cursor = res.body.has_more ? res.body.cursor : undefined;
    } while (cursor);
    expect(seen).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    const bad = await herald.http.get('/tenants/big/users').set(ws.auth).query({ limit: 0 });
    expect(bad.status).toBe(400);
  });
});
