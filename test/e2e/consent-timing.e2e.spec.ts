import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { messageDecided } from '../support/automations';
import { startDataPlaneSink } from '../support/data-plane-sink';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

/**
 * Issue 13, the parts that come from outside and from time: preferences carried by identify
 * traits, `Preference Updated` events, delivery windows on /send in the recipient's zone, and
 * workspace quiet hours (their release after the hold is in time-skipping.e2e.spec.ts).
 */
type Auth = Record<string, string>;
const validKeys = new Set<string>();
let sink: Awaited<ReturnType<typeof startDataPlaneSink>>;
let herald: TestHerald;

beforeAll(async () => {
  sink = await startDataPlaneSink(validKeys);
  herald = await startTestHerald({ env: { HERALD_ALLOW_PRIVATE_NETWORKS: '127.0.0.1/32' } });
});
afterAll(async () => {
  await herald?.stop();
  await sink?.close();
});

async function topics(a: Auth) {
  await herald.http.put('/preferences/topics/news').set(a).send({ name: 'News', default_status: 'OPTED_IN' }).expect(200);
  await herald.http.put('/preferences/topics/tips').set(a).send({ name: 'Tips', default_status: 'OPTED_IN' }).expect(200);
  await herald.http.put('/preferences/topics/security').set(a).send({ name: 'Security', default_status: 'REQUIRED' }).expect(200);
  await herald.http.put('/notifications/digest').set(a).send({ name: 'Digest', subscription_topic_id: 'news', channels: { inbox: { title: 'Digest', body: 'x' } } }).expect(200);
  await herald.http.put('/notifications/alert').set(a).send({ name: 'Alert', subscription_topic_id: 'security', channels: { inbox: { title: 'Alert', body: 'x' } } }).expect(200);
}

const processed = (a: Auth, messageId: string) =>
  waitUntil(async () => {
    const res = await herald.http.get('/inbound/events/log').query({ limit: 50 }).set(a);
    const entry = res.body.items?.find((e: any) => e.message_id === messageId);
    return entry && entry.status !== 'pending' ? entry : undefined;
  }, { what: `event ${messageId} processed` });

