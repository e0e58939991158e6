import express, { NextFunction, Request, RequestHandler, Response } from 'express';
import { dropProtoKeys } from '../json/json-merge';
import { extractKey, refusalMessage } from '../auth/api-key.guard';
import type { WorkspacesService } from '../../workspaces/workspaces.service';

/**
 * Routes without an API key (health, tracking, unsubscribe, preferences page, Studio, docs): none
 * of them reads a JSON body; only the preferences page's form is read (below).
 */
const PUBLIC_PREFIXES = ['/health', '/ready', '/t/', '/u/', '/p/', '/studio', '/docs', '/codec/', '/receipts/'];
/** Providers' delivery receipts: POST /receipts/…, read as text so the route can check its signature over the exact bytes. */
const RECEIPTS = /^\/receipts\//;
export const RECEIPT_MAX_BYTES = 64 * 1024;
/** The hosted preferences page's form: POST /p/<token>, application/x-www-form-urlencoded, small, read as text. */
const PREFERENCES_FORM = /^\/p\/[^/]+\/?$/;
/** A form of a few hundred topics fits; anything larger is refused (413) before the route runs. */
export const PREFERENCES_FORM_MAX_BYTES = 16 * 1024;
/** Temporal's remote codec endpoint: public, but only with its token. */
const CODEC_PATH = /^\/codec\/([^/]+)\/(?:decode|encode)$/;
/** Methods whose body Herald reads. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** A compressed body may inflate at most this many times its size (a JSON event compresses about 5–15×). */
const MAX_INFLATE_RATIO = 50;
/** …and never below this, so a small compressed body is not refused for a high ratio of tiny numbers. */
const MIN_INFLATED_LIMIT = 256 * 1024;
/** A compressed body of unknown length (chunked) is allowed to inflate to this much. */
const UNKNOWN_LENGTH_INFLATED_LIMIT = 1024 * 1024;

/**
 * What stands between a request and the JSON parser: a body is read only on a route that takes
 * one (never on public routes or GETs), only after its API key checked out (an unknown caller
 * cannot make Herald inflate and parse anything), and a compressed body only up to a bounded
 * size and ratio. Every body is JSON whatever its Content-Type claims; `__proto__` keys are
 * dropped while parsing. The one exception is the preferences page's form (public, small,
 * urlencoded text only).
 */
export function bodyGate(maxBodyBytes: number, workspaces: () => WorkspacesService, codecToken?: string): RequestHandler[] {
  const parsers = new Map<number, RequestHandler>();
  const parser = (limit: number) => {
    let p = parsers.get(limit);
    if (!p) {
      p = express.json({ limit, type: () => true, reviver: dropProtoKeys, strict: false });
      parsers.set(limit, p);
    }
    return p;
  };

  const authenticateFirst = (req: Request, res: Response, next: NextFunction) => {
    // The codec endpoint is authorized by the secret in its path (the Temporal UI sends no API key).
    const codec = CODEC_PATH.exec(req.path);
    if (codec && req.method === 'POST') {
      if (codecToken && codec[1] === codecToken) return next();
      return res.status(404).json({ message: 'not found', type: 'not_found_error' });
    }
    if (!takesBody(req)) return next();
    const key = extractKey(req.headers.authorization);
    const refuse = (message: string) => {
      res.setHeader('Connection', 'close');
      res.status(401).json({ message, type: 'authentication_error' });
    };
    if (!key) return refuse('missing API key: send Authorization: Bearer <key>');
    workspaces()
      .checkKey(key)
      .then((check) => ('refused' in check ? refuse(refusalMessage(check)) : next()))
      // Postgres unreachable: the route's guard answers 503 for it; the body stays bounded by the parser.
      .catch(() => next());
  };

  // Text, not qs: the controller parses it with URLSearchParams (no nesting, no prototype keys). Not inflated.
  const formReader = express.text({ type: 'application/x-www-form-urlencoded', limit: PREFERENCES_FORM_MAX_BYTES, inflate: false, defaultCharset: 'utf-8' });

  // Any content type (Twilio's form, a JSON receipt), as text; small; not inflated.
  const receiptReader = express.text({ type: () => true, limit: RECEIPT_MAX_BYTES, inflate: false, defaultCharset: 'utf-8' });

  const parse = (req: Request, res: Response, next: NextFunction) => {
    if (req.method === 'POST' && PREFERENCES_FORM.test(req.path)) return formReader(req, res, next);
    if (req.method === 'POST' && RECEIPTS.test(req.path)) return receiptReader(req, res, next);
    if (!takesBody(req) && !(req.method === 'POST' && CODEC_PATH.test(req.path))) return next();
    const encoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding === 'identity') return parser(maxBodyBytes)(req, res, next);
    const length = Number(req.headers['content-length']);
    const limit = Number.isFinite(length) && length > 0
      ? Math.min(maxBodyBytes, Math.max(MIN_INFLATED_LIMIT, length * MAX_INFLATE_RATIO))
      : Math.min(maxBodyBytes, UNKNOWN_LENGTH_INFLATED_LIMIT);
    return parser(limit)(req, res, next);
  };

  return [authenticateFirst, parse];
}

function takesBody(req: Request): boolean {
  return BODY_METHODS.has(req.method) && !PUBLIC_PREFIXES.some((p) => req.path === p || req.path.startsWith(p.endsWith('/') ? p : `${p}/`));
}
