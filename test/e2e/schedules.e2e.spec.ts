import { ScheduleNotFoundError } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { DateTime } from 'luxon';
import { ScheduleRunner } from '../../src/schedules/schedule-runner.service';
import { freePort as deadPort } from '../support/ports';
import { publishedTemplate, runReaches } from '../support/automations';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

/** Schedules against the real Temporal dev server: the Temporal Schedule, its spec, its firings. */
let herald: TestHerald;
beforeAll(async () => {
  herald = await startTestHerald();
});
afterAll(() => herald?.stop());

type Auth = Record<string, string>;
const scheduleHandle = (ws: string, id: string) => herald.temporal.client.schedule.getHandle(`herald-schedule:${ws}:${id}`);

async function inboxTemplate(auth: Auth, id: string) {
  await herald.http.put(`/notifications/${id}`).set(auth).send({ name: id, channels: { inbox: { title: id, body: 'At {{ data.schedule.local_time }}' } } }).expect(200);
}

async function messagesFor(auth: Auth, recipient: string): Promise<Array<Record<string, any>>> {
  const res = await herald.http.get(`/messages?recipient=${encodeURIComponent(recipient)}`).set(auth);
  expect(res.status).toBe(200);
  return res.body.items;
}

/** The next `count` local times `hour`:00 in `zone` after now (luxon, the time zone database), as ISO instants. */
function nextDailyAt(hour: number, zone: string, count: number): string[] {
  const now = DateTime.now().setZone(zone);
  let at = now.set({ hour, minute: 0, second: 0, millisecond: 0 });
  if (at <= now) at = at.plus({ days: 1 });
  return Array.from({ length: count }, (_, i) => at.plus({ days: i }).toUTC().toISO()!);
}

