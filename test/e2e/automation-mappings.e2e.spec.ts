import { randomUUID } from 'node:crypto';
import { publishedTemplate, runReaches, runSteps } from '../support/automations';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

let herald: TestHerald;
beforeAll(async () => {
  herald = await startTestHerald();
});
afterAll(() => herald?.stop());

type Auth = Record<string, string>;
const enc = encodeURIComponent;

async function track(auth: Auth, userId: string, event: string, properties: Record<string, unknown> = {}) {
  const messageId = randomUUID();
  await herald.http.post('/inbound/rudderstack').set(auth).send({ type: 'track', userId, event, messageId, properties }).expect(202);
  return messageId;
}

/** The log entry of an event once its ingest workflow has finished. */
async function ingested(auth: Auth, messageId: string) {
  return waitUntil(async () => {
    const items = (await herald.http.get('/inbound/events/log').set(auth).query({ limit: 200 })).body.items as any[];
    const entry = items.find((e) => e.message_id === messageId);
    return entry && entry.status !== 'pending' ? entry : undefined;
  }, { what: `ingest of ${messageId}` });
}

describe('event → automation mappings', () => {
  it('the checkout reminder: Checkout Started starts a 2-hour reminder, Checkout Completed cancels it, no reminder is sent', async () => {
    const ws = await herald.newWorkspace();
    await publishedTemplate(herald, ws.auth, {
      name: 'Checkout reminder', alias: 'checkout-reminder', cancelation_token: '${data.userId}-checkout',
      steps: [{ action: 'delay', duration: '2 hours' }, { action: 'send', template: 'checkout-reminder' }],
    });
    await publishedTemplate(herald, ws.auth, {
      name: 'Checkout done', alias: 'checkout-done', steps: [{ action: 'cancel', cancelation_token: '${data.userId}-checkout' }],
    });
    await herald.http.put(`/inbound/events/${enc('track/Checkout Started')}/automations/checkout-reminder`).set(ws.auth).expect(200);
    await herald.http.put(`/inbound/events/${enc('track/Checkout Completed')}/automations/checkout-done`).set(ws.auth).expect(200);

    const started = await ingested(ws.auth, await track(ws.auth, 'shopper', 'Checkout Started', { cart: 42 }));
    expect(started.status).toBe('processed');
    const [reminderId] = started.run_ids;
    const reminder = await runReaches(herald, ws.auth, reminderId, ['WAITING']);
    expect(reminder).toMatchObject({ cancelation_token: 'shopper-checkout', source: 'rudderstack/track/Checkout Started', recipient: 'shopper', template_name: 'Checkout reminder' });
    expect(reminder.context.data).toMatchObject({ event: 'Checkout Started', properties: { cart: 42 }, userId: 'shopper' });

    const completed = await ingested(ws.auth, await track(ws.auth, 'shopper', 'Checkout Completed'));
    const canceller = await runReaches(herald, ws.auth, completed.run_ids[0], ['PROCESSED']);
    expect(canceller.source).toBe('rudderstack/track/Checkout Completed');
    await runReaches(herald, ws.auth, reminderId, ['CANCELED']);
    const steps = await runSteps(herald, ws.auth, reminderId);
    expect(steps.map((s) => `${s.action}:${s.status}`)).toEqual(['delay:CANCELED', 'send:NOT PROCESSED']);
    expect(steps.some((s) => s.message_id)).toBe(false);
  });

  it('links show in the catalog; unlinking stops later events from running it; create-from-event makes a linked draft', async () => {
    const ws = await herald.newWorkspace();
    const id = await publishedTemplate(herald, ws.auth, { name: 'Hello', steps: [{ action: 'send', template: 'hello' }] });
    await herald.http.put(`/inbound/events/${enc('track/Signed Up')}/automations/${id}`).set(ws.auth).expect(200);
    await herald.http.put(`/inbound/events/${enc('track/Signed Up')}/automations/welcome`).set(ws.auth).expect(200);
    await herald.http.put(`/inbound/events/${enc('track/Signed Up')}/automations/nope`).set(ws.auth).expect(404);
    const linked = await herald.http.get(`/inbound/events/${enc('track/Signed Up')}/automations`).set(ws.auth);
    expect(linked.body.items).toEqual([
      { target: id, type: 'template', name: 'Hello' },
      { target: 'sequence:welcome', type: 'sequence', name: 'welcome' },
    ]);

    const first = await ingested(ws.auth, await track(ws.auth, 'new-user', 'Signed Up', { wait: '1 second' }));
    expect(first.run_ids).toHaveLength(2);
    const catalog = (await herald.http.get('/inbound/events').set(ws.auth)).body.items;
    expect(catalog.find((c: any) => c.event_id === 'track/Signed Up').automations).toHaveLength(2);

    await herald.http.delete(`/inbound/events/${enc('track/Signed Up')}/automations/sequence:welcome`).set(ws.auth).expect(204);
    await herald.http.delete(`/inbound/events/${enc('track/Signed Up')}/automations/sequence:welcome`).set(ws.auth).expect(404);
    const second = await ingested(ws.auth, await track(ws.auth, 'other-user', 'Signed Up'));
    expect(second.run_ids).toHaveLength(1);
    expect((await herald.http.get(`/automations/runs/${second.run_ids[0]}`).set(ws.auth)).body.template_id).toBe(id);

    const unmapped = await ingested(ws.auth, await track(ws.auth, 'x', 'Nobody Listens'));
    expect(unmapped).toMatchObject({ status: 'unmapped', run_ids: [] });

    const created = await herald.http.post(`/inbound/events/${enc('track/Trial Ended')}/automations`).set(ws.auth).send({ name: 'Trial ended' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Trial ended', trigger_event_id: 'track/Trial Ended', recipient: 'refs.data.userId', steps: [], published_version: null });
    const links = await herald.http.get(`/inbound/events/${enc('track/Trial Ended')}/automations`).set(ws.auth);
    expect(links.body.items).toEqual([{ target: created.body.id, type: 'template', name: 'Trial ended' }]);
    // A linked draft that was never published cannot run: the event says why.
    const trial = await ingested(ws.auth, await track(ws.auth, 't', 'Trial Ended'));
    expect(trial.status).toBe('failed');
    expect(trial.error).toMatch(/no published version/);
  });

  it('an identify can trigger automations too', async () => {
    const ws = await herald.newWorkspace();
    const id = await publishedTemplate(herald, ws.auth, { name: 'On identify', steps: [{ action: 'send', template: 'hi-${profile.name}' }] });
    await herald.http.put(`/inbound/events/identify/automations/${id}`).set(ws.auth).expect(200);
    const messageId = randomUUID();
    await herald.http.post('/inbound/rudderstack').set(ws.auth).send({ type: 'identify', userId: 'idf', messageId, traits: { name: 'Ida' } }).expect(202);
    const entry = await ingested(ws.auth, messageId);
    const run = await runReaches(herald, ws.auth, entry.run_ids[0], ['PROCESSED']);
    // The profile was merged before the automation started, so the run sees it.
    expect(run.context.profile).toEqual({ name: 'Ida' });
    expect(run.source).toBe('rudderstack/identify');
  });
});

describe('inline properties.courier.automation', () => {
  it('runs inline steps ad hoc, with data merged over the event and other keys overriding the context', async () => {
    const ws = await herald.newWorkspace();
    const messageId = randomUUID();
    await herald.http.post('/inbound/rudderstack').set(ws.auth).send({
      type: 'track', userId: 'my-user', event: 'user-checkout', messageId,
      properties: { courier: { automation: { steps: [{ action: 'send', template: 'order-${data.order}' }], data: { order: 7 }, recipient: 'someone-else', cancelation_token: 'inline-tok' } } },
    }).expect(202);
    const entry = await ingested(ws.auth, messageId);
    const run = await runReaches(herald, ws.auth, entry.run_ids[0], ['PROCESSED']);
    expect(run).toMatchObject({ recipient: 'someone-else', cancelation_token: 'inline-tok', kind: 'steps', template_id: null });
    expect(run.context.data).toMatchObject({ order: 7, event: 'user-checkout', userId: 'my-user' });
  });

  it('invokes an inline template; the seed fixture (data only) feeds the mapped automation', async () => {
    const ws = await herald.newWorkspace();
    const id = await publishedTemplate(herald, ws.auth, { name: 'Mapped', alias: 'mapped', steps: [{ action: 'send', template: 'for-${data.userId}' }] });
    const inlineId = randomUUID();
    await herald.http.post('/inbound/rudderstack').set(ws.auth).send({
      type: 'track', userId: 'u', event: 'Anything', messageId: inlineId, properties: { courier: { automation: { template: 'mapped', data: { x: 1 } } } },
    }).expect(202);
    const inline = await ingested(ws.auth, inlineId);
    expect((await runReaches(herald, ws.auth, inline.run_ids[0], ['PROCESSED'])).template_id).toBe(id);

    await herald.http.put(`/inbound/events/${enc('track/user-checkout')}/automations/mapped`).set(ws.auth).expect(200);
    const seedId = randomUUID();
    await herald.http.post('/inbound/rudderstack').set(ws.auth).send({
      event: 'user-checkout', type: 'track', userId: 'my-user', messageId: seedId, properties: { courier: { automation: { data: { userId: 'my-user' } } } },
    }).expect(202);
    const seed = await ingested(ws.auth, seedId);
    const run = await runReaches(herald, ws.auth, seed.run_ids[0], ['PROCESSED']);
    expect(run.context.data.userId).toBe('my-user');
  });

  it('a bad inline step is accepted (RudderStack drops a 4xx for good) and logged failed, naming the step', async () => {
    const ws = await herald.newWorkspace();
    const messageId = randomUUID();
    const res = await herald.http.post('/inbound/rudderstack').set(ws.auth).send({
      type: 'track', userId: 'u', event: 'E', messageId, properties: { courier: { automation: { steps: [{ action: 'delay', duration: 'whenever' }] } } },
    });
    expect(res.status).toBe(202);
    const entry = await ingested(ws.auth, messageId);
    expect(entry).toMatchObject({ status: 'failed', run_ids: [] });
    expect(entry.error).toContain('properties.courier.automation.steps[0].duration');
    expect((await herald.http.get('/automations/runs').set(ws.auth)).body.items).toEqual([]);
  });
});

describe('replay', () => {
  it("runs a logged event again through today's mappings; the original stays", async () => {
    const ws = await herald.newWorkspace();
    const messageId = await track(ws.auth, 'r1', 'Replayed');
    const original = await ingested(ws.auth, messageId);
    expect(original.status).toBe('unmapped');
    const id = await publishedTemplate(herald, ws.auth, { name: 'Later', steps: [{ action: 'send', template: 'later' }] });
    await herald.http.put(`/inbound/events/${enc('track/Replayed')}/automations/${id}`).set(ws.auth).expect(200);

    const replay = await herald.http.post(`/inbound/events/log/${original.id}/replay`).set(ws.auth);
    expect(replay.status).toBe(202);
    expect(replay.body.run_ids).toHaveLength(1);
    const run = await runReaches(herald, ws.auth, replay.body.run_ids[0], ['PROCESSED']);
    expect(run).toMatchObject({ source: 'replay/track/Replayed', event_log_id: original.id, recipient: 'r1' });
    const again = await herald.http.post(`/inbound/events/log/${original.id}/replay`).set(ws.auth);
    expect(again.body.run_ids[0]).not.toBe(replay.body.run_ids[0]);
    const after = (await herald.http.get(`/inbound/events/log/${original.id}`).set(ws.auth)).body;
    expect(after).toMatchObject({ status: 'unmapped', run_ids: [] });
    await herald.http.post('/inbound/events/log/999999999/replay').set(ws.auth).expect(404);
    const other = await herald.newWorkspace();
    await herald.http.post(`/inbound/events/log/${original.id}/replay`).set(other.auth).expect(404);
  });
});

describe('built-in sequences', () => {
  it('lists the sequences read-only', async () => {
    const ws = await herald.newWorkspace();
    const res = await herald.http.get('/automations/sequences').set(ws.auth);
    expect(res.body.items.map((s: any) => s.name).sort()).toEqual(['upgrade-nudge', 'welcome']);
    expect(res.body.items.find((s: any) => s.name === 'upgrade-nudge').singleton).toBe(true);
  });

  it('welcome sends welcome, then getting-started when the activation event does not come', async () => {
    const ws = await herald.newWorkspace();
    await herald.http.put(`/inbound/events/${enc('track/Signed Up')}/automations/welcome`).set(ws.auth).expect(200);
    const entry = await ingested(ws.auth, await track(ws.auth, 'w1', 'Signed Up', { courier: { automation: { data: { wait: '1 second' } } } }));
    const run = await runReaches(herald, ws.auth, entry.run_ids[0], ['PROCESSED']);
    expect(run).toMatchObject({ kind: 'sequence', sequence: 'welcome', workflow_id: `run:${ws.id}:${entry.run_ids[0]}` });
    const steps = await runSteps(herald, ws.auth, run.run_id);
    expect(steps.map((s) => `${s.action}:${s.status}`)).toEqual(['send:PROCESSED', 'wait-for:PROCESSED', 'send:PROCESSED']);
    expect(steps[1].result).toEqual({ matched: false, event: null });
    expect(steps[2].message_id).toBe(`${run.run_id}:seq.2`);
  });

  it('upgrade-nudge runs once per user at a time; a second trigger is recorded and ignored', async () => {
    const ws = await herald.newWorkspace();
    await herald.http.put(`/inbound/events/${enc('track/Hit Limit')}/automations/upgrade-nudge`).set(ws.auth).expect(200);
    const first = await ingested(ws.auth, await track(ws.auth, 'n1', 'Hit Limit'));
    await runReaches(herald, ws.auth, first.run_ids[0], ['WAITING']);
    const second = await ingested(ws.auth, await track(ws.auth, 'n1', 'Hit Limit'));
    expect(second).toMatchObject({ status: 'processed', run_ids: [] });
    const all = (await herald.http.get('/automations/runs').set(ws.auth).query({ template_id: 'sequence:upgrade-nudge' })).body.items;
    expect(all).toHaveLength(2);
    const ignored = all.find((r: any) => r.run_id !== first.run_ids[0]);
    expect(ignored.status).toBe('CANCELED');
    expect(ignored.error).toBe(`ignored: upgrade-nudge is already running for n1 (run ${first.run_ids[0]})`);
    // Another user gets their own run; Upgraded ends the first without a nudge.
    const other = await ingested(ws.auth, await track(ws.auth, 'n2', 'Hit Limit'));
    expect(other.run_ids).toHaveLength(1);
    await track(ws.auth, 'n1', 'Upgraded');
    await runReaches(herald, ws.auth, first.run_ids[0], ['PROCESSED']);
    const steps = await runSteps(herald, ws.auth, first.run_ids[0]);
    expect(steps.map((s) => `${s.action}:${s.status}`)).toEqual(['wait-for:PROCESSED']);
    expect(steps[0].result.matched).toBe(true);
    // Once it finished, the user can be nudged again.
    const third = await ingested(ws.auth, await track(ws.auth, 'n1', 'Hit Limit'));
    expect(third.run_ids).toHaveLength(1);
  });
});
