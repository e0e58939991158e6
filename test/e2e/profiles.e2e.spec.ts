import { apiClient } from '../support/api-client';
import { startTestHerald, TestHerald } from '../support/test-herald';

let herald: TestHerald;
beforeAll(async () => {
  herald = await startTestHerald({ worker: false });
});
afterAll(() => herald?.stop());

describe('profiles API', () => {
  it('POST deep-merges (creating the profile), PUT replaces, GET reads', async () => {
    const ws = await herald.newWorkspace();
    const api = await apiClient(herald, ws.auth);
    const path = { params: { path: { userId: 'ada' } } };
    expect((await api.GET('/profiles/{userId}', path)).error?.type).toBe('not_found_error');
    const merged = await api.POST('/profiles/{userId}', { ...path, body: { profile: { email: 'ada@example.com', prefs: { tz: 'UTC', lang: 'en' }, tags: [1, 2] } } });
    expect(merged.data?.status).toBe('SUCCESS');
    await api.POST('/profiles/{userId}', { ...path, body: { profile: { prefs: { tz: 'CET' }, tags: [3] } } });
    const read = (await api.GET('/profiles/{userId}', path)).data!;
    expect(read).toEqual({ profile: { email: 'ada@example.com', prefs: { tz: 'CET', lang: 'en' }, tags: [3] } });
    // @ts-expect-error the document's Profile has only `profile`: reading another field does not compile
    expect(read.email).toBeUndefined();
    expect((await api.PUT('/profiles/{userId}', { ...path, body: { profile: { phone: '+4712345678' } } })).response.status).toBe(200);
    expect((await api.GET('/profiles/{userId}', path)).data).toEqual({ profile: { phone: '+4712345678' } });
  });

  it('PATCH applies JSON Patch and names the failing operation', async () => {
    const ws = await herald.newWorkspace();
    await herald.http.patch('/profiles/nobody').set(ws.auth).send({ patch: [{ op: 'add', path: '/a', value: 1 }] }).expect(404);
    await herald.http.put('/profiles/bob').set(ws.auth).send({ profile: { plan: 'free', list: ['a'] } }).expect(200);
    await herald.http
      .patch('/profiles/bob')
      .set(ws.auth)
      .send({ patch: [{ op: 'replace', path: '/plan', value: 'pro' }, { op: 'add', path: '/list/-', value: 'b' }, { op: 'remove', path: '/list/0' }] })
      .expect(200);
    expect((await herald.http.get('/profiles/bob').set(ws.auth)).body.profile).toEqual({ plan: 'pro', list: ['b'] });

    const bad = await herald.http
      .patch('/profiles/bob')
      .set(ws.auth)
      .send({ patch: [{ op: 'add', path: '/x', value: 1 }, { op: 'remove', path: '/missing' }] });
    expect(bad.status).toBe(400);
    expect(bad.body.type).toBe('invalid_request_error');
    expect(bad.body.message).toMatch(/^patch\[1\]/);
    // A failed patch changes nothing, not even its valid first operation.
    expect((await herald.http.get('/profiles/bob').set(ws.auth)).body.profile).toEqual({ plan: 'pro', list: ['b'] });

    const notAnOp = await herald.http.patch('/profiles/bob').set(ws.auth).send({ patch: [{ op: 'explode', path: '/x' }] });
    expect(notAnOp.status).toBe(400);
    const proto = await herald.http.patch('/profiles/bob').set(ws.auth).send({ patch: [{ op: 'add', path: '/__proto__/polluted', value: 1 }] });
    expect(proto.status).toBe(400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects a profile that is not an object, naming the field', async () => {
    const ws = await herald.newWorkspace();
    const res = await herald.http.post('/profiles/x').set(ws.auth).send({ profile: [1, 2] });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ message: 'profile must be a JSON object', type: 'invalid_request_error' });
    const missing = await herald.http.put('/profiles/x').set(ws.auth).send({});
    expect(missing.status).toBe(400);
    expect(missing.body.message).toBe('profile must be a JSON object');
    await herald.http.get('/profiles/x').set(ws.auth).expect(404);
  });

  it('DELETE removes the profile (404 when there is none)', async () => {
    const ws = await herald.newWorkspace();
    await herald.http.post('/profiles/gone').set(ws.auth).send({ profile: { a: 1 } }).expect(200);
    await herald.http.delete('/profiles/gone').set(ws.auth).expect(204);
    await herald.http.get('/profiles/gone').set(ws.auth).expect(404);
    await herald.http.delete('/profiles/gone').set(ws.auth).expect(404);
  });

  it('concurrent merges into one profile lose no update', async () => {
    const ws = await herald.newWorkspace();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => herald.http.post('/profiles/busy').set(ws.auth).send({ profile: { [`k${i}`]: i } }).expect(200)),
    );
    const profile = (await herald.http.get('/profiles/busy').set(ws.auth)).body.profile;
    expect(Object.keys(profile).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `k${i}`).sort());
  });
});