describe('preferences from RudderStack identify traits', () => {
  it('applies both Courier shapes with the profile merge, records source identify, and the next send is FILTERED', async () => {
    const ws = await herald.newWorkspace();
    const a = ws.auth;
    await topics(a);
    const first = randomUUID();
    const batch = [
      { type: 'identify', userId: 'ida', messageId: first, traits: { email: 'ida@example.com', courier: { preferences: { items: [{ topic_id: 'news', status: 'OPTED_OUT' }, { topic_id: 'nope', status: 'OPTED_OUT' }] } } } },
      { type: 'identify', userId: 'ola', messageId: randomUUID(), traits: { preferences: { notifications: { tips: { status: 'OPTED_IN', channel_preferences: [{ channel: 'inbox' }] } } } } },
      // Not Courier's shape: an ordinary trait that happens to be called preferences.
      { type: 'identify', userId: 'kai', messageId: randomUUID(), traits: { preferences: { theme: 'dark' } } },
    ];
    await herald.http.post('/inbound/rudderstack').set(a).send({ batch }).expect(202);
    const entry = await processed(a, first);
    expect(entry.status).toBe('processed');
    expect(entry.error).toMatch(/no subscription topic "nope"/);

    expect((await herald.http.get('/users/ida/preferences/news').set(a)).body.topic).toMatchObject({ status: 'OPTED_OUT', source: 'identify' });
    expect((await herald.http.get('/users/ola/preferences/tips').set(a)).body.topic).toMatchObject({ status: 'OPTED_IN', has_custom_routing: true, custom_routing: ['inbox'], source: 'identify' });
    // The preferences went to their tables, not into the profile; other traits merged as always.
    const ida = (await herald.http.get('/profiles/ida').set(a)).body.profile;
    expect(ida).toEqual({ email: 'ida@example.com', courier: {} });
    await waitUntil(async () => ((await herald.http.get('/profiles/kai').set(a)).body.profile?.preferences?.theme === 'dark' ? true : undefined), { what: 'kai merged' });
    expect((await herald.http.get('/users/kai/preference-changes').set(a)).body.items).toEqual([]);

    const history = (await herald.http.get('/users/ida/preference-changes').set(a)).body;
    expect(history.items).toEqual([expect.objectContaining({ topic_id: 'news', status: 'OPTED_OUT', previous_status: null, source: 'identify' })]);
    const sent = await herald.http.post('/send').set(a).send({ message: { to: { user_id: 'ida' }, template: 'digest' } }).expect(202);
    expect(await messageDecided(herald, a, sent.body.requestId)).toMatchObject({ status: 'FILTERED', reason: 'UNSUBSCRIBED' });

    // A later API change is recorded on top, newest first, with the status it replaced.
    await herald.http.put('/users/ida/preferences/news').set(a).send({ topic: { status: 'OPTED_IN' } }).expect(200);
    const again = (await herald.http.get('/users/ida/preference-changes').query({ limit: 1 }).set(a)).body;
    expect(again.items).toEqual([expect.objectContaining({ status: 'OPTED_IN', previous_status: 'OPTED_OUT', source: 'api' })]);
    expect(again.has_more).toBe(true);
    const older = (await herald.http.get('/users/ida/preference-changes').query({ limit: 1, cursor: again.cursor }).set(a)).body;
    expect(older.items[0].source).toBe('identify');
    expect((await herald.http.get('/users/ida/preference-changes').query({ cursor: 'Zm9yZ2Vk' }).set(a)).status).toBe(400);
  });

  it('sends Preference Updated to RudderStack when the integration opts in, and nothing when it does not', async () => {
    const on = await herald.newWorkspace();
    const off = await herald.newWorkspace();
    const keys = { on: `wk_${randomUUID()}`, off: `wk_${randomUUID()}` };
    validKeys.add(keys.on);
    validKeys.add(keys.off);
    for (const [ws, key, opt] of [[on, keys.on, true], [off, keys.off, false]] as const) {
      const put = await herald.http.put('/integrations/rudderstack').set(ws.auth).send({ write_key: key, data_plane_url: sink.url, preference_events: opt }).expect(200);
      expect(put.body.preference_events).toBe(opt);
      await topics(ws.auth);
      await herald.http.put('/users/uma/preferences/news').set(ws.auth).send({ topic: { status: 'OPTED_OUT' } }).expect(200);
      await herald.http.post('/inbound/rudderstack').set(ws.auth).send({ batch: [{ type: 'identify', userId: 'uma', messageId: randomUUID(), traits: { courier: { preferences: { items: [{ topic_id: 'tips', status: 'OPTED_OUT' }] } } } }] }).expect(202);
    }
    const events = await waitUntil(async () => {
      const got = sink.events.filter((e) => e.writeKey === keys.on && e.event === 'Preference Updated');
      return got.length >= 2 ? got : undefined;
    }, { what: 'two Preference Updated events' });
    expect(events.map((e) => [e.userId, e.properties.topic_id, e.properties.status, e.properties.source])).toEqual([
      ['uma', 'news', 'OPTED_OUT', 'api'],
      ['uma', 'tips', 'OPTED_OUT', 'identify'],
    ]);
    // The same workspace's message events still flow, and the other workspace sent no preference event.
    const filtered = await herald.http.post('/send').set(off.auth).send({ message: { to: { user_id: 'uma' }, template: 'digest' } }).expect(202);
    await messageDecided(herald, off.auth, filtered.body.requestId);
    await waitUntil(async () => (sink.events.some((e) => e.writeKey === keys.off && e.event === 'Message Filtered') ? true : undefined), { what: 'Message Filtered for off' });
    expect(sink.events.filter((e) => e.writeKey === keys.off && e.event === 'Preference Updated')).toEqual([]);
  });
});

