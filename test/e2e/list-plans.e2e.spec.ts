import type { BeforeQueryEvent, EntitySubscriberInterface } from 'typeorm';
import { startTestHerald, TestHerald } from '../support/test-herald';

/**
 * The list endpoints read through indexes, never by scanning a workspace (issue 11, item 12).
 *
 * About 100,000 rows per table are loaded over ten workspaces (the caller's and nine others),
 * with skewed statuses, recipients, templates and event types so each filter is selective.
 * Each list is then called over HTTP, first page and the page after its cursor (the keyset
 * WHERE); the SELECTs it ran are taken as Herald sent them, with their parameters (a TypeORM
 * query subscriber that only records), and explained with those same parameters. A plan must
 * not Seq Scan a loaded table, must use the index meant for the filter, and must read about
 * as many rows as it returns; the page must be the one an independent OFFSET query gives.
 */

const ROWS = 100_000;
const WORKSPACES = 10;
const LIMIT = 25;
const USERS = 100;

/** Tables bulk-loaded here: none of them may be read by a Seq Scan. */
const LOADED = ['inbound_events', 'automation_runs', 'automation_run_steps', 'messages', 'message_events', 'inbox_messages', 'automation_templates', 'notification_templates'];

interface Ctx {
  ws: string;
  templateId: string;
  runId: string;
  messageRunId: string;
  messageId: string;
}

interface Case {
  name: string;
  path: (c: Ctx) => string;
  /** For each loaded table the endpoint reads: the index its plan must use, or one of several (null: no table read at all). */
  expect: Record<string, string | string[] | null>;
  /** The page as an independent query gives it: `SELECT <key> AS k ... ORDER BY ...` (LIMIT/OFFSET appended). */
  expected?: (c: Ctx) => { sql: string; params: unknown[] };
  key?: (item: any) => string;
  check?: (item: any, c: Ctx) => void;
  /** Rows a plan may read beyond the page (a sort over a few matching rows). */
  maxRowsRead?: number;
  /** Whether the answer is paged (items + cursor). */
  paged?: boolean;
  /** The filter matches nothing (a value that cannot be an id). */
  empty?: boolean;
}

const logCase = (name: string, query: string, index: string | string[], cond: string, check?: Case['check'], maxRowsRead?: number): Case => ({
  name: `GET /inbound/events/log${query}`,
  path: () => `/inbound/events/log${query}`,
  expect: { inbound_events: index },
  expected: (c) => ({ sql: `SELECT id::text AS k FROM inbound_events WHERE workspace_id = $1 AND ${cond} ORDER BY id DESC`, params: [c.ws] }),
  key: (i) => i.id,
  check: (i, c) => {
    expect(i.message_id.startsWith('w0-')).toBe(true);
    check?.(i, c);
  },
  maxRowsRead,
});

const runsCase = (query: (c: Ctx) => string, label: string, index: string | null, cond: (c: Ctx) => [string, unknown[]], check?: Case['check'], empty = false): Case => ({
  name: `GET /automations/runs${label}`,
  path: (c) => `/automations/runs${query(c)}`,
  expect: { automation_runs: index },
  expected: (c) => {
    const [where, params] = cond(c);
    return { sql: `SELECT id::text AS k FROM automation_runs WHERE workspace_id = $1 AND ${where} ORDER BY created_at DESC, id DESC`, params: [c.ws, ...params] };
  },
  key: (i) => i.run_id,
  check: (i, c) => {
    expect(i.workflow_id.startsWith('w0-')).toBe(true);
    check?.(i, c);
  },
  empty,
});

const messagesCase = (query: (c: Ctx) => string, label: string, index: string | null, cond: (c: Ctx) => [string, unknown[]], check?: Case['check'], opts: Partial<Case> = {}): Case => ({
  name: `GET /messages${label}`,
  path: (c) => `/messages${query(c)}`,
  expect: { messages: index },
  expected: (c) => {
    const [where, params] = cond(c);
    return { sql: `SELECT id AS k FROM messages WHERE workspace_id = $1 AND ${where} ORDER BY enqueued_at DESC, id DESC`, params: [c.ws, ...params] };
  },
  key: (i) => i.id,
  check: (i, c) => {
    expect(i.id.startsWith('w0-')).toBe(true);
    check?.(i, c);
  },
  ...opts,
});

