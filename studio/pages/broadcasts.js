// Broadcasts: one template (or automation) to a list, pattern, audience or tenant, paced. The
// list with a create form, and a broadcast's page: its progress (a bar while it runs) and the
// Start / Pause / Resume / Cancel buttons its status allows.
import { useState } from 'preact/hooks';
import { enc, get, post } from '../lib/api.js';
import { href, navigate } from '../lib/router.js';
import { Badge, ErrorBox, Notice, Pager, ProgressBar, Time, html, parseJson, useLoad, usePaged } from '../lib/ui.js';

const SOURCES = [
  { key: 'list_id', label: 'List', placeholder: 'e.g. product.beta.eu' },
  { key: 'list_pattern', label: 'List pattern', placeholder: 'e.g. product.*.eu' },
  { key: 'audience_id', label: 'Audience', placeholder: 'audience id' },
  { key: 'tenant_id', label: 'Tenant members', placeholder: 'tenant id' },
];
const TARGETS = [
  { key: 'template', label: 'Notification template' },
  { key: 'automation', label: 'Automation (one run per recipient)' },
  { key: 'sequence', label: 'Sequence (one run per recipient)' },
];
const ACTIVE = ['SCHEDULED', 'RUNNING', 'PAUSED'];
/** Which buttons each status allows (the API answers 409 otherwise). */
const ACTIONS = [
  { action: 'start', label: 'Start', when: ['DRAFT'], primary: true },
  { action: 'pause', label: 'Pause', when: ['RUNNING', 'SCHEDULED'] },
  { action: 'resume', label: 'Resume', when: ['PAUSED'], primary: true },
  { action: 'cancel', label: 'Cancel broadcast', when: ['DRAFT', 'SCHEDULED', 'RUNNING', 'PAUSED'], danger: true },
];

const done = (p) => p.sent + p.filtered + p.failed;

/** The recipients, linked to their list or audience page. */
export function SourceOf({ source }) {
  if (!source) return html`<span class="muted">—</span>`;
  if (source.list_id) return html`list <a class="mono" href=${href(['lists', source.list_id])}>${source.list_id}</a>`;
  if (source.list_pattern) return html`lists <a class="mono" href=${href(['lists'], { pattern: source.list_pattern })}>${source.list_pattern}</a>`;
  if (source.audience_id) return html`audience <a class="mono" href=${href(['audiences', source.audience_id])}>${source.audience_id}</a>`;
  if (source.tenant_id) return html`tenant <span class="mono">${source.tenant_id}</span>`;
  return html`<span class="mono">${JSON.stringify(source)}</span>`;
}

function TargetOf({ target }) {
  if (!target) return html`<span class="muted">—</span>`;
  if ('template' in target) return target.template ? html`<a class="mono" href=${href(['notifications', target.template])}>${target.template}</a>` : html`<span class="muted">inline content</span>`;
  if (target.automation) return html`automation <a class="mono" href=${href(['automations', target.automation])}>${target.automation}</a>`;
  if (target.sequence) return html`sequence <span class="mono">${target.sequence}</span>`;
  return html`<span class="mono">${JSON.stringify(target)}</span>`;
}

function SendAt({ b }) {
  if (!b.send_at) return html`<span class="muted">when started</span>`;
  return b.use_recipient_timezone ? html`<span class="mono">${b.send_at.replace('T', ' ')}</span> <span class="hint">in each recipient's zone</span>` : html`<${Time} value=${b.send_at} />`;
}

export function BroadcastsPage({ query }) {
  const list = usePaged('/broadcasts', {}, { refreshMs: 2000 });
  return html`<div>
    <div class="page-head"><div><h1>Broadcasts</h1>
      <div class="sub">One template to many recipients, paced at a rate, started now or at a time (also each recipient's local time). Newest first.</div></div></div>
    <section class="card flush">
      <table aria-label="Broadcasts">
        <thead><tr><th>Created</th><th>Name</th><th>Status</th><th>Recipients</th><th>Sends</th><th>Progress</th><th>Send at</th></tr></thead>
        <tbody>
          ${list.items.map((b) => html`<tr key=${b.id} data-broadcast-id=${b.id}>
            <td><${Time} value=${b.created_at} /></td>
            <td><a href=${href(['broadcasts', b.id])}>${b.name ?? b.id}</a></td>
            <td data-col="status"><${Badge} status=${b.status} /></td>
            <td><${SourceOf} source=${b.source} /></td>
            <td><${TargetOf} target=${b.target} /></td>
            <td class="num" data-col="progress">${done(b.progress)} / ${b.progress.targeted}</td>
            <td><${SendAt} b=${b} /></td>
          </tr>`)}
        </tbody>
      </table>
      ${!list.loading && !list.items.length && !list.error && html`<div class="empty">No broadcasts yet.</div>`}
      <${Pager} list=${list} noun="broadcast" />
    </section>
    <section class="card">
      <h2>New broadcast</h2>
      <${BroadcastForm} query=${query} />
    </section>
  </div>`;
}

