import * as dns from 'node:dns';
import * as net from 'node:net';
import type { Socket } from 'node:net';
import { Agent, buildConnector, request } from 'undici';
import type { Dispatcher } from 'undici';
import { Cidr, isAddressAllowed, parseCidrList } from './private-networks';

/**
 * HTTP client for URLs that users configure (fetch-data steps, webhook channels), safe
 * against SSRF (SPEC §6): loopback, private, link-local and other non-public destinations
 * are refused unless HERALD_ALLOW_PRIVATE_NETWORKS lists them.
 *
 * The check is made on the address actually connected to:
 *  - literal IP hosts are checked before anything is sent (they skip DNS);
 *  - names are resolved by the Agent's own `lookup` (all addresses); if any of them is not
 *    allowed the connection is refused, so DNS rebinding between a check and the connect
 *    cannot slip through;
 *  - as a last line, the connector verifies the socket's remote address before a request is
 *    written on it;
 *  - redirects are followed here, one hop at a time, each through the same checks.
 *
 * Nothing here logs: request headers may hold secrets, and no error message built here
 * contains a header value or the URL's path or query (only scheme, host and port).
 */

export interface SafeFetchOptions {
  /** Default GET. */
  method?: string;
  headers?: Record<string, string>;
  body?: string | undefined;
  /** Whole call, all redirect hops and the response body included. Default 10 000 ms. */
  timeoutMs?: number;
  /** Redirects followed at most; one more is a TooManyRedirectsError. Default 5. */
  maxRedirects?: number;
  /** CIDRs from HERALD_ALLOW_PRIVATE_NETWORKS that may be reached despite being private. */
  allowPrivateNetworks: string[];
  /** Largest response body accepted; larger is a ResponseTooLargeError. Default 5 MB. */
  maxResponseBytes?: number;
  /** When given, every hop's host (the URL and each redirect) must pass it, else a HostNotAllowedError. */
  allowHost?: (hostname: string) => boolean;
}

/** The host is not on the caller's allow list (a workspace's webhook hosts). */
export class HostNotAllowedError extends Error {
  constructor(public readonly host: string) {
    super(`${host} is not one of the workspace's allowed webhook hosts`);
    this.name = 'HostNotAllowedError';
  }
}

export interface SafeFetchResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The body decoded as UTF-8. */
  body: string;
  /** Final URL, after redirects. */
  url: string;
}

export const ALLOW_PRIVATE_NETWORKS_SETTING = 'HERALD_ALLOW_PRIVATE_NETWORKS';

/** The destination (or one of its resolved addresses) is not public and not allowed. */
export class DestinationRefusedError extends Error {
  constructor(
    public readonly host: string,
    public readonly address: string,
  ) {
    super(
      `Refused to connect to ${host}${host === address ? '' : ` (${address})`}: ` +
        `${address} is a loopback, private, link-local or otherwise non-public address. ` +
        `To allow it, add a CIDR containing it to ${ALLOW_PRIVATE_NETWORKS_SETTING} (e.g. ${suggestCidr(address)}).`,
    );
    this.name = 'DestinationRefusedError';
  }

  /** Like a socket error's code, for clients that only look at codes (axios). */
  readonly code = 'EREFUSED_PRIVATE';
}

/** The whole call took longer than `timeoutMs`. */
export class HttpTimeoutError extends Error {
  constructor(
    public readonly host: string,
    public readonly timeoutMs: number,
  ) {
    super(`Request to ${host} timed out after ${timeoutMs} ms`);
    this.name = 'HttpTimeoutError';
  }
}

/** The URL (or a redirect's Location) is not a valid http: or https: URL. */
export class InvalidUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidUrlError';
  }
}

/** More redirects than `maxRedirects`. */
export class TooManyRedirectsError extends Error {
  constructor(
    public readonly host: string,
    public readonly maxRedirects: number,
  ) {
    super(`Too many redirects (more than ${maxRedirects}), last from ${host}`);
    this.name = 'TooManyRedirectsError';
  }
}

/** The response body exceeded `maxResponseBytes`. */
export class ResponseTooLargeError extends Error {
  constructor(
    public readonly host: string,
    public readonly maxResponseBytes: number,
  ) {
    super(`Response from ${host} is larger than ${maxResponseBytes} bytes`);
    this.name = 'ResponseTooLargeError';
  }
}

