import { randomUUID } from 'node:crypto';
import { apiClient } from '../support/api-client';
import { invokeAdHoc, publishedTemplate, runReaches, runSteps } from '../support/automations';
import { startTestHerald, TestHerald } from '../support/test-herald';

let herald: TestHerald;
beforeAll(async () => {
  herald = await startTestHerald();
});
afterAll(() => herald?.stop());

describe('automation templates', () => {
  it('validates steps on save, naming the step index and field', async () => {
    const ws = await herald.newWorkspace();
    const cases: Array<[unknown[], string]> = [
      [[{ action: 'send', template: 'x' }, { action: 'delay', duration: 'soon' }], 'steps[1].duration'],
      [[{ action: 'explode' }], 'steps[0].action: action must be one of send, delay'],
      [[{ action: 'wait-for', timeout: '1 day' }], 'steps[0].event'],
      [[{ action: 'branch', paths: [{ if: 'data.x ==', steps: [] }] }], 'steps[0].paths[0].if'],
      [[{ action: 'branch', paths: [{ if: 'true', steps: [{ action: 'send' }] }] }], 'steps[0].paths[0].steps[0].template: send needs template or message'],
      [[{ action: 'throttle', max_allowed: 0, period: '1 hour' }], 'steps[0].max_allowed'],
      [[{ action: 'send', template: 'x', if: 'constructor.constructor("return 1")()' }], 'steps[0].if'],
      [[{ action: 'fetch-data', webhook: { url: 'http://x', method: 'TRACE' } }], 'steps[0].webhook.method'],
    ];
    for (const [steps, expected] of cases) {
      const res = await herald.http.post('/automations').set(ws.auth).send({ name: 'bad', steps });
      expect(res.status).toBe(400);
      expect(res.body.type).toBe('invalid_request_error');
      expect(res.body.message).toContain(expected);
    }
    const list = await herald.http.get('/automations').set(ws.auth);
    expect(list.body.items).toEqual([]);
  });

  it('refuses a broken reference in cancelation_token or recipient on save and on invoke', async () => {
    const ws = await herald.newWorkspace();
    const save = await herald.http.post('/automations').set(ws.auth).send({ name: 'x', cancelation_token: '${}', steps: [] });
    expect(save.status).toBe(400);
    expect(save.body.message).toMatch(/^cancelation_token: /);
    const recipient = await herald.http.post('/automations').set(ws.auth).send({ name: 'x', recipient: '${data.a ==}', steps: [] });
    expect(recipient.status).toBe(400);
    const invoke = await herald.http.post('/automations/invoke').set(ws.auth).send({ automation: { steps: [], cancelation_token: '${' } });
    expect(invoke.status).toBe(400);
    expect(invoke.body.message).toMatch(/^cancelation_token: /);
  });

  it('accepts Courier alias spellings and stores the canonical names', async () => {
    const ws = await herald.newWorkspace();
    const res = await herald.http.post('/automations').set(ws.auth).send({
      name: 'aliases',
      steps: [{ action: 'delay', delayFor: '5 minutes' }, { action: 'delay', delayUntil: '2030-01-01T00:00:00Z' }, { action: 'cancel', cancellation_token: 't' }],
    });
    expect(res.status).toBe(201);
    expect(res.body.steps).toEqual([
      { action: 'delay', duration: '5 minutes' },
      { action: 'delay', until: '2030-01-01T00:00:00Z' },
      { action: 'cancel', cancelation_token: 't' },
    ]);
  });

  it('draft → publish → versions; invoking needs a published version; a run pins its version', async () => {
    const ws = await herald.newWorkspace();
    // Through the typed client: a field the OpenAPI document does not have does not compile.
    const api = await apiClient(herald, ws.auth);
    const created = await api.POST('/automations', {
      body: { name: 'Pinned', alias: 'pinned', steps: [{ action: 'delay', duration: '2 seconds' }, { action: 'send', template: 'v1-note' }] },
    });
    expect(created.response.status).toBe(201);
    const unpublished = await api.POST('/automations/{templateIdOrAlias}/invoke', { params: { path: { templateIdOrAlias: 'pinned' } }, body: { recipient: 'u1' } });
    expect(unpublished.response.status).toBe(409);
    expect(unpublished.error?.message).toMatch(/no published version/);

    expect((await api.POST('/automations/{id}/publish', { params: { path: { id: 'pinned' } } })).data?.version).toBe(1);
    const run1 = (await api.POST('/automations/{templateIdOrAlias}/invoke', { params: { path: { templateIdOrAlias: 'pinned' } }, body: { recipient: 'u1' } })).data!.runId;
    await runReaches(herald, ws.auth, run1, ['WAITING']);

    // Edit and publish v2 while the v1 run waits in its delay.
    const edited = await api.PUT('/automations/{id}', { params: { path: { id: 'pinned' } }, body: { name: 'Pinned', alias: 'pinned', steps: [{ action: 'send', template: 'v2-note' }] } });
    expect(edited.response.status).toBe(200);
    expect((await api.POST('/automations/{id}/publish', { params: { path: { id: created.data!.id } } })).data?.version).toBe(2);
    const versions = (await api.GET('/automations/{id}/versions', { params: { path: { id: 'pinned' } } })).data!;
    expect(versions.items.map((v) => v.version)).toEqual([2, 1]);
    expect(versions.items[1].steps[1].template).toBe('v1-note');

    const done1 = await runReaches(herald, ws.auth, run1, ['PROCESSED']);
    expect(done1.template_version).toBe(1);
    const steps1 = (await api.GET('/automations/runs/{runId}/steps', { params: { path: { runId: run1 } } })).data!.items;
    expect(steps1.map((s) => [s.action, s.status])).toEqual([['delay', 'PROCESSED'], ['send', 'PROCESSED']]);
    expect(steps1[1].result).toEqual({ messageId: `${run1}:1`, status: 'UNMAPPED' });

    const run2 = (await api.POST('/automations/{templateIdOrAlias}/invoke', { params: { path: { templateIdOrAlias: 'pinned' } }, body: { recipient: 'u1' } })).data!.runId;
    const done2 = await runReaches(herald, ws.auth, run2, ['PROCESSED']);
    expect(done2.template_version).toBe(2);
    const run = (await api.GET('/automations/runs/{runId}', { params: { path: { runId: run2 } } })).data!;
    expect([run.status, run.template_name, run.kind]).toEqual(['PROCESSED', 'Pinned', 'steps']);
    expect((await runSteps(herald, ws.auth, run2)).map((s) => s.action)).toEqual(['send']);
  });

  it('alias conflicts are 409 and deleting a template keeps running runs going', async () => {
    const ws = await herald.newWorkspace();
    const id = await publishedTemplate(herald, ws.auth, { name: 'A', alias: 'dup', steps: [{ action: 'delay', duration: '1 second' }] });
    const clash = await herald.http.post('/automations').set(ws.auth).send({ name: 'B', alias: 'dup', steps: [] });
    expect(clash.status).toBe(409);
    const run = (await herald.http.post(`/automations/${id}/invoke`).set(ws.auth).send({})).body.runId;
    await herald.http.delete('/automations/dup').set(ws.auth).expect(204);
    await herald.http.get(`/automations/${id}`).set(ws.auth).expect(404);
    await runReaches(herald, ws.auth, run, ['PROCESSED']);
  });

  it('an alias that is one of the routes under /automations is a 400 naming it; a saved one reads back by alias', async () => {
    const ws = await herald.newWorkspace();
    for (const alias of ['runs', 'sequences', 'step-schema', 'Invoke', 'cancel']) {
      const res = await herald.http.post('/automations').set(ws.auth).send({ name: 'R', alias, steps: [] });
      expect({ alias, status: res.status, message: res.body.message }).toEqual({ alias, status: 400, message: expect.stringContaining(`alias "${alias}" is reserved`) });
    }
    const id = (await herald.http.post('/automations').set(ws.auth).send({ name: 'R', alias: 'runs-weekly', steps: [] }).expect(201)).body.id;
    expect((await herald.http.get('/automations/runs-weekly').set(ws.auth).expect(200)).body.id).toBe(id);
    const renamed = await herald.http.put(`/automations/${id}`).set(ws.auth).send({ name: 'R', alias: 'sequences', steps: [] });
    expect(renamed.status).toBe(400);
    expect((await herald.http.get(`/automations/${id}`).set(ws.auth).expect(200)).body.alias).toBe('runs-weekly');
  });

  it('rejects an invoke cycle on save, and a dynamic one at run time', async () => {
    const ws = await herald.newWorkspace();
    await publishedTemplate(herald, ws.auth, { name: 'B', alias: 'cycle-b', steps: [{ action: 'send', template: 'n' }] });
    await publishedTemplate(herald, ws.auth, { name: 'A', alias: 'cycle-a', steps: [{ action: 'invoke', template: 'cycle-b' }] });
    const res = await herald.http.put('/automations/cycle-b').set(ws.auth).send({ name: 'B', alias: 'cycle-b', steps: [{ action: 'invoke', template: 'cycle-a' }] });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('steps: invoke cycle: cycle-b → cycle-a → cycle-b');
    const self = await herald.http.post('/automations').set(ws.auth).send({ name: 'S', alias: 'self', steps: [{ action: 'invoke', template: 'self' }] });
    expect(self.status).toBe(400);

    // A reference the save check cannot follow is caught when the run invokes it.
    await publishedTemplate(herald, ws.auth, { name: 'Loop', alias: 'loop', steps: [{ action: 'invoke', template: '${data.next}' }] });
    const root = (await herald.http.post('/automations/loop/invoke').set(ws.auth).send({ data: { next: 'loop' } })).body.runId;
    const failed = await runReaches(herald, ws.auth, root, ['PROCESSED', 'ERROR']);
    expect(failed.status).toBe('ERROR');
    expect(failed.error).toBe('invoke loop: invoke cycle: template "loop" is already running in this run\'s invoke chain (depth 1)');
    const [step] = await runSteps(herald, ws.auth, root);
    expect(step).toMatchObject({ action: 'invoke', status: 'ERROR' });
    // Nothing was started: the run is the only one.
    expect((await herald.http.get('/automations/runs').set(ws.auth)).body.items.filter((r: any) => r.template_name === 'Loop')).toHaveLength(1);
  });
});

