// The dashboard, the Studio's first page: volumes, runs, messages, the delivery funnel per
// template and outbound health, over the last hour / day / week. One call to GET /dashboard
// (pre-aggregated per minute on the server); charts drawn by uPlot.
import uPlot from 'uplot';
import { useEffect, useRef } from 'preact/hooks';
import { get } from '../lib/api.js';
import { navigate } from '../lib/router.js';
import { ErrorBox, Time, html, useLoad } from '../lib/ui.js';

const WINDOWS = [
  { id: 'hour', label: 'Last hour' },
  { id: 'day', label: 'Last day' },
  { id: 'week', label: 'Last week' },
];
// Distinct at AA contrast on white, in a stable order per series name.
const PALETTE = ['#3b5bdb', '#2b8a3e', '#c2255c', '#e8590c', '#7048e8', '#0b7285', '#5c940d', '#a61e4d', '#495057'];
const STATUS_COLORS = { ENQUEUED: '#e8590c', PROCESSED: '#2b8a3e', DELIVERED: '#2b8a3e', SENT: '#3b5bdb', OPENED: '#0b7285', CLICKED: '#7048e8', ERROR: '#c92a2a', UNDELIVERABLE: '#c92a2a', CANCELED: '#868e96', FILTERED: '#7048e8', started: '#3b5bdb' };

const count = (n) => (n ?? 0).toLocaleString();
const rate = (r) => (r === null || r === undefined ? '—' : `${(r * 100).toFixed(1)}%`);
const sum = (obj) => Object.values(obj ?? {}).reduce((a, b) => a + (b ?? 0), 0);

export function DashboardPage({ query }) {
  const span = WINDOWS.some((w) => w.id === query.window) ? query.window : 'hour';
  const data = useLoad(() => get('/dashboard', { window: span }), [span], { pollMs: 10_000 });
  const d = data.data;
  return html`<div data-dashboard=${span}>
    <div class="page-head">
      <div><h1>Dashboard</h1><div class="sub">${d ? html`<${Time} value=${d.from} /> – <${Time} value=${d.to} />, per ${bucketName(d.bucket_seconds)}` : 'How Herald is doing.'}</div></div>
      <div class="actions" role="group" aria-label="Time window">
        ${WINDOWS.map((w) => html`<button type="button" class=${w.id === span ? 'primary' : ''} aria-pressed=${w.id === span}
          onClick=${() => navigate(['dashboard'], { window: w.id })}>${w.label}</button>`)}
      </div>
    </div>
    <${ErrorBox} error=${data.error} />
    ${!d && !data.error && html`<p class="muted">Loading…</p>`}
    ${d && html`
      <div class="stat-row">
        <${Stat} label="Inbound events" value=${sum(d.events.totals)} name="events" />
        <${Stat} label="Runs started" value=${d.runs.totals.started ?? 0} name="runs-started" />
        <${Stat} label="Runs active now" value=${(d.runs.active.PROCESSING ?? 0) + (d.runs.active.WAITING ?? 0)} name="runs-active"
          note=${`${count(d.runs.active.PROCESSING)} processing, ${count(d.runs.active.WAITING)} waiting`} />
        <${Stat} label="Messages sent" value=${d.messages.totals.SENT ?? 0} name="messages-sent" />
        <${Stat} label="Outbound pending" value=${d.outbound.pending} name="outbound-pending" warn=${Boolean(d.outbound.last_error)} />
      </div>
      <div class="grid2">
        <${ChartCard} title="Inbound events by type" name="events" buckets=${d.buckets} series=${d.events.series} totals=${d.events.totals} />
        <${ChartCard} title="Runs" name="runs" buckets=${d.buckets} series=${d.runs.series} totals=${d.runs.totals} />
        <${ChartCard} title="Messages by status" name="messages" buckets=${d.buckets} series=${d.messages.series} totals=${d.messages.totals} />
        <${Outbound} outbound=${d.outbound} />
      </div>
      <${Funnel} funnel=${d.funnel} />`}
  </div>`;
}

function bucketName(seconds) {
  if (seconds % 3600 === 0) return seconds === 3600 ? 'hour' : `${seconds / 3600} hours`;
  if (seconds % 60 === 0) return seconds === 60 ? 'minute' : `${seconds / 60} minutes`;
  return `${seconds} s`;
}

function Stat({ label, value, note, name, warn }) {
  return html`<div class=${`card stat${warn ? ' warn' : ''}`} data-stat=${name}>
    <div class="stat-label">${label}</div>
    <div class="stat-value" data-value=${value}>${count(value)}</div>
    ${note && html`<div class="hint">${note}</div>`}
  </div>`;
}

