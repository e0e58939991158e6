// Shared pieces: the html tag, data hooks (paged lists, polling), badges, times, JSON, errors.
import { h } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';
import { get } from './api.js';

export const html = htm.bind(h);

export const PAGE_SIZE = 50;

/**
 * One API list, a page at a time (`limit` + `cursor`, never everything). `loadMore` appends the
 * next page. With `refreshMs`, the first page is re-read in the background while only the first
 * page is shown (so new rows appear without disturbing someone who scrolled into older pages).
 */
export function usePaged(path, query = {}, { limit = PAGE_SIZE, refreshMs = 0 } = {}) {
  const key = `${path}?${JSON.stringify(query)}`;
  const [state, setState] = useState({ key, items: [], cursor: null, hasMore: false, loading: true, error: null, pages: 0 });
  const generation = useRef(0);
  const current = useRef(state);
  current.current = state;

  const load = useCallback(async (cursor, { append = false, quiet = false } = {}) => {
    const gen = generation.current;
    if (!quiet) setState((s) => ({ ...s, loading: true, error: null }));
    try {
      const page = await get(path, { ...query, limit, cursor: cursor ?? undefined });
      if (gen !== generation.current) return;
      setState((s) => ({
        key,
        items: append ? [...s.items, ...page.items] : page.items,
        // Herald's `{ items, has_more, cursor }`, or Courier's `{ items, paging: { cursor, more } }` (lists).
        cursor: page.cursor ?? page.paging?.cursor ?? null,
        hasMore: Boolean(page.has_more ?? page.paging?.more),
        loading: false,
        error: null,
        pages: append ? s.pages + 1 : 1,
      }));
    } catch (error) {
      if (gen !== generation.current) return;
      setState((s) => ({ ...s, loading: false, error }));
    }
  }, [key]);

  useEffect(() => {
    generation.current++;
    setState({ key, items: [], cursor: null, hasMore: false, loading: true, error: null, pages: 0 });
    load(null);
  }, [key]);

  useEffect(() => {
    if (!refreshMs) return undefined;
    const timer = setInterval(() => {
      const s = current.current;
      if (document.hidden || s.loading || s.pages > 1) return;
      load(null, { quiet: true });
    }, refreshMs);
    return () => clearInterval(timer);
  }, [key, refreshMs]);

  const loadMore = () => current.current.hasMore && load(current.current.cursor, { append: true });
  const reload = () => load(null);
  const items = state.key === key ? state.items : [];
  return { ...state, items, loadMore, reload };
}

/** Loads something once (and again when deps change); `reload` re-reads; `pollMs` re-reads while `poll` says so. */
export function useLoad(fn, deps, { pollMs = 0, poll = () => true } = {}) {
  const [state, setState] = useState({ data: undefined, error: null, loading: true });
  const generation = useRef(0);
  const latest = useRef(state);
  latest.current = state;
  const run = useCallback(async (quiet = false) => {
    const gen = ++generation.current;
    if (!quiet) setState((s) => ({ ...s, loading: true }));
    try {
      const data = await fn();
      if (gen === generation.current) setState({ data, error: null, loading: false });
    } catch (error) {
      if (gen === generation.current) setState((s) => ({ ...s, error, loading: false }));
    }
  }, deps);
  useEffect(() => {
    setState({ data: undefined, error: null, loading: true });
    run();
  }, deps);
  useEffect(() => {
    if (!pollMs) return undefined;
    const timer = setInterval(() => {
      const s = latest.current;
      if (!document.hidden && !s.loading && s.data !== undefined && poll(s.data)) run(true);
    }, pollMs);
    return () => clearInterval(timer);
  }, [...deps, pollMs]);
  return { ...state, reload: () => run(true) };
}

export const statusClass = (status) => String(status ?? '').toLowerCase().replace(/[^a-z0-9]+/g, '-');

export function Badge({ status, children }) {
  const label = children ?? status;
  return html`<span class=${`badge badge-${statusClass(status)}`} data-status=${status}>${label}</span>`;
}

const pad = (n) => String(n).padStart(2, '0');
export function formatTime(value) {
  if (value === null || value === undefined || value === '') return '';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function Time({ value }) {
  if (value === null || value === undefined) return html`<span class="muted">—</span>`;
  const iso = new Date(value).toISOString();
  return html`<time datetime=${iso} title=${iso}>${formatTime(value)}</time>`;
}

export function duration(from, to) {
  if (!from || !to) return '';
  const ms = new Date(to) - new Date(from);
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

export function Json({ value }) {
  return html`<pre class="json">${JSON.stringify(value, null, 2)}</pre>`;
}

export function ErrorBox({ error }) {
  if (!error) return null;
  return html`<div class="error" role="alert">${typeof error === 'string' ? error : error.message}</div>`;
}

export function Notice({ children }) {
  return html`<div class="notice" role="status">${children}</div>`;
}

/** A `<progress>` bar with its counts as text (`max` 0 shows an empty bar). */
export function ProgressBar({ value, max, label, children }) {
  return html`<div class="progress-row">
    <progress value=${value} max=${Math.max(max, 1)} aria-label=${label} data-value=${value} data-max=${max}></progress>
    <span class="progress-text">${children}</span>
  </div>`;
}

/** The footer of a paged table: how many are shown, and the button for the next page. */
export function Pager({ list, noun = 'row' }) {
  const n = list.items.length;
  return html`<div class="pager">
    <span>${n} ${n === 1 ? noun : `${noun}s`} shown${list.hasMore ? ', more available' : ''}</span>
    ${list.hasMore && html`<button class="small" onClick=${list.loadMore} disabled=${list.loading}>Load more</button>`}
    ${list.loading && html`<span>Loading…</span>`}
    <${ErrorBox} error=${list.error} />
  </div>`;
}

export function CopyField({ value, label }) {
  const [copied, setCopied] = useState(false);
  const copy = async (e) => {
    const input = e.currentTarget.parentElement.querySelector('input');
    input.select();
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      document.execCommand?.('copy');
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return html`<div class="copy-row">
    <input type="text" readonly value=${value} aria-label=${label} onFocus=${(e) => e.currentTarget.select()} />
    <button type="button" onClick=${copy}>${copied ? 'Copied' : 'Copy'}</button>
  </div>`;
}

export function shortId(id) {
  return id && id.length > 13 ? `${id.slice(0, 8)}…` : id;
}

/** Parses a JSON textarea; returns [value, errorMessage]. */
export function parseJson(text, what) {
  if (!text.trim()) return [undefined, null];
  try {
    return [JSON.parse(text), null];
  } catch (err) {
    return [undefined, `${what} is not valid JSON: ${err.message}`];
  }
}