describe('schedules API', () => {
  it('PUT creates a Temporal Schedule with the cron as calendar specs in the timezone; GET shows its next runs; PUT updates and pauses; DELETE removes both', async () => {
    const ws = await herald.newWorkspace();
    const body = { cron: '0 9 * * *', timezone: 'Europe/Oslo', target: { template: 'digest', to: { user_id: 'u1' } }, data: { edition: 'daily' } };
    const created = await herald.http.put('/schedules/daily').set(ws.auth).send(body);
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      id: 'daily', cron: '0 9 * * *', timezone: 'Europe/Oslo', target: body.target, data: body.data, paused: false, last_run: null,
      next_runs_source: 'temporal',
      temporal: { schedule_id: `herald-schedule:${ws.id}:daily`, spec_mode: 'calendar', status: 'ok' },
    });
    // 09:00 in Oslo, daylight saving included, as Temporal computes it.
    expect(created.body.next_runs).toEqual(nextDailyAt(9, 'Europe/Oslo', 5));
    for (const run of created.body.next_runs) {
      const local = DateTime.fromISO(run, { zone: 'Europe/Oslo' });
      expect([local.hour, local.minute]).toEqual([9, 0]);
      expect(DateTime.fromISO(run, { zone: 'utc' }).hour).toBe(local.offset === 60 ? 8 : 7);
    }

    const description = await scheduleHandle(ws.id, 'daily').describe();
    expect(description.spec.timezone).toBe('Europe/Oslo');
    expect(description.spec.calendars).toHaveLength(1);
    expect(description.spec.calendars![0]).toMatchObject({
      second: [{ start: 0, end: 0, step: 1 }], minute: [{ start: 0, end: 0, step: 1 }], hour: [{ start: 9, end: 9, step: 1 }],
      dayOfMonth: [{ start: 1, end: 31, step: 1 }], dayOfWeek: [{ start: 'SUNDAY', end: 'SATURDAY', step: 1 }],
    });
    expect(description.action).toMatchObject({ type: 'startWorkflow', workflowType: 'scheduledTargetWorkflow', taskQueue: herald.config.temporal.taskQueue, args: [{ workspaceId: ws.id, scheduleId: 'daily' }] });
    expect(description.policies.overlap).toBe('SKIP');
    expect(description.state.paused).toBe(false);
    const read = await herald.http.get('/schedules/daily').set(ws.auth).expect(200);
    expect(read.body.next_runs).toEqual(description.info.nextActionTimes.slice(0, 5).map((d) => d.toISOString()));
    expect(read.body.created_at).toBe(created.body.created_at);

    // Update: a new cron, paused.
    const updated = await herald.http.put('/schedules/daily').set(ws.auth).send({ ...body, cron: '30 7 * * MON-FRI', paused: true }).expect(200);
    expect(updated.body).toMatchObject({ cron: '30 7 * * MON-FRI', paused: true, next_runs: [] });
    const paused = await scheduleHandle(ws.id, 'daily').describe();
    expect(paused.state.paused).toBe(true);
    expect(paused.spec.calendars![0]).toMatchObject({ minute: [{ start: 30, end: 30, step: 1 }], hour: [{ start: 7, end: 7, step: 1 }], dayOfWeek: [{ start: 'MONDAY', end: 'FRIDAY', step: 1 }] });
    expect((await herald.http.post('/schedules/daily/trigger').set(ws.auth)).status).toBe(409);
    // Unpaused: Temporal follows.
    const resumed = await herald.http.put('/schedules/daily').set(ws.auth).send({ ...body, cron: '30 7 * * MON-FRI' }).expect(200);
    expect(resumed.body.paused).toBe(false);
    expect(resumed.body.next_runs).toHaveLength(5);
    for (const run of resumed.body.next_runs) {
      const local = DateTime.fromISO(run, { zone: 'Europe/Oslo' });
      expect([local.weekday <= 5, local.hour, local.minute]).toEqual([true, 7, 30]);
    }
    expect((await scheduleHandle(ws.id, 'daily').describe()).state.paused).toBe(false);

    // Listing, paged by id.
    await herald.http.put('/schedules/another').set(ws.auth).send({ cron: '@daily', target: { automation: 'some-template', recipient: 'u1' } }).expect(200);
    const first = await herald.http.get('/schedules?limit=1').set(ws.auth).expect(200);
    expect(first.body.items.map((s: any) => s.id)).toEqual(['another']);
    expect(first.body.has_more).toBe(true);
    const second = await herald.http.get(`/schedules?limit=1&cursor=${first.body.cursor}`).set(ws.auth).expect(200);
    expect(second.body.items.map((s: any) => s.id)).toEqual(['daily']);
    expect(second.body.items[0].next_runs).toEqual(resumed.body.next_runs);
    expect(second.body.has_more).toBe(false);

    await herald.http.delete('/schedules/daily').set(ws.auth).expect(204);
    await herald.http.get('/schedules/daily').set(ws.auth).expect(404);
    await expect(scheduleHandle(ws.id, 'daily').describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    await herald.http.delete('/schedules/daily').set(ws.auth).expect(404);
    await herald.http.delete('/schedules/another').set(ws.auth).expect(204);
  });

  it('cron in local time across daylight saving: 09:00 Oslo is 08:00Z in winter and 07:00Z in summer; both day fields restricted match either (as cron does)', async () => {
    const ws = await herald.newWorkspace();
    const target = { template: 'digest', to: { user_id: 'u1' } };
    const winter = (await herald.http.put('/schedules/winter').set(ws.auth).send({ cron: '0 9 15 1 *', timezone: 'Europe/Oslo', target }).expect(200)).body;
    expect(winter.next_runs[0]).toMatch(/-01-15T08:00:00\.000Z$/);
    const summer = (await herald.http.put('/schedules/summer').set(ws.auth).send({ cron: '0 9 15 7 *', timezone: 'Europe/Oslo', target }).expect(200)).body;
    expect(summer.next_runs[0]).toMatch(/-07-15T07:00:00\.000Z$/);
    // "the 1st, and every Monday": Temporal ANDs its calendar fields, so Herald gives it two calendars.
    const either = (await herald.http.put('/schedules/either').set(ws.auth).send({ cron: '0 9 1 * MON', timezone: 'UTC', target }).expect(200)).body;
    expect((await scheduleHandle(ws.id, 'either').describe()).spec.calendars).toHaveLength(2);
    for (const run of either.next_runs) {
      const d = DateTime.fromISO(run, { zone: 'utc' });
      expect(d.day === 1 || d.weekday === 1).toBe(true);
    }
    expect(either.next_runs.some((r: string) => DateTime.fromISO(r, { zone: 'utc' }).day !== 1)).toBe(true);
    // Herald's own reading (the list) agrees with Temporal's.
    const listed = (await herald.http.get('/schedules').set(ws.auth).expect(200)).body.items;
    expect(Object.fromEntries(listed.map((s: any) => [s.id, s.next_runs]))).toEqual({ either: either.next_runs, summer: summer.next_runs, winter: winter.next_runs });
  });

  it('RRULE: one Temporal calendars express is translated; one they cannot (INTERVAL=2) is fed its next occurrences', async () => {
    const ws = await herald.newWorkspace();
    const target = { template: 'digest', to: { user_id: 'u1' } };
    const weekly = (await herald.http.put('/schedules/weekly').set(ws.auth).send({ rrule: 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0', timezone: 'Europe/Oslo', target }).expect(200)).body;
    expect(weekly).toMatchObject({ rrule: 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0', temporal: { spec_mode: 'calendar' }, next_runs_source: 'temporal' });
    const weeklySpec = (await scheduleHandle(ws.id, 'weekly').describe()).spec;
    expect(weeklySpec.timezone).toBe('Europe/Oslo');
    expect(weeklySpec.calendars![0]).toMatchObject({ hour: [{ start: 9, end: 9, step: 1 }], dayOfWeek: [{ start: 'MONDAY', end: 'MONDAY', step: 1 }] });
    expect(weekly.next_runs).toHaveLength(5);
    for (const run of weekly.next_runs) {
      const local = DateTime.fromISO(run, { zone: 'Europe/Oslo' });
      expect([local.weekday, local.hour, local.minute]).toEqual([1, 9, 0]);
    }

    const fortnightly = (await herald.http.put('/schedules/fortnightly').set(ws.auth)
      .send({ rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;BYHOUR=9;BYMINUTE=0', timezone: 'Europe/Oslo', target }).expect(200)).body;
    expect(fortnightly.temporal.spec_mode).toBe('occurrences');
    const fed = (await scheduleHandle(ws.id, 'fortnightly').describe()).spec;
    expect(fed.timezone).toBe('UTC');
    expect(fed.calendars).toHaveLength(10);
    expect(fed.calendars![0].year).toHaveLength(1);
    expect(fortnightly.next_runs).toHaveLength(5);
    const gaps = fortnightly.next_runs.slice(1).map((r: string, i: number) => DateTime.fromISO(r).diff(DateTime.fromISO(fortnightly.next_runs[i]), 'days').days);
    for (const gap of gaps) expect(Math.abs(gap - 14)).toBeLessThan(0.05); // 14 days (± an hour across a DST change)
    for (const run of fortnightly.next_runs) expect(DateTime.fromISO(run, { zone: 'Europe/Oslo' }).toFormat('ccc HH:mm')).toBe('Mon 09:00');
    const listed = (await herald.http.get('/schedules').set(ws.auth).expect(200)).body.items.find((s: any) => s.id === 'fortnightly');
    expect(listed.next_runs).toEqual(fortnightly.next_runs);

    // A DTSTART;TZID line gives the zone; COUNT makes it finite.
    const counted = (await herald.http.put('/schedules/counted').set(ws.auth)
      .send({ rrule: 'DTSTART;TZID=America/New_York:20300107T080000\nRRULE:FREQ=DAILY;COUNT=3', target }).expect(200)).body;
    expect(counted.timezone).toBe('America/New_York');
    expect(counted.next_runs).toEqual(['2030-01-07T13:00:00.000Z', '2030-01-08T13:00:00.000Z', '2030-01-09T13:00:00.000Z']);
  });

  it('timezone defaults to the workspace default_timezone, else UTC', async () => {
    const ws = await herald.newWorkspace();
    const target = { template: 'digest', to: { user_id: 'u1' } };
    expect((await herald.http.put('/schedules/utc').set(ws.auth).send({ cron: '0 9 * * *', target }).expect(200)).body.timezone).toBe('UTC');
    await herald.http.put('/settings/delivery').set(ws.auth).send({ default_timezone: 'Asia/Tokyo' }).expect(200);
    const tokyo = (await herald.http.put('/schedules/tokyo').set(ws.auth).send({ cron: '0 9 * * *', target }).expect(200)).body;
    expect(tokyo.timezone).toBe('Asia/Tokyo');
    expect(tokyo.next_runs[0]).toMatch(/T00:00:00\.000Z$/);
    expect((await scheduleHandle(ws.id, 'tokyo').describe()).spec.timezone).toBe('Asia/Tokyo');
  });

  it('bad input is a 400 naming the field, and nothing is stored', async () => {
    const ws = await herald.newWorkspace();
    const target = { template: 'digest', to: { user_id: 'u1' } };
    const cases: Array<[unknown, RegExp]> = [
      [{ cron: '61 * * * *', target }, /^cron minute field "61": 61 is out of range 0-59/],
      [{ cron: '0 9 * *', target }, /^cron must have 5 fields/],
      [{ cron: '0 9 * * FUNDAY', target }, /^cron day-of-week field/],
      [{ cron: '0 0 31 2 *', target }, /never matches/],
      [{ cron: 9, target }, /^cron must be a string/],
      [{ rrule: 'FREQ=SOMETIMES', target }, /^rrule FREQ must be one of/],
      [{ rrule: 'FREQ=DAILY;BYHOUR=25', target }, /^rrule BYHOUR value 25 is out of range/],
      [{ rrule: 'FREQ=DAILY;SOMETHING=1', target }, /^rrule part "SOMETHING" is not supported/],
      [{ rrule: 'BYHOUR=9', target }, /^rrule needs FREQ/],
      [{ rrule: 'FREQ=SECONDLY', target }, /^rrule FREQ=SECONDLY is not supported/],
      [{ rrule: 'FREQ=DAILY;COUNT=2;UNTIL=20300101T000000Z', target }, /COUNT or UNTIL, not both/],
      [{ rrule: 'FREQ=DAILY;UNTIL=20200101T000000Z', target }, /^rrule has no occurrences after now/],
      [{ cron: '0 9 * * *', at: '2030-01-01T00:00:00Z', target }, /^give exactly one of cron, rrule or at, not cron and at/],
      [{ cron: '0 9 * * *', rrule: 'FREQ=DAILY', target }, /not cron and rrule/],
      [{ target }, /^give one of cron/],
      [{ at: '2020-01-01T09:00:00Z', target }, /^at "2020-01-01T09:00:00Z" is in the past/],
      [{ at: 'next tuesday', target }, /^at must be an ISO 8601 date-time/],
      [{ at: '2030-02-30T09:00:00', target }, /^at .* is not a valid date-time/],
      [{ cron: '0 9 * * *', timezone: 'Mars/Olympus_Mons', target }, /^timezone "Mars\/Olympus_Mons" is not an IANA time zone/],
      [{ cron: '0 9 * * *' }, /^target is required/],
      [{ cron: '0 9 * * *', target: 'digest' }, /^target must be an object/],
      [{ cron: '0 9 * * *', target: { webhook: 'https://example.com' } }, /^target must name one of template, automation, sequence or broadcast \(unknown target kind "webhook"\)/],
      [{ cron: '0 9 * * *', target: { template: 'digest', automation: 'x', to: {} } }, /not template and automation/],
      [{ cron: '0 9 * * *', target: { template: 'digest' } }, /^target\.to must be an object/],
      [{ cron: '0 9 * * *', target: { template: 'digest', to: { phone: '1' } } }, /^target\.to needs one of user_id/],
      [{ cron: '0 9 * * *', target: { template: 'digest', to: { user_id: 'u1' }, extra: 1 } }, /^target: unknown field "extra"/],
      [{ cron: '0 9 * * *', target: { template: 7, to: { user_id: 'u1' } } }, /^target\.template must be a non-empty string/],
      [{ cron: '0 9 * * *', target: { sequence: 'no-such-sequence', recipient: 'u1' } }, /^target\.sequence: no sequence named "no-such-sequence"/],
      [{ cron: '0 9 * * *', target: { sequence: 'welcome' } }, /^target\.recipient is required/],
      [{ cron: '0 9 * * *', target: { broadcast: '' } }, /^target\.broadcast must be a non-empty string/],
      [{ cron: '0 9 * * *', target, data: [1] }, /^data must be a JSON object/],
      [{ cron: '0 9 * * *', target, paused: 'yes' }, /^paused must be true or false/],
      [{ cronn: '0 9 * * *', target }, /^unknown field "cronn"/],
      [[1, 2], /^body must be/],
    ];
    for (const [body, message] of cases) {
      const res = await herald.http.put('/schedules/bad').set(ws.auth).send(body as object);
      expect({ body, status: res.status, type: res.body.type }).toEqual({ body, status: 400, type: 'invalid_request_error' });
      expect({ body, message: res.body.message }).toEqual({ body, message: expect.stringMatching(message) });
    }
    expect((await herald.http.put('/schedules/has%20space').set(ws.auth).send({ cron: '0 9 * * *', target })).status).toBe(400);
    await herald.http.get('/schedules/bad').set(ws.auth).expect(404);
    expect((await herald.http.get('/schedules').set(ws.auth).expect(200)).body.items).toEqual([]);
    await expect(scheduleHandle(ws.id, 'bad').describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    expect((await herald.http.get('/schedules?cursor=nonsense').set(ws.auth)).status).toBe(400);
  });
});

describe('schedules firing', () => {
  it('POST /schedules/{id}/trigger fires it now: a /send to the target with the schedule data and local time; last_run shows it', async () => {
    const ws = await herald.newWorkspace();
    await inboxTemplate(ws.auth, 'ping');
    await herald.http.put('/schedules/yearly').set(ws.auth)
      .send({ cron: '0 9 1 1 *', timezone: 'Europe/Oslo', target: { template: 'ping', to: { user_id: 'trigger-user' } }, data: { edition: 'new year' } }).expect(200);
    const triggered = await herald.http.post('/schedules/yearly/trigger').set(ws.auth);
    expect(triggered.status).toBe(202);
    expect(triggered.body).toEqual({ triggered: true, schedule_id: `herald-schedule:${ws.id}:yearly` });
    const [message] = await waitUntil(async () => {
      const items = await messagesFor(ws.auth, 'trigger-user');
      return items.length && items[0].status === 'DELIVERED' ? items : undefined;
    }, { what: 'the triggered message', timeoutMs: 30_000 });
    expect(message.notification).toBe('ping');
    const schedule = await waitUntil(async () => {
      const res = await herald.http.get('/schedules/yearly').set(ws.auth);
      return res.body.last_run?.status === 'COMPLETED' ? res.body : undefined;
    }, { what: 'last_run COMPLETED' });
    expect(schedule.last_run).toMatchObject({ workflow_id: expect.stringMatching(new RegExp(`^schedule:${ws.id}:yearly-\\d{4}-\\d{2}-\\d{2}T`)), result: { request_id: message.request_id }, error: null });
    // The firing's time is the one Temporal stamped on the workflow it started.
    const started = await herald.temporal.client.workflow.getHandle(schedule.last_run.workflow_id).describe();
    expect(started.typedSearchAttributes.get(defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME))?.toISOString()).toBe(schedule.last_run.at);
    const [{ data }] = await herald.db.query(`SELECT request->'data' AS data FROM messages WHERE workspace_id = $1 AND id = $2`, [ws.id, message.id]);
    expect(data).toEqual({
      edition: 'new year',
      schedule: { id: 'yearly', scheduled_at: schedule.last_run.at, timezone: 'Europe/Oslo', local_time: DateTime.fromISO(schedule.last_run.at).setZone('Europe/Oslo').toISO({ suppressMilliseconds: true }) },
    });
  });

  it('an `at` a few seconds ahead fires once by itself, at that time', async () => {
    const ws = await herald.newWorkspace();
    await inboxTemplate(ws.auth, 'once');
    const at = new Date(Math.ceil((Date.now() + 4_000) / 1000) * 1000).toISOString();
    const created = (await herald.http.put('/schedules/once').set(ws.auth).send({ at, target: { template: 'once', to: { user_id: 'at-user' } } }).expect(200)).body;
    expect(created).toMatchObject({ at, next_runs: [at], next_runs_source: 'temporal' });
    const items = await waitUntil(async () => {
      const found = await messagesFor(ws.auth, 'at-user');
      return found.length ? found : undefined;
    }, { what: 'the one-off message', timeoutMs: 40_000 });
    expect(items).toHaveLength(1);
    expect(items[0].enqueued).toBeGreaterThanOrEqual(Date.parse(at));
    const after = await waitUntil(async () => {
      const res = await herald.http.get('/schedules/once').set(ws.auth);
      return res.body.last_run?.status === 'COMPLETED' ? res.body : undefined;
    }, { what: 'last_run of the one-off' });
    expect(after.last_run.at).toBe(at);
    expect(after.next_runs).toEqual([]);
  });

  it('a retried firing (same schedule, same scheduled time) sends once', async () => {
    const ws = await herald.newWorkspace();
    await inboxTemplate(ws.auth, 'twice');
    await herald.http.put('/schedules/retry').set(ws.auth).send({ cron: '0 9 1 1 *', target: { template: 'twice', to: { user_id: 'retry-user' } } }).expect(200);
    const runner = herald.app.get(ScheduleRunner);
    const firing = { workspaceId: ws.id, scheduleId: 'retry', scheduledAt: '2030-01-01T09:00:00.000Z', workflowId: `schedule:${ws.id}:retry-2030-01-01T09:00:00Z` };
    const a = await runner.fire(firing, { attempt: 1, lastAttempt: false });
    const b = await runner.fire(firing, { attempt: 2, lastAttempt: false });
    expect(a.status).toBe('COMPLETED');
    expect(b.result).toEqual(a.result);
    await waitUntil(async () => (await messagesFor(ws.auth, 'retry-user'))[0]?.status === 'DELIVERED', { what: 'delivered' });
    expect(await messagesFor(ws.auth, 'retry-user')).toHaveLength(1);
    // A different firing time is a different send.
    const c = await runner.fire({ ...firing, scheduledAt: '2031-01-01T09:00:00.000Z' }, { attempt: 1, lastAttempt: false });
    expect(c.result).not.toEqual(a.result);
  });

  it('automation and sequence targets start runs for the recipient', async () => {
    const ws = await herald.newWorkspace();
    await inboxTemplate(ws.auth, 'welcome');
    await inboxTemplate(ws.auth, 'from-automation');
    const automation = await publishedTemplate(herald, ws.auth, { name: 'Scheduled', steps: [{ action: 'send', template: 'from-automation' }] });
    await herald.http.put('/schedules/auto').set(ws.auth).send({ cron: '0 9 1 1 *', target: { automation, recipient: 'auto-user' }, data: { x: 1 } }).expect(200);
    await herald.http.post('/schedules/auto/trigger').set(ws.auth).expect(202);
    const auto = await waitUntil(async () => {
      const res = await herald.http.get('/schedules/auto').set(ws.auth);
      return res.body.last_run?.status === 'COMPLETED' ? res.body : undefined;
    }, { what: 'automation firing', timeoutMs: 30_000 });
    const run = await runReaches(herald, ws.auth, auto.last_run.result.run_id, ['PROCESSED']);
    expect(run).toMatchObject({ recipient: 'auto-user', source: 'schedule' });
    await waitUntil(async () => (await messagesFor(ws.auth, 'auto-user')).length === 1, { what: 'automation message' });

    await herald.http.put('/schedules/seq').set(ws.auth).send({ cron: '0 9 1 1 *', target: { sequence: 'welcome', recipient: 'seq-user' } }).expect(200);
    await herald.http.post('/schedules/seq/trigger').set(ws.auth).expect(202);
    const [welcome] = await waitUntil(async () => {
      const items = await messagesFor(ws.auth, 'seq-user');
      return items.length ? items : undefined;
    }, { what: 'the welcome sequence message', timeoutMs: 30_000 });
    expect(welcome.notification).toBe('welcome');
  });

  it('a target that cannot be performed (no such automation) is recorded as a FAILED last run, not retried forever', async () => {
    const ws = await herald.newWorkspace();
    await herald.http.put('/schedules/broken').set(ws.auth).send({ cron: '0 9 1 1 *', target: { automation: 'no-such-automation', recipient: 'u1' } }).expect(200);
    await herald.http.post('/schedules/broken/trigger').set(ws.auth).expect(202);
    const schedule = await waitUntil(async () => {
      const res = await herald.http.get('/schedules/broken').set(ws.auth);
      return res.body.last_run?.status === 'FAILED' ? res.body : undefined;
    }, { what: 'FAILED last run', timeoutMs: 30_000 });
    expect(schedule.last_run.error).toMatch(/no-such-automation/);
  });

  it('a broadcast target launches a copy of the broadcast at each firing', async () => {
    const ws = await herald.newWorkspace();
    await inboxTemplate(ws.auth, 'news');
    for (const user of ['b-1', 'b-2']) expect((await herald.http.put(`/lists/news.readers/subscriptions/${user}`).set(ws.auth)).status).toBe(204);
    const broadcast = await herald.http.post('/broadcasts').set(ws.auth).send({ name: 'News', list_id: 'news.readers', template: 'news' });
    expect(broadcast.status).toBeLessThan(300);
    await herald.http.put('/schedules/news').set(ws.auth).send({ cron: '0 9 * * MON', target: { broadcast: broadcast.body.id } }).expect(200);
    await herald.http.post('/schedules/news/trigger').set(ws.auth).expect(202);
    const schedule = await waitUntil(async () => {
      const res = await herald.http.get('/schedules/news').set(ws.auth);
      return res.body.last_run?.status === 'COMPLETED' ? res.body : undefined;
    }, { what: 'broadcast firing', timeoutMs: 30_000 });
    expect(schedule.last_run.result.broadcast_id).toContain(broadcast.body.id);
    for (const user of ['b-1', 'b-2']) await waitUntil(async () => (await messagesFor(ws.auth, user)).length === 1, { what: `broadcast message for ${user}`, timeoutMs: 30_000 });
  });

  it('a Temporal Schedule gone missing shows as such, and a trigger recreates it from the definition', async () => {
    const ws = await herald.newWorkspace();
    await inboxTemplate(ws.auth, 'again');
    await herald.http.put('/schedules/lost').set(ws.auth).send({ cron: '0 9 * * *', timezone: 'Europe/Oslo', target: { template: 'again', to: { user_id: 'lost-user' } } }).expect(200);
    await scheduleHandle(ws.id, 'lost').delete();
    const read = (await herald.http.get('/schedules/lost').set(ws.auth).expect(200)).body;
    expect(read).toMatchObject({ temporal: { status: 'missing' }, next_runs_source: 'herald', next_runs: nextDailyAt(9, 'Europe/Oslo', 5) });
    await herald.http.post('/schedules/lost/trigger').set(ws.auth).expect(202);
    expect((await scheduleHandle(ws.id, 'lost').describe()).spec.timezone).toBe('Europe/Oslo');
    await waitUntil(async () => (await messagesFor(ws.auth, 'lost-user')).length === 1, { what: 'the message of the recreated schedule', timeoutMs: 30_000 });
    expect((await herald.http.get('/schedules/lost').set(ws.auth).expect(200)).body.temporal.status).toBe('ok');
  });

  it('a firing of a schedule whose row is gone deletes its Temporal Schedule', async () => {
    const ws = await herald.newWorkspace();
    await herald.http.put('/schedules/orphan').set(ws.auth).send({ cron: '0 9 1 1 *', target: { template: 'x', to: { user_id: 'u1' } } }).expect(200);
    await herald.db.query(`DELETE FROM schedules WHERE workspace_id = $1 AND id = 'orphan'`, [ws.id]);
    await scheduleHandle(ws.id, 'orphan').trigger();
    await waitUntil(async () => {
      try {
        await scheduleHandle(ws.id, 'orphan').describe();
        return false;
      } catch (err) {
        return err instanceof ScheduleNotFoundError;
      }
    }, { what: 'the orphan Temporal Schedule deleted', timeoutMs: 30_000 });
  });
});

describe('schedules with Temporal down', () => {
  let down: TestHerald;
  beforeAll(async () => {
    down = await startTestHerald({ worker: false, temporalAddress: `127.0.0.1:${await deadPort()}` });
  });
  afterAll(() => down?.stop());

  it('PUT and DELETE answer 503 with Retry-After and store nothing; GET falls back to Herald\'s own next runs', async () => {
    const ws = await herald.newWorkspace();
    const body = { cron: '0 9 * * *', timezone: 'Europe/Oslo', target: { template: 'x', to: { user_id: 'u1' } } };
    const put = await down.http.put('/schedules/s').set(ws.auth).send(body);
    expect(put.status).toBe(503);
    expect(put.headers['retry-after']).toBe('3');
    await down.http.get('/schedules/s').set(ws.auth).expect(404);
    // Bad input is still a 400, Temporal or not.
    expect((await down.http.put('/schedules/s').set(ws.auth).send({ ...body, cron: 'nope' })).status).toBe(400);

    await herald.http.put('/schedules/s').set(ws.auth).send(body).expect(200);
    const del = await down.http.delete('/schedules/s').set(ws.auth);
    expect(del.status).toBe(503);
    expect(del.headers['retry-after']).toBe('3');
    const read = await down.http.get('/schedules/s').set(ws.auth).expect(200);
    expect(read.body).toMatchObject({ next_runs_source: 'herald', temporal: { status: 'unavailable' }, next_runs: nextDailyAt(9, 'Europe/Oslo', 5) });
    expect((await scheduleHandle(ws.id, 's').describe()).spec.timezone).toBe('Europe/Oslo');
    await herald.http.delete('/schedules/s').set(ws.auth).expect(204);
  });
});