/** A uPlot time series, with the totals as a table (what a screen reader and the tests read). */
function ChartCard({ title, name, buckets, series, totals }) {
  // Only the series with something in this window (the API gives every key, zeros included).
  const names = Object.keys(series ?? {}).filter((n) => (totals?.[n] ?? 0) > 0 || (series[n] ?? []).some((v) => v > 0));
  const colors = names.map((n, i) => STATUS_COLORS[n] ?? PALETTE[i % PALETTE.length]);
  const summary = names.length ? names.map((n) => `${n} ${count(totals?.[n])}`).join(', ') : 'nothing in this window';
  return html`<section class="card" data-chart=${name}>
    <h2>${title}</h2>
    ${names.length
      ? html`<${TimeChart} buckets=${buckets} names=${names} series=${series} colors=${colors} label=${`${title}: ${summary}`} />`
      : html`<p class="muted">Nothing in this window.</p>`}
    <table class="totals" aria-label=${`${title}: totals`}>
      <tbody>${names.map((n, i) => html`<tr data-total=${n}><th scope="row"><span class="swatch" style=${`background:${colors[i]}`}></span>${n}</th><td class="num">${count(totals?.[n])}</td></tr>`)}</tbody>
    </table>
  </section>`;
}

function TimeChart({ buckets, names, series, colors, label }) {
  const box = useRef(null);
  const plot = useRef(null);
  const key = JSON.stringify([buckets, series]);
  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const data = [buckets.map((b) => Date.parse(b) / 1000), ...names.map((n) => series[n])];
    const opts = {
      width: Math.max(280, el.clientWidth),
      height: 200,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      axes: [{ stroke: '#5f6b7a', grid: { stroke: '#eef0f3' } }, { stroke: '#5f6b7a', grid: { stroke: '#eef0f3' }, size: 48 }],
      series: [{}, ...names.map((n, i) => ({ label: n, stroke: colors[i], width: 2, points: { show: buckets.length <= 60 } }))],
    };
    plot.current?.destroy();
    plot.current = new uPlot(opts, data, el);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(280, el.clientWidth), height: 200 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [key]);
  return html`<div class="chart" ref=${box} role="img" aria-label=${label}></div>`;
}

function Outbound({ outbound }) {
  return html`<section class="card" data-outbound>
    <h2>Outbound to RudderStack</h2>
    <dl class="kv">
      <dt>Pending</dt><dd data-outbound-pending=${outbound.pending}>${count(outbound.pending)}</dd>
      <dt>Oldest pending</dt><dd>${outbound.oldest_pending_at ? html`<${Time} value=${outbound.oldest_pending_at} />` : '—'}</dd>
      <dt>Last error</dt><dd>${outbound.last_error ? html`<span class="step-error" data-outbound-error>${outbound.last_error.message}</span> <span class="hint">(<${Time} value=${outbound.last_error.at} />)</span>` : 'none'}</dd>
    </dl>
    <p class="hint" style="margin-top:10px"><a href="#/integration/outbound">Outbound settings</a></p>
  </section>`;
}

function Funnel({ funnel }) {
  return html`<section class="card flush" data-funnel>
    <h2>Delivery funnel by notification template</h2>
    <table aria-label="Delivery funnel">
      <thead><tr><th scope="col">Template</th><th scope="col" class="num">Sent</th><th scope="col" class="num">Delivered</th><th scope="col" class="num">Opened</th><th scope="col" class="num">Clicked</th><th scope="col">Funnel</th></tr></thead>
      <tbody>
        ${funnel.map((f) => html`<tr data-funnel-template=${f.template}>
          <td><a href=${`#/notifications/${encodeURIComponent(f.template)}`}>${f.template}</a></td>
          <td class="num" data-col="sent">${count(f.sent)}</td>
          <td class="num" data-col="delivered">${count(f.delivered)} <span class="hint">${rate(f.delivered_rate)}</span></td>
          <td class="num" data-col="opened">${count(f.opened)} <span class="hint">${rate(f.opened_rate)}</span></td>
          <td class="num" data-col="clicked">${count(f.clicked)} <span class="hint">${rate(f.clicked_rate)}</span></td>
          <td><div class="funnel-bars" aria-hidden="true">
            ${[1, f.delivered_rate, f.opened_rate, f.clicked_rate].map((r, i) => html`<span class=${`funnel-bar b${i}`} style=${`width:${Math.round((f.sent ? r ?? 0 : 0) * 100)}%`}></span>`)}
          </div></td>
        </tr>`)}
      </tbody>
    </table>
    ${!funnel.length && html`<div class="empty">No messages sent in this window.</div>`}
  </section>`;
}