const CASES: Case[] = [
  logCase('all', '', 'IDX_inbound_events_workspace', 'true'),
  logCase('pending', '?status=pending', 'IDX_inbound_outcome', 'outcome IS NULL', (i) => expect(i.status).toBe('pending')),
  logCase('processed', '?status=processed', 'IDX_inbound_outcome', "outcome = 'processed'", (i) => expect(i.status).toBe('processed')),
  logCase('unmapped', '?status=unmapped', 'IDX_inbound_outcome', "outcome = 'unmapped'", (i) => expect(i.status).toBe('unmapped')),
  logCase('failed', '?status=failed', 'IDX_inbound_outcome', "outcome = 'failed'", (i) => expect(i.status).toBe('failed')),
  logCase('duplicate', '?status=duplicate', 'IDX_inbound_duplicates', 'duplicate_count > 0', (i) => expect(i.duplicate_count).toBeGreaterThan(0)),
  logCase('event id', `?event=${encodeURIComponent('track/Signed Up')}`, 'IDX_inbound_events_event', "event_id = 'track/Signed Up'", (i) => expect(i.event_id).toBe('track/Signed Up')),
  // A bare name is track/, page/ or screen/<name>: three ranges of the event index merged by a top-N sort,
  // or (when the name is common) the workspace's rows in order, filtered; either reads a bounded number of rows.
  logCase('event name', `?event=${encodeURIComponent('Signed Up')}`, ['IDX_inbound_events_event', 'IDX_inbound_events_workspace'], "event_id IN ('track/Signed Up', 'page/Signed Up', 'screen/Signed Up')",
    (i) => expect(i.event_id).toBe('track/Signed Up'), 1_500),
  logCase('type', '?type=group', 'IDX_inbound_type', "type = 'group'", (i) => expect(i.type).toBe('group')),

  runsCase(() => '', '', 'IDX_runs_created', () => ['true', []]),
  runsCase(() => '?status=ERROR', '?status=ERROR', 'IDX_runs_status', () => ["status = 'ERROR'", []], (i) => expect(i.status).toBe('ERROR')),
  runsCase(() => '?status=WAITING', '?status=WAITING', 'IDX_runs_status', () => ["status = 'WAITING'", []], (i) => expect(i.status).toBe('WAITING')),
  runsCase(() => '?recipient=user-7', '?recipient=user-7', 'IDX_runs_recipient', () => ["recipient = 'user-7'", []], (i) => expect(i.recipient).toBe('user-7')),
  runsCase((c) => `?template_id=${c.templateId}`, '?template_id=<uuid>', 'IDX_runs_template', (c) => ['template_id = $2', [c.templateId]], (i, c) => expect(i.template_id).toBe(c.templateId)),
  runsCase(() => '?template_id=sequence:seq-2', '?template_id=sequence:seq-2', 'IDX_runs_sequence', () => ["sequence = 'seq-2'", []], (i) => expect(i.sequence).toBe('seq-2')),
  runsCase(() => '?status=PROCESSED&recipient=user-7', '?status=PROCESSED&recipient=user-7', 'IDX_runs_recipient', () => ["status = 'PROCESSED' AND recipient = 'user-7'", []],
    (i) => expect([i.status, i.recipient]).toEqual(['PROCESSED', 'user-7'])),
  runsCase(() => '?template_id=not-a-uuid', '?template_id=not-a-uuid', null, () => ['false', []], undefined, true),

  messagesCase(() => '', '', 'IDX_messages_enqueued', () => ['true', []]),
  messagesCase(() => '?status=UNDELIVERABLE', '?status=UNDELIVERABLE', 'IDX_messages_status', () => ["status = 'UNDELIVERABLE'", []], (i) => expect(i.status).toBe('UNDELIVERABLE')),
  messagesCase(() => '?status=DELIVERED', '?status=DELIVERED', 'IDX_messages_status', () => ["status = 'DELIVERED'", []], (i) => expect(i.status).toBe('DELIVERED')),
  messagesCase(() => '?recipient=user-7', '?recipient=user-7', 'IDX_messages_recipient', () => ["recipient = 'user-7'", []], (i) => expect(i.recipient).toBe('user-7')),
  messagesCase(() => '?status=DELIVERED&recipient=user-7', '?status=DELIVERED&recipient=user-7', 'IDX_messages_recipient', () => ["status = 'DELIVERED' AND recipient = 'user-7'", []],
    // The status is filtered within the recipient's range: a few rows beyond the page.
    (i) => expect([i.status, i.recipient]).toEqual(['DELIVERED', 'user-7']), { maxRowsRead: 120 }),
  messagesCase((c) => `?run_id=${c.messageRunId}`, '?run_id=<uuid>', 'IDX_messages_run', (c) => ['run_id = $2', [c.messageRunId]], (i, c) => expect(i.run_id).toBe(c.messageRunId),
    // IDX_messages_run holds the run's messages (30 here, a few in practice), sorted after the read.
    { maxRowsRead: 60 }),
  messagesCase(() => '?run_id=not-a-uuid', '?run_id=not-a-uuid', null, () => ['false', []], undefined, { empty: true }),

  {
    name: 'GET /inbox/{userId}/messages',
    path: () => '/inbox/user-7/messages',
    expect: { inbox_messages: 'IDX_inbox_user' },
    expected: (c) => ({ sql: "SELECT id AS k FROM inbox_messages WHERE workspace_id = $1 AND user_id = 'user-7' ORDER BY created_at DESC, id DESC", params: [c.ws] }),
    key: (i) => i.id,
    check: (i) => expect(i.id.startsWith('w0-')).toBe(true),
  },
  {
    name: 'GET /automations (templates)',
    path: () => '/automations',
    expect: { automation_templates: 'PK_automation_templates' },
    expected: (c) => ({ sql: 'SELECT id::text AS k FROM automation_templates WHERE workspace_id = $1 ORDER BY id', params: [c.ws] }),
    key: (i) => i.id,
    check: (i) => expect(i.name.startsWith('w0-')).toBe(true),
  },
  {
    name: 'GET /notifications',
    path: () => '/notifications',
    expect: { notification_templates: 'PK_notification_templates' },
    expected: (c) => ({ sql: 'SELECT id AS k FROM notification_templates WHERE workspace_id = $1 ORDER BY id', params: [c.ws] }),
    key: (i) => i.id,
    check: (i) => expect(i.id.startsWith('w0-')).toBe(true),
  },
  {
    name: 'GET /automations/runs/{id}/steps',
    path: (c) => `/automations/runs/${c.runId}/steps`,
    expect: { automation_runs: 'PK_automation_runs', automation_run_steps: 'PK_automation_run_steps' },
    paged: false,
    maxRowsRead: 10,
  },
  {
    name: 'GET /messages/{id}/history',
    path: (c) => `/messages/${c.messageId}/history`,
    expect: { messages: 'PK_messages', message_events: 'UQ_message_events_status' },
    paged: false,
    maxRowsRead: 10,
  },
];

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Startup Cost': number;
  'Total Cost': number;
  'Plan Rows': number;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

