import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

export interface SinkRequest {
  at: number;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The parsed body: the form fields (Twilio) or the JSON (generic). */
  body: Record<string, any>;
}

type Answer = { status: number; body: unknown; headers?: Record<string, string> };

/** What every provider sink can be told to do: fail the next requests, hold requests until released. */
function programmable() {
  const failures: Answer[] = [];
  let held: Array<() => void> | null = null;
  return {
    failures,
    /** The next `n` requests get this answer (after validation). */
    failNext(n: number, status: number, body: unknown = { message: `HTTP ${status}` }, headers?: Record<string, string>) {
      for (let i = 0; i < n; i++) failures.push({ status, body, headers });
    },
    /** Requests from now on are held unanswered until the returned function releases them. */
    hold(): () => void {
      held = [];
      return () => {
        const waiting = held ?? [];
        held = null;
        for (const go of waiting) go();
      };
    },
    gate(go: () => void) {
      if (held) held.push(go);
      else go();
    },
  };
}

async function listen(handler: http.RequestListener) {
  const server = http.createServer(handler);
  server.requestTimeout = 0;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => resolve(body));
  });
}

function send(res: http.ServerResponse, a: Answer) {
  if (res.destroyed) return;
  res.writeHead(a.status, { 'Content-Type': 'application/json', ...(a.headers ?? {}) }).end(JSON.stringify(a.body));
}

/**
 * Twilio's Messages API as documented: POST /2010-04-01/Accounts/{AccountSid}/Messages.json,
 * form-encoded, HTTP basic auth; 201 with the message resource (sid SM…, status queued); errors
 * as `{ code, message, more_info, status }` (20003 authenticate, 21604 To required, 21211 invalid
 * To, 20429 too many requests).
 */
export async function startTwilioSink(opts: { accountSid: string; authToken: string }) {
  const p = programmable();
  const requests: SinkRequest[] = [];
  const refused = new Set<string>();
  const sids: string[] = [];
  const hooks: { onAccept?: (form: Record<string, string>, sid: string) => void } = {};
  const error = (status: number, code: number, message: string): Answer => ({
    status,
    body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
  });
  const server = await listen(async (req, res) => {
    const text = await readBody(req);
    const at = Date.now();
    if (req.method !== 'POST' || req.url !== `/2010-04-01/Accounts/${opts.accountSid}/Messages.json`) return send(res, error(404, 20404, 'The requested resource was not found'));
    const expected = `Basic ${Buffer.from(`${opts.accountSid}:${opts.authToken}`).toString('base64')}`;
    if (req.headers.authorization !== expected) return send(res, error(401, 20003, 'Authenticate'));
    if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) return send(res, error(400, 20001, 'Expected form-encoded body'));
    const form = Object.fromEntries(new URLSearchParams(text));
    requests.push({ at, path: req.url, headers: req.headers, body: form });
    if (!form.To) return send(res, error(400, 21604, "A 'To' phone number is required."));
    if (!form.Body) return send(res, error(400, 21602, 'Message body is required.'));
    if (!form.From && !form.MessagingServiceSid) return send(res, error(400, 21603, "A 'From' phone number is required."));
    if (!/^\+[1-9]\d{6,14}$/.test(form.To) || refused.has(form.To)) return send(res, error(400, 21211, `The 'To' number ${form.To} is not a valid phone number.`));
    const failure = p.failures.shift();
    p.gate(() => {
      if (failure) return send(res, failure);
      const sid = sids.shift() ?? `SM${randomBytes(16).toString('hex')}`;
      // Twilio may post the status callback before its own answer reaches the sender.
      hooks.onAccept?.(form, sid);
      send(res, {
        status: 201,
        body: { sid, account_sid: opts.accountSid, to: form.To, from: form.From ?? null, body: form.Body, status: 'queued', num_segments: '1', error_code: null, error_message: null, api_version: '2010-04-01' },
      });
    });
  });
  return {
    ...server,
    requests,
    failNext: p.failNext,
    hold: p.hold,
    /** The sids the next accepted messages get (random ones after them). */
    nextSids: sids,
    /** Called for each accepted message right before the 201 is sent (a status callback can start here). */
    onAccept(hook: ((form: Record<string, string>, sid: string) => void) | undefined) {
      hooks.onAccept = hook;
    },
    /** Answer 400 (code 21211) for this number, as Twilio does for a number it cannot send to. */
    refuse: (number: string) => refused.add(number),
    tooManyRequests: (n: number) => p.failNext(n, 429, { code: 20429, message: 'Too Many Requests', status: 429 }, { 'Retry-After': '1' }),
  };
}
