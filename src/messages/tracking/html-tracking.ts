/**
 * Open and click tracking for email HTML (SPEC §4): rewrites absolute http(s) links to
 * `${baseUrl}/t/c/{token}` and appends a 1×1 open pixel `${baseUrl}/t/o/{token}`.
 *
 * Run it exactly once per rendered email, after Liquid rendering. It is not idempotent: links
 * already pointing at `${baseUrl}/t/` are skipped, but a second run appends a second pixel.
 */
import * as cheerio from 'cheerio';
import { isTrackableUrl, signTrackingToken } from './tracking-tokens';

export interface TrackingOptions {
  /** e.g. http://localhost:3000; a trailing slash is tolerated */
  baseUrl: string;
  workspaceId: string;
  messageId: string;
  secret: string;
}

/** javascript:, vbscript: and data: hrefs, once whitespace and control characters (which browsers skip) are removed. */
const SCRIPT_HREF = /^(?:javascript|vbscript|data):/i;

/** Detects a full document (as opposed to a fragment). Only used to pick the parse mode. */
const DOCUMENT_MARKER = /<!doctype\b|<html[\s>\/]|<head[\s>\/]|<body[\s>\/]/i;

/**
 * The URL a link should be tracked as, or null to leave it alone. Leading/trailing whitespace
 * (which browsers strip) is trimmed; a URL with inner whitespace is tracked in its
 * WHATWG-normalised (percent-encoded) form.
 */
function trackableHref(raw: string, trackingPrefix: string): string | null {
  const href = raw.trim();
  if (!/^https?:/i.test(href)) return null; // mailto:, tel:, #frag, relative, javascript:, //host …
  if (href.toLowerCase().startsWith(trackingPrefix.toLowerCase())) return null; // already tracked
  if (isTrackableUrl(href)) return href;
  try {
    const normalized = new URL(href).href;
    return isTrackableUrl(normalized) ? normalized : null;
  } catch {
    return null;
  }
}

export function addEmailTracking(
  html: string,
  opts: TrackingOptions,
): { html: string; links: string[] } {
  const baseUrl = opts.baseUrl.replace(/\/+$/, '');
  const trackingPrefix = `${baseUrl}/t/`;
  const isDocument = DOCUMENT_MARKER.test(html);
  const $ = isDocument ? cheerio.load(html) : cheerio.load(html, null, false);

  const links: string[] = [];
  $('a[href]').each((_, el) => {
    const $a = $(el);
    // A script or data link is neither tracked nor left clickable (mail clients differ in what they block).
    if (SCRIPT_HREF.test(($a.attr('href') ?? '').replace(/[\s\x00-\x1f]/g, ''))) {
      $a.removeAttr('href');
      return;
    }
    const url = trackableHref($a.attr('href') ?? '', trackingPrefix);
    if (url === null) return;
    let token: string;
    try {
      token = signTrackingToken(
        { w: opts.workspaceId, m: opts.messageId, k: 'c', u: url, c: 'email' },
        opts.secret,
      );
    } catch {
      return; // e.g. a URL too long to fit in a token: leave the link untracked
    }
    $a.attr('href', `${baseUrl}/t/c/${token}`);
    links.push(url);
  });

  const openToken = signTrackingToken(
    { w: opts.workspaceId, m: opts.messageId, k: 'o', c: 'email' },
    opts.secret,
  );
  const pixel = $('<img>').attr({
    src: `${baseUrl}/t/o/${openToken}`,
    width: '1',
    height: '1',
    alt: '',
    style: 'display:none',
  });
  const body = isDocument ? $('body').first() : null;
  if (body && body.length > 0) body.append(pixel);
  else $.root().append(pixel);

  return { html: $.html(), links };
}