/** `YYYY-MM-DDTHH:MM` from a datetime-local input: an instant in this browser's zone, or (per recipient) kept as local time. */
function sendAtValue(local, perRecipient) {
  if (!local) return undefined;
  if (perRecipient) return local;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? local : d.toISOString();
}

function BroadcastForm({ query }) {
  const initialSource = SOURCES.find((s) => query[s.key]) ?? SOURCES[0];
  const [name, setName] = useState('');
  const [sourceKind, setSourceKind] = useState(initialSource.key);
  const [sourceId, setSourceId] = useState(query[initialSource.key] ?? '');
  const [targetKind, setTargetKind] = useState('template');
  const [targetId, setTargetId] = useState('');
  const [data, setData] = useState('');
  const [rate, setRate] = useState('');
  const [sendAt, setSendAt] = useState('');
  const [perRecipient, setPerRecipient] = useState(false);
  const [start, setStart] = useState(false);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const templates = useLoad(() => get('/notifications', { limit: 100 }), []);
  const source = SOURCES.find((s) => s.key === sourceKind);

  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    if (!name.trim()) return setError('name: give the broadcast a name.');
    if (!sourceId.trim()) return setError(`${source.label}: enter the recipients' ${source.key}.`);
    if (!targetId.trim()) return setError(`${targetKind}: enter what to send.`);
    const [dataValue, problem] = parseJson(data, 'data');
    if (problem) return setError(problem);
    if (perRecipient && !sendAt) return setError("send at: each recipient's local time needs a date and time.");
    const body = { name: name.trim(), [sourceKind]: sourceId.trim(), [targetKind]: targetId.trim() };
    if (dataValue !== undefined) body.data = dataValue;
    if (rate.trim()) body.rate_per_second = Number(rate);
    const at = sendAtValue(sendAt, perRecipient);
    if (at) body.send_at = at;
    if (perRecipient) body.use_recipient_timezone = true;
    if (start) body.start = true;
    setBusy(true);
    try {
      const b = await post('/broadcasts', body);
      navigate(['broadcasts', b.id]);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return html`<form aria-label="Create a broadcast" onSubmit=${submit}>
    <div class="field"><label for="broadcast-name">Name</label>
      <input id="broadcast-name" type="text" value=${name} placeholder="e.g. March product update" onInput=${(e) => setName(e.currentTarget.value)} /></div>
    <div class="grid2">
      <div class="field"><label for="broadcast-source-kind">Recipients</label>
        <select id="broadcast-source-kind" value=${sourceKind} onChange=${(e) => setSourceKind(e.currentTarget.value)}>
          ${SOURCES.map((s) => html`<option value=${s.key}>${s.label} (${s.key})</option>`)}
        </select></div>
      <div class="field"><label for="broadcast-source">${source.label} id</label>
        <input id="broadcast-source" type="text" value=${sourceId} placeholder=${source.placeholder} onInput=${(e) => setSourceId(e.currentTarget.value)} /></div>
      <div class="field"><label for="broadcast-target-kind">Send</label>
        <select id="broadcast-target-kind" value=${targetKind} onChange=${(e) => setTargetKind(e.currentTarget.value)}>
          ${TARGETS.map((t) => html`<option value=${t.key}>${t.label}</option>`)}
        </select></div>
      <div class="field"><label for="broadcast-target">${TARGETS.find((t) => t.key === targetKind).label} id</label>
        <input id="broadcast-target" type="text" value=${targetId} list=${targetKind === 'template' ? 'broadcast-templates' : undefined}
          placeholder=${targetKind === 'template' ? 'notification template id' : `${targetKind} id`} onInput=${(e) => setTargetId(e.currentTarget.value)} />
        <datalist id="broadcast-templates">${(templates.data?.items ?? []).map((t) => html`<option value=${t.id}>${t.name}</option>`)}</datalist></div>
      <div class="field"><label for="broadcast-rate">Rate (recipients per second; empty: as fast as delivery goes)</label>
        <input id="broadcast-rate" type="number" min="1" max="1000" step="1" value=${rate} placeholder="e.g. 50" onInput=${(e) => setRate(e.currentTarget.value)} /></div>
      <div class="field"><label for="broadcast-send-at">${perRecipient ? "Send at (each recipient's local time)" : "Send at (this browser's time zone; empty: when started)"}</label>
        <input id="broadcast-send-at" type="datetime-local" value=${sendAt} onInput=${(e) => setSendAt(e.currentTarget.value)} />
        <label class="check" style="margin-top:6px"><input id="broadcast-local" type="checkbox" checked=${perRecipient} onChange=${(e) => setPerRecipient(e.currentTarget.checked)} />
          at this time in each recipient's own time zone</label></div>
    </div>
    <div class="field"><label for="broadcast-data">Data (JSON object, optional: <code>{{ data.… }}</code> in the template)</label>
      <textarea id="broadcast-data" rows="3" spellcheck="false" value=${data} placeholder='{ "edition": "March" }' onInput=${(e) => setData(e.currentTarget.value)}></textarea></div>
    <label class="check field"><input id="broadcast-start" type="checkbox" checked=${start} onChange=${(e) => setStart(e.currentTarget.checked)} />
      Start at once (otherwise it is saved as a DRAFT to start from its page)</label>
    <${ErrorBox} error=${error} />
    <div class="actions"><button class="primary" type="submit" disabled=${busy}>${busy ? 'Creating…' : 'Create broadcast'}</button>
      <span class="hint">Without a time zone of their own, recipients get the workspace's default (Topics → Delivery times), else UTC.</span></div>
  </form>`;
}

export function BroadcastPage({ id }) {
  const broadcast = useLoad(() => get(`/broadcasts/${enc(id)}`), [id], { pollMs: 1000, poll: (b) => ACTIVE.includes(b.status) });
  const [act, setAct] = useState(null);
  const b = broadcast.data;

  const run = async (action) => {
    setAct({ busy: action });
    try {
      const res = await post(`/broadcasts/${enc(id)}/${action}`);
      setAct({ done: `${action}: now ${res.status}` });
    } catch (err) {
      setAct({ error: err });
    }
    broadcast.reload();
  };

  if (!b) return html`<div class="card"><p><a href="#/broadcasts">← Broadcasts</a></p>${broadcast.error ? html`<${ErrorBox} error=${broadcast.error} />` : html`<p class="muted">Loading…</p>`}</div>`;
  const p = b.progress;
  const showBar = b.status === 'RUNNING' || b.status === 'PAUSED';
  return html`<div data-broadcast=${b.id} data-broadcast-status=${b.status}>
    <div class="page-head">
      <div>
        <p><a href="#/broadcasts">← Broadcasts</a></p>
        <h1>${b.name ?? b.id} <${Badge} status=${b.status} /></h1>
        <div class="sub mono">${b.id}</div>
      </div>
      <div class="actions" role="group" aria-label="Broadcast actions">
        ${ACTIONS.filter((a) => a.when.includes(b.status)).map((a) => html`<button type="button" class=${a.primary ? 'primary' : a.danger ? 'danger' : ''}
          data-action=${a.action} disabled=${Boolean(act?.busy)} onClick=${() => run(a.action)}>${act?.busy === a.action ? `${a.label}…` : a.label}</button>`)}
      </div>
    </div>
    <${ErrorBox} error=${act?.error} />
    <${ErrorBox} error=${broadcast.error} />
    ${act?.done && html`<${Notice}>${act.done}<//>`}
    <div class="grid2">
      <section class="card" aria-label="Progress">
        <h2>Progress</h2>
        ${showBar && html`<${ProgressBar} value=${done(p)} max=${p.targeted} label="Broadcast progress">
          ${p.targeted ? `${done(p)} of ${p.targeted} done (${Math.floor((100 * done(p)) / p.targeted)}%)` : 'Taking the recipients…'}${b.status === 'PAUSED' ? ' · paused' : ''}<//>`}
        ${b.status === 'SCHEDULED' && html`<${Notice}>Waiting to send: <${SendAt} b=${b} /><//>`}
        <dl class="kv counts">
          <dt>Targeted</dt><dd data-count="targeted">${p.targeted}</dd>
          <dt>Sent</dt><dd data-count="sent">${p.sent}</dd>
          <dt>Filtered (preferences)</dt><dd data-count="filtered">${p.filtered}</dd>
          <dt>Failed</dt><dd data-count="failed">${p.failed}</dd>
          <dt>Pending</dt><dd data-count="pending">${p.pending}</dd>
        </dl>
        ${b.error && html`<div class="step-error" style="margin-top:10px">${b.error}</div>`}
      </section>
      <section class="card">
        <h2>Details</h2>
        <dl class="kv">
          <dt>Status</dt><dd><${Badge} status=${b.status} /></dd>
          <dt>Recipients</dt><dd><${SourceOf} source=${b.source} /></dd>
          <dt>Sends</dt><dd><${TargetOf} target=${b.target} /></dd>
          <dt>Send at</dt><dd><${SendAt} b=${b} /></dd>
          <dt>Rate</dt><dd>${b.rate_per_second ? `${b.rate_per_second} per second` : html`<span class="muted">unpaced</span>`}</dd>
          <dt>Created</dt><dd><${Time} value=${b.created_at} /></dd>
          <dt>Started</dt><dd><${Time} value=${b.started_at} /></dd>
          <dt>Finished</dt><dd><${Time} value=${b.completed_at} /></dd>
          <dt>Message ids</dt><dd class="mono">${`${b.id}:<user id>`}</dd>
        </dl>
        ${Object.keys(b.data ?? {}).length > 0 && html`<details style="margin-top:10px"><summary>Data</summary><pre class="json">${JSON.stringify(b.data, null, 2)}</pre></details>`}
      </section>
    </div>
  </div>`;
}