/** Connection or protocol failure (refused, reset, DNS failure, bad response...). */
export class HttpRequestError extends Error {
  constructor(
    public readonly host: string,
    message: string,
    public readonly code?: string,
  ) {
    super(`Request to ${host} failed: ${message}`);
    this.name = 'HttpRequestError';
  }
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_REDIRECTS = 5;
const DEFAULT_MAX_RESPONSE_BYTES = 5 * 1024 * 1024;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Dropped when a redirect leaves the origin, as the Fetch standard and undici do. */
const CROSS_ORIGIN_DROPPED_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'host']);
/** Dropped when a redirect turns the request into a body-less GET. */
const BODY_HEADERS = new Set(['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location', 'transfer-encoding']);

export async function safeFetch(url: string, options: SafeFetchOptions): Promise<SafeFetchResponse> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const { agent, allowList } = agentFor(options.allowPrivateNetworks);

  let current = parseHttpUrl(url);
  let method = (options.method ?? 'GET').toUpperCase();
  let headers: Record<string, string> = { ...(options.headers ?? {}) };
  let body = options.body;
  const secrets = Object.values(headers);

  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new HttpTimeoutError(current.host, timeoutMs));
  }, timeoutMs);

  try {
    for (let redirects = 0; ; redirects++) {
      checkLiteralHost(current, allowList);
      if (options.allowHost && !options.allowHost(stripBrackets(current.hostname).toLowerCase())) throw new HostNotAllowedError(current.hostname);
      const response = await request(current, {
        method: method as Dispatcher.HttpMethod,
        headers,
        body,
        dispatcher: agent,
        signal: controller.signal,
      });
      const location = headerValue(response.headers['location']);
      if (REDIRECT_STATUSES.has(response.statusCode) && location !== undefined) {
        await response.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
        if (redirects >= maxRedirects) throw new TooManyRedirectsError(current.host, maxRedirects);
        let next: URL;
        try {
          next = parseHttpUrl(location, current);
        } catch (err) {
          throw new InvalidUrlError(`Redirect from ${current.host} to an invalid location: ${(err as Error).message}`);
        }
        if (next.origin !== current.origin) headers = withoutHeaders(headers, CROSS_ORIGIN_DROPPED_HEADERS);
        const status = response.statusCode;
        if ((status === 303 && method !== 'HEAD') || ((status === 301 || status === 302) && method === 'POST')) {
          method = 'GET';
          body = undefined;
          headers = withoutHeaders(headers, BODY_HEADERS);
        }
        current = next;
        continue;
      }
      const text = await readBody(response.body, response.headers['content-length'], current.host, maxResponseBytes);
      return { status: response.statusCode, headers: flattenHeaders(response.headers), body: text, url: current.href };
    }
  } catch (err) {
    if (timedOut) throw new HttpTimeoutError(current.host, timeoutMs);
    throw toSafeError(err, current.host, secrets);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// Agents: one per distinct allow-list, each resolving and checking addresses itself.

const agents = new Map<string, { agent: Agent; allowList: Cidr[] }>();

function agentFor(allowPrivateNetworks: string[]): { agent: Agent; allowList: Cidr[] } {
  const allowList = parseCidrList(allowPrivateNetworks);
  const key = allowList
    .map(([address, bits]) => `${address.toNormalizedString()}/${bits}`)
    .sort()
    .join(',');
  let entry = agents.get(key);
  if (!entry) {
    entry = { agent: createGuardedAgent(allowList), allowList };
    agents.set(key, entry);
  }
  return entry;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/**
 * The guard every outgoing connection to a user-configured destination goes through (undici
 * here; node:http agents in guarded-agents.ts): a `lookup` that resolves all addresses and
 * refuses the name if any is not allowed, a check of literal IP hosts (which skip `lookup`), and
 * a check of the address the socket actually connected to.
 */
export function guardedLookup(allowList: Cidr[]) {
  return (hostname: string, lookupOptions: dns.LookupOptions, callback: LookupCallback): void => {
    dns.lookup(hostname, { ...lookupOptions, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      if (addresses.length === 0) return callback(new HttpRequestError(hostname, 'no address found', 'ENOTFOUND'), []);
      const refused = addresses.find((a) => !isAddressAllowed(a.address, allowList));
      if (refused) return callback(new DestinationRefusedError(hostname, refused.address) as unknown as NodeJS.ErrnoException, []);
      if (lookupOptions.all) return callback(null, addresses);
      return callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/** A literal IP host (brackets allowed) that is not allowed: the error to fail with, else null. */
export function refusedLiteralHost(hostname: string, allowList: Cidr[]): DestinationRefusedError | null {
  const host = stripBrackets(hostname);
  return net.isIP(host) && !isAddressAllowed(host, allowList) ? new DestinationRefusedError(host, host) : null;
}

/** The connected socket's remote address, checked (the last line, after `lookup`): the error, else null. */
export function refusedSocket(hostname: string, socket: Socket, allowList: Cidr[]): DestinationRefusedError | null {
  const remote = socket.remoteAddress;
  return remote && isAddressAllowed(remote, allowList) ? null : new DestinationRefusedError(hostname, remote ?? 'unknown address');
}

/**
 * Checks a destination before it is saved: a literal IP must be allowed, and a name must not
 * resolve to a refused address now (the connect-time guard still decides at every connection;
 * a name that does not resolve yet is left to it).
 */
export async function checkDestination(url: URL, allowPrivateNetworks: string[]): Promise<void> {
  const allowList = parseCidrList(allowPrivateNetworks);
  const literal = refusedLiteralHost(url.hostname, allowList);
  if (literal) throw literal;
  if (net.isIP(stripBrackets(url.hostname))) return;
  const addresses = await dns.promises.lookup(url.hostname, { all: true }).catch(() => []);
  const refused = addresses.find((a) => !isAddressAllowed(a.address, allowList));
  if (refused) throw new DestinationRefusedError(url.hostname, refused.address);
}

function createGuardedAgent(allowList: Cidr[]): Agent {
  const baseConnect = buildConnector({ lookup: guardedLookup(allowList) } as buildConnector.BuildOptions);
  const connect: buildConnector.connector = (opts, callback) => {
    const literal = refusedLiteralHost(opts.hostname, allowList);
    if (literal) {
      callback(literal, null);
      return undefined as unknown as Socket;
    }
    return baseConnect(opts, (err, socket) => {
      if (err || !socket) return callback(err, null);
      const refused = refusedSocket(opts.hostname, socket, allowList);
      if (refused) {
        socket.destroy();
        return callback(refused, null);
      }
      callback(null, socket);
    });
  };
  return new Agent({ connect });
}

// ---------------------------------------------------------------------------------------------

function parseHttpUrl(input: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(input, base);
  } catch {
    throw new InvalidUrlError('Invalid URL: not an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidUrlError(`Unsupported URL protocol "${url.protocol}": only http: and https: are allowed`);
  }
  if (url.username || url.password) {
    throw new InvalidUrlError(`URL for ${url.host} has credentials in it; send them in a header instead`);
  }
  return url;
}

function stripBrackets(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

function checkLiteralHost(url: URL, allowList: Cidr[]): void {
  const refused = refusedLiteralHost(url.hostname, allowList);
  if (refused) throw refused;
}

function suggestCidr(address: string): string {
  const family = net.isIP(address);
  if (family === 4) return `${address}/32`;
  if (family === 6) return `${address}/128`;
  return '10.0.0.0/8';
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function withoutHeaders(headers: Record<string, string>, names: Set<string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !names.has(name.toLowerCase())));
}

async function readBody(
  stream: AsyncIterable<Buffer> & { destroy(err?: Error): void },
  contentLength: string | string[] | undefined,
  host: string,
  maxBytes: number,
): Promise<string> {
  const declared = Number(headerValue(contentLength));
  if (Number.isFinite(declared) && declared > maxBytes) {
    stream.destroy();
    throw new ResponseTooLargeError(host, maxBytes);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > maxBytes) {
      stream.destroy();
      throw new ResponseTooLargeError(host, maxBytes);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const OWN_ERRORS = [HostNotAllowedError, DestinationRefusedError, HttpTimeoutError, InvalidUrlError, TooManyRedirectsError, ResponseTooLargeError, HttpRequestError];

/**
 * Our own errors pass through; anything else (socket, DNS, undici argument errors) becomes an
 * HttpRequestError whose message has any request header value redacted and no `cause`, so a
 * secret cannot travel on in an error (Temporal serializes causes).
 */
function toSafeError(err: unknown, host: string, secrets: string[]): Error {
  if (OWN_ERRORS.some((cls) => err instanceof cls)) return err as Error;
  const e = err as { message?: unknown; code?: unknown };
  const message = redact(typeof e?.message === 'string' ? e.message : String(err), secrets);
  return new HttpRequestError(host, message, typeof e?.code === 'string' ? e.code : undefined);
}

/** Replaces every occurrence of a header value (3+ characters) in `text`. */
export function redact(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length >= 3) out = out.split(secret).join('[redacted]');
  }
  return out;
}