describe('invoke endpoints', () => {
  it('Idempotency-Key returns the first response and starts nothing new', async () => {
    const ws = await herald.newWorkspace();
    const key = randomUUID();
    const body = { automation: { steps: [{ action: 'send', template: 't' }] }, recipient: 'idem' };
    const responses = await Promise.all([1, 2, 3].map(() => herald.http.post('/automations/invoke').set(ws.auth).set('Idempotency-Key', key).send(body)));
    expect(responses.map((r) => r.status)).toEqual([202, 202, 202]);
    expect(new Set(responses.map((r) => r.body.runId)).size).toBe(1);
    await runReaches(herald, ws.auth, responses[0].body.runId, ['PROCESSED']);
    const again = await herald.http.post('/automations/invoke').set(ws.auth).set('Idempotency-Key', key).send(body);
    expect(again.body).toEqual({ runId: responses[0].body.runId });
    const runs = await herald.http.get('/automations/runs').set(ws.auth);
    expect(runs.body.items).toHaveLength(1);
    const other = await herald.http.post('/automations/invoke').set(ws.auth).set('Idempotency-Key', randomUUID()).send(body);
    expect(other.body.runId).not.toBe(responses[0].body.runId);
  });

  it('a run carries its source, a Temporal UI link and search attributes', async () => {
    const ws = await herald.newWorkspace();
    const runId = await invokeAdHoc(herald, ws.auth, { automation: { steps: [{ action: 'send', template: 't' }], cancelation_token: 'tok-${data.k}' }, recipient: 'sa-user', data: { k: 7 } });
    const run = await runReaches(herald, ws.auth, runId, ['PROCESSED']);
    expect(run).toMatchObject({ source: 'api', recipient: 'sa-user', cancelation_token: 'tok-7', workflow_id: `run:${ws.id}:${runId}` });
    expect(run.temporal_url).toBe(`http://localhost:8233/namespaces/default/workflows/${encodeURIComponent(`run:${ws.id}:${runId}`)}`);
    const description = await herald.temporal.client.workflow.getHandle(run.workflow_id).describe();
    expect(description.searchAttributes).toMatchObject({
      HeraldWorkspace: [ws.id], HeraldRecipient: ['sa-user'], HeraldTemplate: ['adhoc'], HeraldSource: ['api'], HeraldCancelationToken: ['tok-7'],
    });
  });

  it('lists runs with filters and a cursor', async () => {
    const ws = await herald.newWorkspace();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await invokeAdHoc(herald, ws.auth, { automation: { steps: [{ action: 'exit' }] }, recipient: i % 2 ? 'odd' : 'even' }));
    for (const id of ids) await runReaches(herald, ws.auth, id, ['PROCESSED']);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await herald.http.get('/automations/runs').set(ws.auth).query({ limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...res.body.items.map((r: any) => r.run_id));
      cursor = res.body.has_more ? res.body.cursor : undefined;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const odd = await herald.http.get('/automations/runs').set(ws.auth).query({ recipient: 'odd', status: 'PROCESSED' });
    expect(odd.body.items.map((r: any) => r.run_id)).toEqual([ids[3], ids[1]]);
    const bad = await herald.http.get('/automations/runs').set(ws.auth).query({ status: 'DONE' });
    expect(bad.status).toBe(400);
    await herald.http.get(`/automations/runs/${randomUUID()}`).set(ws.auth).expect(404);
    await herald.http.get('/automations/runs/not-a-uuid').set(ws.auth).expect(404);
  });

  it('ad hoc steps are validated (400 naming automation.steps[i])', async () => {
    const ws = await herald.newWorkspace();
    const res = await herald.http.post('/automations/invoke').set(ws.auth).send({ automation: { steps: [{ action: 'delay' }] } });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('automation.steps[0].duration');
    const noAutomation = await herald.http.post('/automations/invoke').set(ws.auth).send({});
    expect(noAutomation.status).toBe(400);
    expect(noAutomation.body.message).toContain('automation');
  });
});