/** The next time `hh:mm` comes round in `zone`, as an ISO instant. */
function nextWallTime(zone: string, hour: number, minute = 0): string {
  const now = DateTime.now().setZone(zone);
  let at = now.set({ hour, minute, second: 0, millisecond: 0 });
  if (at <= now) at = at.plus({ days: 1 });
  return at.toUTC().toISO()!;
}

describe('delivery windows on /send and quiet hours', () => {
  it('a window delay waits for the next opening in the recipient zone (to.zoneinfo > profile > workspace default > UTC)', async () => {
    const ws = await herald.newWorkspace();
    const a = ws.auth;
    await topics(a);
    await herald.http.put('/profiles/tokyo').set(a).send({ profile: { zoneinfo: 'Asia/Tokyo' } }).expect(200);
    await herald.http.put('/profiles/nowhere').set(a).send({ profile: { timezone: 'Not/AZone' } }).expect(200);
    // A one-hour window three hours from now in UTC terms, so it is closed now everywhere we look.
    const hour = (new Date().getUTCHours() + 3) % 24;
    const window = `Mo-Su ${String(hour).padStart(2, '0')}:00-${String((hour + 1) % 24).padStart(2, '0')}:00`;
    const send = async (to: Record<string, unknown>) => {
      const res = await herald.http.post('/send').set(a).send({ message: { to, template: 'digest', delay: { until: window } } });
      expect(res.status).toBe(202);
      return (await herald.http.get(`/messages/${res.body.requestId}`).set(a)).body;
    };
    expect((await send({ user_id: 'tokyo' })).scheduled_for).toBe(nextWallTime('Asia/Tokyo', hour));
    expect((await send({ user_id: 'tokyo', zoneinfo: 'America/New_York' })).scheduled_for).toBe(nextWallTime('America/New_York', hour));
    expect((await send({ user_id: 'tokyo', timezone: 'Europe/Oslo' })).scheduled_for).toBe(nextWallTime('Europe/Oslo', hour));
    // An invalid zone in the profile falls through to the workspace default, then UTC.
    expect((await send({ user_id: 'nowhere' })).scheduled_for).toBe(nextWallTime('UTC', hour));
    await herald.http.put('/settings/delivery').set(a).send({ default_timezone: 'Australia/Sydney' }).expect(200);
    await waitUntil(async () => ((await herald.http.get('/settings/delivery').set(a)).body.default_timezone === 'Australia/Sydney' ? true : undefined), { what: 'settings' });
    const held = await send({ user_id: 'nowhere' });
    expect(held.scheduled_for).toBe(nextWallTime('Australia/Sydney', hour));
    expect(held.status).toBe('ENQUEUED');
    // It can be canceled while it waits.
    expect((await herald.http.post(`/messages/${held.id}/cancel`).set(a)).status).toBe(201);
    expect((await messageDecided(herald, a, held.id)).status).toBe('CANCELED');

    // A window open now sends at once.
    const open = await herald.http.post('/send').set(a).send({ message: { to: { user_id: 'tokyo' }, template: 'digest', delay: { until: 'Mo-Su 00:00-24:00' } } }).expect(202);
    expect((await messageDecided(herald, a, open.body.requestId)).status).toBe('DELIVERED');
  });

  it('refuses bad windows, zones and settings with a 400 naming the problem', async () => {
    const ws = await herald.newWorkspace();
    const a = ws.auth;
    const bad = async (until: unknown) => (await herald.http.post('/send').set(a).send({ message: { to: { user_id: 'x' }, content: { title: 't', body: 'b' }, delay: { until } } })).body;
    expect((await bad('Mo-Fr 25:00-26:00')).message).toMatch(/^message\.delay: until must be an ISO-8601 date-time or an opening-hours window/);
    expect((await bad('sunrise-sunset')).message).toMatch(/need a location/);
    expect((await bad('2020 Jan 01 08:00-09:00')).message).toMatch(/does not open again/);
    expect((await bad('2030-02-30T00:00:00Z')).message).toMatch(/invalid timestamp/);
    for (const [body, pattern] of [
      [{ default_timezone: 'Mars/Olympus' }, /default_timezone must be an IANA time zone/],
      [{ quiet_hours: 'whenever' }, /^quiet_hours: invalid delivery window/],
      [{ quiet_hours: 'off' }, /^quiet_hours: the delivery window "off" does not open again/],
      [{ quiet_hours: 42 }, /^quiet_hours: a delivery window must be a non-empty/],
      [{ quiet: 'x' }, /unknown field "quiet"/],
    ] as const) {
      const res = await herald.http.put('/settings/delivery').set(a).send(body);
      expect({ status: res.status, message: res.body.message }).toEqual({ status: 400, message: expect.stringMatching(pattern) });
    }
    expect((await herald.http.get('/settings/delivery').set(a)).body).toEqual({ default_timezone: null, quiet_hours: null });
    // An automation step's window is checked when the template is saved.
    const saved = await herald.http.post('/automations').set(a).send({ name: 'w', steps: [{ action: 'delay', until: 'Mo-Fr 08:00-99:00' }] });
    expect(saved.status).toBe(400);
    expect(saved.body.message).toMatch(/^steps\[0\]\.until: until must be an ISO-8601 date or date-time .* or an opening-hours window/);
    expect((await herald.http.post('/automations').set(a).send({ name: 'ok', steps: [{ action: 'delay', until: 'Mo-Fr 08:00-16:30' }] })).status).toBe(201);
  });

  it('quiet hours hold non-REQUIRED messages (ENQUEUED, QUIET_HOURS, scheduled_for) and let REQUIRED ones through', async () => {
    const ws = await herald.newWorkspace();
    const a = ws.auth;
    await topics(a);
    const zone = 'Europe/Oslo';
    const opens = DateTime.now().setZone(zone).plus({ hours: 2 }).startOf('hour');
    const window = `Mo-Su ${opens.toFormat('HH:mm')}-${opens.plus({ hours: 1 }).toFormat('HH:mm')}`;
    expect((await herald.http.put('/settings/delivery').set(a).send({ default_timezone: zone, quiet_hours: window })).body).toEqual({ default_timezone: zone, quiet_hours: window });
    const digest = (await herald.http.post('/send').set(a).send({ message: { to: { user_id: 'pia' }, template: 'digest' } }).expect(202)).body.requestId;
    const alert = (await herald.http.post('/send').set(a).send({ message: { to: { user_id: 'pia' }, template: 'alert' } }).expect(202)).body.requestId;
    expect((await messageDecided(herald, a, alert)).status).toBe('DELIVERED');
    const held = await waitUntil(async () => {
      const m = (await herald.http.get(`/messages/${digest}`).set(a)).body;
      return m.reason?.startsWith('QUIET_HOURS') ? m : undefined;
    }, { what: 'digest held by quiet hours' });
    expect(held).toMatchObject({ status: 'ENQUEUED', scheduled_for: opens.toUTC().toISO() });
    // A recipient in another zone is held until the window opens in theirs.
    const tokyo = (await herald.http.post('/send').set(a).send({ message: { to: { user_id: 'pia', zoneinfo: 'Asia/Tokyo' }, template: 'digest' } }).expect(202)).body.requestId;
    const tokyoHeld = await waitUntil(async () => {
      const m = (await herald.http.get(`/messages/${tokyo}`).set(a)).body;
      return m.reason?.startsWith('QUIET_HOURS') || m.status !== 'ENQUEUED' ? m : undefined;
    }, { what: 'tokyo decided' });
    const tokyoOpens = DateTime.fromISO(tokyoHeld.scheduled_for ?? '', { zone: 'Asia/Tokyo' });
    if (tokyoHeld.status === 'ENQUEUED') expect(tokyoOpens.toFormat('HH:mm')).toBe(opens.toFormat('HH:mm'));
    else expect(tokyoHeld.status).toBe('DELIVERED'); // the window happened to be open in Tokyo now
  });
});