function nodesOf(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodesOf)];
}

/** The loaded table a SELECT reads (its first FROM), or undefined. */
function tableOf(sql: string): string | undefined {
  if (!/^\s*SELECT\b/i.test(sql)) return undefined;
  // The first FROM naming a table (not `extract(epoch from created_at)` in a select list).
  for (const from of sql.matchAll(/\bFROM\s+"?([a-z_]+)"?/gi)) if (LOADED.includes(from[1])) return from[1];
  return undefined;
}

const INDEX_TABLE: Record<string, string> = {};

describe('list endpoints read through indexes', () => {
  let herald: TestHerald;
  let auth: Record<string, string>;
  let ctx: Ctx;
  let workspaces: string[];
  const summary: string[] = [];
  const recorded: Array<{ sql: string; params: unknown[] }> = [];
  let recording = false;
  // Observes what Herald sends (TypeORM calls beforeQuery for every statement); changes nothing.
  const observer: EntitySubscriberInterface = {
    beforeQuery(event: BeforeQueryEvent<unknown>) {
      if (recording) recorded.push({ sql: event.query, params: [...(event.parameters ?? [])] });
    },
  };

  beforeAll(async () => {
    // No worker: nothing but the requests below touches these rows.
    herald = await startTestHerald({ worker: false });
    const ws = await herald.newWorkspace();
    auth = ws.auth;
    workspaces = [ws.id, ...Array.from({ length: WORKSPACES - 1 }, (_, i) => `${ws.id}-other-${i + 1}`)];
    const started = Date.now();
    await load(herald, workspaces);
    const loadedMs = Date.now() - started;
    const indexes = (await herald.db.query(`SELECT indexname, tablename FROM pg_indexes WHERE tablename = ANY($1)`, [LOADED])) as Array<{ indexname: string; tablename: string }>;
    for (const i of indexes) INDEX_TABLE[i.indexname] = i.tablename;

    const one = async (sql: string) => ((await herald.db.query(sql, [ws.id])) as Array<{ v: string }>)[0].v;
    ctx = {
      ws: ws.id,
      templateId: await one(`SELECT template_id::text AS v FROM automation_runs WHERE workspace_id = $1 AND template_id IS NOT NULL ORDER BY created_at DESC LIMIT 1`),
      runId: await one(`SELECT id::text AS v FROM automation_runs WHERE workspace_id = $1 ORDER BY created_at DESC LIMIT 1 OFFSET 500`),
      messageRunId: await one(`SELECT run_id::text AS v FROM messages WHERE workspace_id = $1 ORDER BY enqueued_at DESC LIMIT 1 OFFSET 300`),
      messageId: await one(`SELECT id AS v FROM messages WHERE workspace_id = $1 AND status = 'DELIVERED' ORDER BY enqueued_at DESC LIMIT 1`),
    };
    const sizes = (await herald.db.query(
      `SELECT c.relname, c.reltuples::bigint AS n FROM pg_class c WHERE c.relname = ANY($1) ORDER BY c.relname`, [LOADED],
    )) as Array<{ relname: string; n: string }>;
    summary.push(`loaded in ${loadedMs} ms: ${sizes.map((s) => `${s.relname}=${s.n}`).join(', ')}`);
    herald.db.subscribers.push(observer);
  }, 180_000);

  afterAll(async () => {
    if (summary.length) console.log(`list plans (EXPLAIN ANALYZE of the SQL each request ran):\n${summary.join('\n')}`);
    if (!herald) return;
    herald.db.subscribers.splice(herald.db.subscribers.indexOf(observer), 1);
    // The rows go: later test files in the run share this Postgres.
    for (const table of LOADED) await herald.db.query(`DELETE FROM ${table} WHERE workspace_id = ANY($1)`, [workspaces]);
    await herald.stop();
  }, 120_000);

  /** Calls the endpoint and returns its answer and the SELECTs on loaded tables it ran. */
  async function call(path: string): Promise<{ body: any; statements: Array<{ sql: string; params: unknown[]; table: string }> }> {
    recorded.length = 0;
    recording = true;
    let res;
    try {
      res = await herald.http.get(path).set(auth);
    } finally {
      recording = false;
    }
    expect({ path, status: res.status, body: res.status === 200 ? 'ok' : res.body }).toEqual({ path, status: 200, body: 'ok' });
    const statements = recorded.flatMap((r) => {
      const table = tableOf(r.sql);
      return table ? [{ ...r, table }] : [];
    });
    return { body: res.body, statements };
  }

  /** Explains each statement with its parameters; checks and records the plans. */
  async function checkPlans(c: Case, label: string, statements: Array<{ sql: string; params: unknown[]; table: string }>, pageRows: number) {
    const seen = new Set(statements.map((s) => s.table));
    for (const [table, index] of Object.entries(c.expect)) {
      // An id that cannot match answers without reading the table, or reads nothing from it.
      if (index !== null) expect({ label, table, ran: seen.has(table) }).toEqual({ label, table, ran: true });
    }
    for (const s of statements) {
      const [{ 'QUERY PLAN': [explained] }] = (await herald.db.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${s.sql}`, s.params)) as Array<{
        'QUERY PLAN': Array<{ Plan: PlanNode; 'Execution Time': number }>;
      }>;
      const nodes = nodesOf(explained.Plan);
      const scans = nodes.filter((n) => /Scan/.test(n['Node Type']) && (n['Relation Name'] ?? INDEX_TABLE[n['Index Name'] ?? '']) === s.table);
      const seqScans = nodes.filter((n) => n['Node Type'] === 'Seq Scan' && LOADED.includes(n['Relation Name'] ?? ''));
      expect({ label, sql: s.sql, seqScans: seqScans.map((n) => n['Relation Name']) }).toEqual({ label, sql: s.sql, seqScans: [] });
      const expected = c.expect[s.table];
      const used = scans.filter((n) => n['Index Name']).map((n) => `${n['Node Type']} ${n['Index Name']}`);
      if (expected === null) {
        expect({ label, sql: s.sql, scans: used }).toEqual({ label, sql: s.sql, scans: [] });
      } else if (expected !== undefined) {
        const allowed = ([] as string[]).concat(expected);
        expect({ label, sql: s.sql, index: scans.some((n) => allowed.includes(n['Index Name'] ?? '')) ? expected : used }).toEqual({ label, sql: s.sql, index: expected });
      }
      // Rows the scans touched (returned or filtered out): about one page, not the workspace.
      const rowsRead = scans
        .filter((n) => n['Node Type'] !== 'Bitmap Index Scan')
        .reduce((sum, n) => sum + ((n['Actual Rows'] ?? 0) + (n['Rows Removed by Filter'] ?? 0) + (n['Rows Removed by Index Recheck'] ?? 0)) * (n['Actual Loops'] ?? 1), 0);
      const bound = Math.max(2 * (pageRows + 1), c.maxRowsRead ?? 0);
      expect({ label, sql: s.sql, rowsRead: rowsRead <= bound ? `<= ${bound}` : rowsRead }).toEqual({ label, sql: s.sql, rowsRead: `<= ${bound}` });
      const top = explained.Plan;
      const how = scans.length ? scans.map((n) => `${n['Node Type']}${n['Index Name'] ? ` ${n['Index Name']}` : ''}`).join(' + ') : 'no scan';
      summary.push(
        `  ${label.padEnd(62)} ${s.table.padEnd(22)} ${how.padEnd(48)} cost=${top['Startup Cost']}..${top['Total Cost']} rows≈${top['Plan Rows']} read=${rowsRead} ${explained['Execution Time'].toFixed(2)} ms`,
      );
    }
  }

  async function expectedKeys(c: Case, offset: number): Promise<string[]> {
    const { sql, params } = c.expected!(ctx);
    const rows = (await herald.db.query(`${sql} LIMIT ${LIMIT} OFFSET ${offset}`, params)) as Array<{ k: string }>;
    return rows.map((r) => r.k);
  }

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    if (c.paged === false) {
      const { body, statements } = await call(c.path(ctx));
      expect(body.items.length).toBeGreaterThan(0);
      await checkPlans(c, c.name, statements, body.items.length);
      return;
    }
    const path = c.path(ctx);
    const sep = path.includes('?') ? '&' : '?';
    const first = await call(`${path}${sep}limit=${LIMIT}`);
    const want1 = await expectedKeys(c, 0);
    expect(first.body.items.map(c.key!)).toEqual(want1);
    await checkPlans(c, `${c.name} p1`, first.statements, first.body.items.length);
    if (c.empty) {
      expect(first.body).toEqual({ items: [], has_more: false, cursor: null });
      return;
    }
    // Not vacuous: the filter matches more than a page here, and only what it names.
    expect(first.body.items).toHaveLength(LIMIT);
    expect(first.body.has_more).toBe(true);
    for (const item of first.body.items) c.check?.(item, ctx);

    const second = await call(`${path}${sep}limit=${LIMIT}&cursor=${encodeURIComponent(first.body.cursor)}`);
    const want2 = await expectedKeys(c, LIMIT);
    expect(want2.length).toBeGreaterThan(0);
    expect(second.body.items.map(c.key!)).toEqual(want2);
    for (const item of second.body.items) c.check?.(item, ctx);
    await checkPlans(c, `${c.name} p2`, second.statements, second.body.items.length);
  });
});

/**
 * About ROWS rows per table, the workspace under test (w0) one of WORKSPACES, rows interleaved
 * with the others'. Values are skewed so filters are selective; timestamps repeat in pairs so
 * keyset pages also break ties by id. Ids carry their workspace's mark (w0-...).
 */
async function load(herald: TestHerald, workspaces: string[]): Promise<void> {
  const q = (sql: string, params: unknown[] = []) => herald.db.query(sql, params);
  const ws = `($1::text[])[1 + g % ${WORKSPACES}]`;
  const mark = `'w' || (g % ${WORKSPACES})`;
  // Stable pseudo-random 0..99 per row and purpose, independent of the workspace.
  const pct = (salt: string) => `abs(hashtext('${salt}' || g)) % 100`;
  const base = `date_trunc('second', now())`;
  const user = `'user-' || ((g / ${WORKSPACES}) % ${USERS})`;
  const args = [workspaces, ROWS];

  await q(
    `INSERT INTO inbound_events (workspace_id, message_id, type, event_id, user_id, body, received_at, state, outcome, error, processed_at, duplicate_count)
     SELECT ${ws}, ${mark} || '-m' || g, t.type, t.event_id, ${user}, jsonb_build_object('n', g), ${base} - ($2 - g) * interval '1 second', 'accepted',
       o.outcome, CASE WHEN o.outcome = 'failed' THEN 'boom' END, CASE WHEN o.outcome IS NOT NULL THEN ${base} END,
       CASE WHEN ${pct('dup')} = 0 THEN 1 ELSE 0 END
     FROM generate_series(1, $2) g,
       LATERAL (SELECT CASE WHEN p < 70 THEN 'processed' WHEN p < 90 THEN 'unmapped' WHEN p < 95 THEN 'failed' END AS outcome FROM (SELECT ${pct('outcome')} AS p) x) o,
       LATERAL (SELECT CASE WHEN p < 45 THEN 'identify' WHEN p < 80 THEN 'track' WHEN p < 98 THEN 'page' ELSE 'group' END AS type,
                       CASE WHEN p < 45 THEN 'identify' WHEN p < 70 THEN 'track/Order Completed' WHEN p < 80 THEN 'track/Signed Up' WHEN p < 98 THEN 'page/Home' ELSE 'group' END AS event_id
                FROM (SELECT ${pct('type')} AS p) x) t`,
    args,
  );

  // Timestamps in pairs per workspace (20 consecutive rows share one over 10 workspaces).
  const created = `${base} - (($2 - g) / 20) * interval '1 second'`;
  await q(
    `INSERT INTO automation_runs (workspace_id, id, workflow_id, kind, template_id, template_version, template_name, sequence, source, recipient,
       status, context, created_at, updated_at, started_at, finished_at)
     SELECT ${ws}, md5('run-' || g)::uuid, ${mark} || '-run-' || g, CASE WHEN s.seq THEN 'sequence' ELSE 'steps' END,
       CASE WHEN NOT s.seq THEN md5('tpl-' || ${pct('tpl')} % 20)::uuid END, CASE WHEN NOT s.seq THEN 1 END, CASE WHEN NOT s.seq THEN 'Template' END,
       CASE WHEN s.seq THEN 'seq-' || ${pct('seqname')} % 5 END, 'api', ${user}, st.status, '{"data": {}, "profile": {}, "recipient": null, "brand": null, "template": null}'::jsonb, ${created}, ${created}, ${created},
       CASE WHEN st.status IN ('PROCESSED', 'CANCELED', 'ERROR') THEN ${created} END
     FROM generate_series(1, $2) g,
       LATERAL (SELECT ${pct('kind')} < 10 AS seq) s,
       LATERAL (SELECT CASE WHEN p < 70 THEN 'PROCESSED' WHEN p < 80 THEN 'CANCELED' WHEN p < 90 THEN 'WAITING' WHEN p < 96 THEN 'PROCESSING' ELSE 'ERROR' END AS status
                FROM (SELECT ${pct('status')} AS p) x) st`,
    args,
  );
  await q(
    `INSERT INTO automation_run_steps (workspace_id, run_id, path, seq, action, status, started_at, ended_at)
     SELECT workspace_id, id, '0', 0, 'send', 'PROCESSED', created_at, created_at FROM automation_runs WHERE workspace_id = ANY($1)`,
    [workspaces],
  );

  const enqueued = `${base} - (($2 - g) / 20) * interval '1 second'`;
  await q(
    `INSERT INTO messages (workspace_id, id, run_id, recipient, notification, status, enqueued_at, updated_at, sent_at, delivered_at)
     SELECT ${ws}, ${mark} || '-msg-' || g, md5(${mark} || '-run-' || (g / 300))::uuid, ${user}, 'n-' || ${pct('notification')} % 10, st.status,
       ${enqueued}, ${enqueued}, CASE WHEN st.status IN ('SENT', 'DELIVERED', 'OPENED', 'CLICKED') THEN ${enqueued} END,
       CASE WHEN st.status IN ('DELIVERED', 'OPENED', 'CLICKED') THEN ${enqueued} END
     FROM generate_series(1, $2) g,
       LATERAL (SELECT CASE WHEN p < 50 THEN 'DELIVERED' WHEN p < 70 THEN 'SENT' WHEN p < 80 THEN 'OPENED' WHEN p < 85 THEN 'CLICKED'
                            WHEN p < 93 THEN 'ENQUEUED' WHEN p < 97 THEN 'UNDELIVERABLE' WHEN p < 99 THEN 'UNROUTABLE' ELSE 'CANCELED' END AS status
                FROM (SELECT ${pct('status')} AS p) x) st`,
    args,
  );
  await q(
    `INSERT INTO message_events (workspace_id, message_id, status, at)
     SELECT workspace_id, id, s.status, enqueued_at FROM messages m,
       LATERAL (SELECT 'ENQUEUED' AS status UNION ALL SELECT m.status WHERE m.status <> 'ENQUEUED' AND m.workspace_id = $2) s
     WHERE workspace_id = ANY($1)`,
    [workspaces, workspaces[0]],
  );

  await q(
    `INSERT INTO inbox_messages (workspace_id, id, user_id, title, body, created_at)
     SELECT ${ws}, ${mark} || '-inbox-' || g, 'user-' || ((g / 20) % ${USERS}), 'Hello', 'Body ' || g, ${base} - (($2 - g) / 40) * interval '1 second'
     FROM generate_series(1, $2) g`,
    args,
  );
  await q(
    `INSERT INTO automation_templates (workspace_id, id, name, trigger_event_id, steps)
     SELECT ${ws}, md5(${mark} || '-tpl-' || g)::uuid, ${mark} || '-template-' || g, 'track/Signed Up', '[]'::jsonb FROM generate_series(1, $2) g`,
    args,
  );
  await q(
    `INSERT INTO notification_templates (workspace_id, id, name, channels)
     SELECT ${ws}, ${mark} || '-n-' || g, 'Notification ' || g, '{"inbox": {"title": "Hi", "body": "Hello"}}'::jsonb FROM generate_series(1, $2) g`,
    args,
  );
  for (const table of LOADED) await q(`ANALYZE ${table}`);
}
