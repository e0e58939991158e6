import * as cheerio from 'cheerio';
import { createHmac } from 'crypto';
import {
  isTrackingTokenExpired,
  MAX_TRACKING_TOKEN_LENGTH,
  signTrackingToken,
  TrackingClaims,
  verifyTrackingToken,
} from '../../src/messages/tracking/tracking-tokens';
import { addEmailTracking, TrackingOptions } from '../../src/messages/tracking/html-tracking';

const SECRET = 'test-secret-0123456789';
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
/** Sign an arbitrary payload string the same way the real signer does (to test shape checks). */
const forge = (payloadJson: string, secret = SECRET) => {
  const p = b64(payloadJson);
  return `${p}.${createHmac('sha256', secret).update(p).digest('base64url')}`;
};

describe('tracking tokens', () => {
  const click: TrackingClaims = { w: 'ws_1', m: 'msg_1', k: 'c', u: 'https://example.com/a?b=1&c=2', c: 'email' };
  const open: TrackingClaims = { w: 'ws_1', m: 'msg_1', k: 'o' };

  it('round-trips click and open claims', () => {
    const x = expect.any(Number);
    expect(verifyTrackingToken(signTrackingToken(click, SECRET), SECRET)).toEqual({ ...click, x });
    expect(verifyTrackingToken(signTrackingToken(open, SECRET), SECRET)).toEqual({ ...open, x });
  });

  it('is URL-safe: two unpadded base64url parts', () => {
    const token = signTrackingToken({ ...click, u: 'https://example.com/??>>~~ü' }, SECRET);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(encodeURIComponent(token)).toBe(token);
  });

  it('rejects a tampered payload', () => {
    const [, sig] = signTrackingToken(click, SECRET).split('.');
    const evil = b64(JSON.stringify({ ...click, u: 'https://evil.example/' }));
    expect(verifyTrackingToken(`${evil}.${sig}`, SECRET)).toBeNull();
  });

  it('rejects a tampered signature (one character changed)', () => {
    const token = signTrackingToken(click, SECRET);
    const flip = (c: string) => (c === 'A' ? 'B' : 'A');
    const mid = token.length - 20;
    expect(verifyTrackingToken(token.slice(0, mid) + flip(token[mid]) + token.slice(mid + 1), SECRET)).toBeNull();
    // Last char: A/B differ only in the unused low bits, so this also checks that a
    // non-canonical encoding of the same HMAC bytes is rejected.
    const last = token[token.length - 1];
    expect(verifyTrackingToken(token.slice(0, -1) + flip(last), SECRET)).toBeNull();
    expect(verifyTrackingToken(token, SECRET)).not.toBeNull();
  });

  it('rejects a token signed with a different secret', () => {
    expect(verifyTrackingToken(signTrackingToken(click, 'other-secret'), SECRET)).toBeNull();
  });

  it('rejects truncated tokens', () => {
    const token = signTrackingToken(click, SECRET);
    const [payload] = token.split('.');
    expect(verifyTrackingToken(token.slice(0, -1), SECRET)).toBeNull();
    expect(verifyTrackingToken(`${payload}.`, SECRET)).toBeNull();
    expect(verifyTrackingToken(payload, SECRET)).toBeNull();
    expect(verifyTrackingToken(token.slice(1), SECRET)).toBeNull();
  });

  it('rejects garbage without throwing', () => {
    for (const junk of ['', '.', '..', 'a.b.c', 'not a token', '%%%.%%%', '\u0000.\u0000', 'eyJ9.x']) {
      expect(verifyTrackingToken(junk, SECRET)).toBeNull();
    }
    expect(verifyTrackingToken(undefined as unknown as string, SECRET)).toBeNull();
    expect(verifyTrackingToken(123 as unknown as string, SECRET)).toBeNull();
    // A correctly signed payload that is not JSON.
    expect(verifyTrackingToken(forge('not json'), SECRET)).toBeNull();
  });

  it('rejects over-long tokens even when correctly signed', () => {
    const json = JSON.stringify({ w: 'w', m: 'm', k: 'o', c: 'x'.repeat(MAX_TRACKING_TOKEN_LENGTH) });
    const token = forge(json);
    expect(token.length).toBeGreaterThan(MAX_TRACKING_TOKEN_LENGTH);
    expect(verifyTrackingToken(token, SECRET)).toBeNull();
    // And the signer refuses to produce one.
    expect(() => signTrackingToken({ ...click, u: `https://example.com/${'a'.repeat(4000)}` }, SECRET)).toThrow(RangeError);
  });

  it('rejects a click token without u', () => {
    expect(verifyTrackingToken(forge(JSON.stringify({ w: 'w', m: 'm', k: 'c' })), SECRET)).toBeNull();
    expect(() => signTrackingToken({ w: 'w', m: 'm', k: 'c' }, SECRET)).toThrow(TypeError);
  });

  it('rejects click tokens whose u is not an absolute http(s) URL', () => {
    for (const u of ['javascript:alert(1)', 'JAVASCRIPT:alert(1)', '/relative', '//evil.example', 'https:evil.example', 'data:text/html,x', 'https://a.com/\r\nSet-Cookie: x', 123]) {
      expect(verifyTrackingToken(forge(JSON.stringify({ w: 'w', m: 'm', k: 'c', u })), SECRET)).toBeNull();
    }
    expect(() => signTrackingToken({ w: 'w', m: 'm', k: 'c', u: 'javascript:alert(1)' }, SECRET)).toThrow(TypeError);
    // Sanity: the same forge helper does produce a valid token for a good URL.
    expect(verifyTrackingToken(forge(JSON.stringify({ w: 'w', m: 'm', k: 'c', u: 'http://ok.example/', x: 4102444800 })), SECRET)).toEqual({
      w: 'w', m: 'm', k: 'c', u: 'http://ok.example/', x: 4102444800,
    });
  });

  it('rejects claims of the wrong shape', () => {
    const bad = [
      '[]', 'null', '"x"', '1',
      { m: 'm', k: 'o' }, { w: '', m: 'm', k: 'o' }, { w: 1, m: 'm', k: 'o' }, { w: 'w', m: null, k: 'o' },
      { w: 'w', m: 'm', k: 'x' }, { w: 'w', m: 'm' }, { w: 'w', m: 'm', k: 'o', c: 5 },
      { w: 'w', m: 'm', k: 'o', u: 'https://a.com/' },
    ];
    for (const b of bad) {
      const json = typeof b === 'string' ? b : JSON.stringify(b);
      expect(verifyTrackingToken(forge(json), SECRET)).toBeNull();
    }
  });

  it('returns only the known fields', () => {
    const token = forge('{"w":"w","m":"m","k":"o","extra":"x","__proto__":{"admin":true}}');
    const claims = verifyTrackingToken(token, SECRET);
    expect(claims).toEqual({ w: 'w', m: 'm', k: 'o' });
    expect(Object.keys(claims!)).toEqual(['w', 'm', 'k']);
  });
});

describe('addEmailTracking', () => {
  const opts: TrackingOptions = { baseUrl: 'http://localhost:3000', workspaceId: 'ws_1', messageId: 'msg_1', secret: SECRET };
  const clickPrefix = 'http://localhost:3000/t/c/';
  const openPrefix = 'http://localhost:3000/t/o/';

  const verifyHref = (href: string | undefined, prefix: string) => {
    expect(href?.startsWith(prefix)).toBe(true);
    return verifyTrackingToken(href!.slice(prefix.length), SECRET);
  };

  it('rewrites absolute http(s) links in order; tokens verify to the original URLs', () => {
    const input =
      '<p><a href="https://example.com/one?a=1&amp;b=2">1</a> <a href="http://example.org/two">2</a>' +
      ' <a href="HTTPS://EXAMPLE.NET/three#x">3</a></p>';
    const { html, links } = addEmailTracking(input, opts);
    expect(links).toEqual(['https://example.com/one?a=1&b=2', 'http://example.org/two', 'HTTPS://EXAMPLE.NET/three#x']);
    const $ = cheerio.load(html, null, false);
    const hrefs = $('a').map((_, a) => $(a).attr('href')).get();
    expect(hrefs).toHaveLength(3);
    hrefs.forEach((href, i) => {
      expect(verifyHref(href, clickPrefix)).toEqual({ w: 'ws_1', m: 'msg_1', k: 'c', u: links[i], c: 'email', x: expect.any(Number) });
    });
  });

  it('leaves mailto:, tel:, #fragment, relative and protocol-relative links untouched', () => {
    const untouched = ['mailto:a@b.com', 'tel:+4712345678', '#top', '/relative/path', 'page.html', '//cdn.example.com/x'];
    const input = untouched.map((h, i) => `<a href="${h}">l${i}</a>`).join('') + '<a href="https://tracked.example/">t</a>';
    const { html, links } = addEmailTracking(input, opts);
    expect(links).toEqual(['https://tracked.example/']);
    const $ = cheerio.load(html, null, false);
    const hrefs = $('a').map((_, a) => $(a).attr('href')).get();
    expect(hrefs.slice(0, untouched.length)).toEqual(untouched);
    expect(hrefs[untouched.length].startsWith(clickPrefix)).toBe(true);
    expect($('a')).toHaveLength(untouched.length + 1); // nothing dropped
  });

  it('neither tracks nor leaves clickable javascript:, vbscript: and data: links, however spelled (issue 12, item 8)', () => {
    const scripts = ['javascript:alert(1)', ' JavaScript:alert(1)', 'java\tscript:alert(1)', 'java&#x0A;script:alert(1)', 'vbscript:msgbox(1)', 'data:text/html,<script>alert(1)</script>'];
    const input = scripts.map((h, i) => `<a href="${h.replace('\\t', '\t')}">s${i}</a>`).join('');
    const { html, links } = addEmailTracking(input, opts);
    expect(links).toEqual([]);
    const $ = cheerio.load(html, null, false);
    expect($('a')).toHaveLength(scripts.length); // the text stays
    expect($('a[href]')).toHaveLength(0);
  });

  it('appends exactly one open pixel whose token verifies as an open', () => {
    const { html } = addEmailTracking('<p>Hello</p>', opts);
    const $ = cheerio.load(html, null, false);
    const imgs = $('img');
    expect(imgs).toHaveLength(1);
    const img = imgs.first();
    expect(img.attr('width')).toBe('1');
    expect(img.attr('height')).toBe('1');
    expect(img.attr('alt')).toBe('');
    expect(img.attr('style')).toBe('display:none');
    expect(verifyHref(img.attr('src'), openPrefix)).toEqual({ w: 'ws_1', m: 'msg_1', k: 'o', c: 'email', x: expect.any(Number) });
    // Last node of the fragment.
    expect($.root().children().last().is('img')).toBe(true);
  });

  it('keeps a fragment a fragment', () => {
    const { html } = addEmailTracking('<div class="wrap"><a href="https://x.example/">x</a></div>', opts);
    expect(html).not.toMatch(/<html|<head|<body/i);
    expect(html.startsWith('<div class="wrap">')).toBe(true);
  });

  it('puts the pixel inside <body> of a full document', () => {
    const input = '<!DOCTYPE html><html><head><title>T</title></head><body><p>Hi</p></body></html>';
    const { html } = addEmailTracking(input, opts);
    const $ = cheerio.load(html);
    expect($('body > img')).toHaveLength(1);
    expect($('body').children().last().is('img')).toBe(true);
    expect($('head img')).toHaveLength(0);
    expect($('title').text()).toBe('T');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html.match(/<\/body>/g)).toHaveLength(1);
  });

  it('preserves other markup and attributes', () => {
    const input = '<a class="btn primary" target="_blank" rel="noopener" data-x="1" style="color:red" href="https://x.example/">Go <b>now</b></a><span id="s">keep</span>';
    const { html } = addEmailTracking(input, opts);
    const $ = cheerio.load(html, null, false);
    const a = $('a');
    expect(a.attr('class')).toBe('btn primary');
    expect(a.attr('target')).toBe('_blank');
    expect(a.attr('rel')).toBe('noopener');
    expect(a.attr('data-x')).toBe('1');
    expect(a.attr('style')).toBe('color:red');
    expect(a.html()).toBe('Go <b>now</b>');
    expect($('#s').text()).toBe('keep');
  });

  it('does not rewrite links already pointing at baseUrl/t/ (caller must still run it only once)', () => {
    const first = addEmailTracking('<a href="https://x.example/">x</a>', opts);
    const href1 = cheerio.load(first.html, null, false)('a').attr('href');
    const second = addEmailTracking(first.html, { ...opts, baseUrl: 'http://localhost:3000/' });
    const href2 = cheerio.load(second.html, null, false)('a').attr('href');
    expect(second.links).toEqual([]);
    expect(href2).toBe(href1);
    expect(verifyHref(href2, clickPrefix)?.u).toBe('https://x.example/');
    // Not idempotent for the pixel — documented: the caller runs addEmailTracking once.
  });

  it('tracks a URL with surrounding whitespace by its trimmed form', () => {
    const { links, html } = addEmailTracking('<a href="  https://x.example/p  ">x</a>', opts);
    expect(links).toEqual(['https://x.example/p']);
    expect(verifyHref(cheerio.load(html, null, false)('a').attr('href'), clickPrefix)?.u).toBe('https://x.example/p');
  });

  it('leaves a link untracked when its URL is too long for a token', () => {
    const long = `https://x.example/${'a'.repeat(4000)}`;
    const { links, html } = addEmailTracking(`<a href="${long}">x</a>`, opts);
    expect(links).toEqual([]);
    expect(cheerio.load(html, null, false)('a').attr('href')).toBe(long);
  });
});

describe('tracking token expiry (issue 12, item 8)', () => {
  it('a click token always carries an expiry; past it the token verifies but is expired; a click token without one is refused', () => {
    const now = Date.UTC(2026, 0, 1);
    const token = signTrackingToken({ w: 'w', m: 'm', k: 'c', u: 'https://example.com/' }, SECRET, now, 60_000);
    const claims = verifyTrackingToken(token, SECRET)!;
    expect(claims.x).toBe(Math.ceil((now + 60_000) / 1000));
    expect(isTrackingTokenExpired(claims, now + 59_000)).toBe(false);
    expect(isTrackingTokenExpired(claims, now + 60_000)).toBe(true);
    expect(verifyTrackingToken(forge(JSON.stringify({ w: 'w', m: 'm', k: 'c', u: 'https://example.com/' })), SECRET)).toBeNull();
    for (const x of ['1', -1, 1.5, null]) expect(verifyTrackingToken(forge(JSON.stringify({ w: 'w', m: 'm', k: 'c', u: 'https://example.com/', x })), SECRET)).toBeNull();
  });
});
