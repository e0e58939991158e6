// The RudderStack integration: event catalog and links, the event log (replay), outbound settings.
import { useState } from 'preact/hooks';
import { del, enc, get, post, put } from '../lib/api.js';
import { href, navigate } from '../lib/router.js';
import { Badge, CopyField, ErrorBox, Json, Notice, Pager, ProgressBar, Time, html, shortId, useLoad, usePaged } from '../lib/ui.js';
import { UserLink } from './preferences.js';

const TABS = [
  { id: 'catalog', label: 'Event catalog' },
  { id: 'log', label: 'Event log' },
  { id: 'settings', label: 'Outbound settings' },
];

export function IntegrationPage({ tab, entryId, query }) {
  return html`<div>
    <div class="page-head">
      <div>
        <h1>RudderStack</h1>
        <div class="sub">Events RudderStack sends in, the automations they start, and message events sent back out.</div>
      </div>
    </div>
    <nav class="tabs">
      ${TABS.map((t) => html`<a href=${href(['integration', t.id === 'catalog' ? '' : t.id].filter(Boolean))} class=${t.id === tab ? 'active' : ''}>${t.label}</a>`)}
    </nav>
    ${tab === 'catalog' && html`<${Catalog} />`}
    ${tab === 'log' && (entryId ? html`<${LogEntry} id=${entryId} />` : html`<${EventLog} query=${query} />`)}
    ${tab === 'settings' && html`<${Settings} />`}
  </div>`;
}

function InboundEndpoint() {
  return html`<section class="card">
    <h2>Inbound endpoint</h2>
    <p>In RudderStack, add a <strong>Courier</strong> destination, set its API key to a Herald API key, and point it at:</p>
    <${CopyField} value=${`${location.origin}/inbound/rudderstack`} label="Inbound endpoint URL" />
    <p class="hint" style="margin-top:8px">Segment-style senders can use <code>${location.origin}/inbound/segment</code>. Herald answers 202 once an event is stored.</p>
  </section>`;
}

function Catalog() {
  const list = usePaged('/inbound/events', {}, { limit: 100, refreshMs: 2500 });
  const [open, setOpen] = useState(null);
  const [error, setError] = useState(null);
  const unlink = async (eventId, target) => {
    setError(null);
    try {
      await del(`/inbound/events/${enc(eventId)}/automations/${enc(target)}`);
      list.reload();
    } catch (err) {
      setError(err);
    }
  };
  return html`<div>
    <${InboundEndpoint} />
    <section class="card flush">
      <h2>Event catalog</h2>
      <p class="hint" style="padding:0 18px">One row per event id seen. Link an event to an automation or sequence with <strong>+</strong>; a link applies to events received after it.</p>
      <${ErrorBox} error=${error} />
      <table aria-label="Event catalog">
        <thead><tr><th>Event</th><th class="num">Count</th><th>Last received</th><th>Linked automations</th><th></th></tr></thead>
        <tbody>
          ${list.items.map((e) => html`
            <tr key=${e.event_id} data-event-id=${e.event_id}>
              <td><a class="mono" href=${href(['integration', 'log'], { event: e.event_id })} title="Show this event's log">${e.event_id}</a></td>
              <td class="num" data-col="count">${e.count}</td>
              <td><${Time} value=${e.last_received} /></td>
              <td data-col="links">
                ${e.automations.length ? e.automations.map((a) => html`<span class=${`chip ${a.type}`} data-target=${a.target}>
                  <a href=${a.type === 'template' ? href(['automations', a.target]) : href(['automations'])}>${a.type === 'sequence' ? `sequence: ${a.name}` : a.name}</a>
                  <button type="button" title="Unlink" aria-label=${`Unlink ${a.name}`} onClick=${() => unlink(e.event_id, a.target)}>×</button>
                </span>`) : html`<span class="muted">none</span>`}
              </td>
              <td><button type="button" class="plus small" title="Link an automation" aria-label=${`Link an automation to ${e.event_id}`}
                onClick=${() => setOpen(open === e.event_id ? null : e.event_id)}>+</button></td>
            </tr>
            ${open === e.event_id && html`<tr class="expanded-row" key=${`${e.event_id}:link`}><td colspan="5">
              <${LinkPanel} eventId=${e.event_id} onLinked=${() => { setOpen(null); list.reload(); }} onCancel=${() => setOpen(null)} />
            </td></tr>`}
          `)}
        </tbody>
      </table>
      ${!list.loading && !list.items.length && !list.error && html`<div class="empty">No events yet. Send one to the inbound endpoint above; it appears here once processed.</div>`}
      <${Pager} list=${list} noun="event id" />
    </section>
  </div>`;
}

/** "+" on a catalog row: link an existing template or sequence, or create a new template from the event. */
function LinkPanel({ eventId, onLinked, onCancel }) {
  const options = useLoad(async () => {
    const [templates, sequences] = await Promise.all([get('/automations', { limit: 100 }), get('/automations/sequences')]);
    return { templates: templates.items, more: templates.has_more, sequences: sequences.items };
  }, [eventId]);
  const [target, setTarget] = useState('');
  const [typed, setTyped] = useState('');
  const [name, setName] = useState(`${eventId.replace(/^[a-z]+\//, '')} automation`);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  const link = async (e) => {
    e.preventDefault();
    const ref = typed.trim() || target;
    if (!ref) return setError('Choose an automation or sequence, or type a template id or alias.');
    setBusy(true);
    setError(null);
    try {
      await put(`/inbound/events/${enc(eventId)}/automations/${enc(ref)}`);
      onLinked();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const create = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const template = await post(`/inbound/events/${enc(eventId)}/automations`, { name: name.trim() });
      navigate(['automations', template.id]);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  const data = options.data;
  return html`<div class="grid2" data-link-panel=${eventId}>
    <form onSubmit=${link} aria-label="Link an existing automation">
      <h3>Link an existing automation or sequence</h3>
      <div class="inline-fields">
        <div class="field" style="flex:1">
          <label for="link-target">Automation</label>
          <select id="link-target" value=${target} onChange=${(e) => setTarget(e.currentTarget.value)} disabled=${!data}>
            <option value="">${data ? 'Choose…' : 'Loading…'}</option>
            ${data && html`<optgroup label="Automation templates">
              ${data.templates.map((t) => html`<option value=${t.id}>${t.name}${t.published_version ? ` (v${t.published_version})` : ' (draft)'}</option>`)}
            </optgroup>
            <optgroup label="Sequences (code)">
              ${data.sequences.map((s) => html`<option value=${`sequence:${s.name}`}>${s.name}</option>`)}
            </optgroup>`}
          </select>
        </div>
        <div class="field" style="flex:1">
          <label for="link-typed">…or template id / alias</label>
          <input id="link-typed" type="text" value=${typed} onInput=${(e) => setTyped(e.currentTarget.value)} placeholder=${data?.more ? 'more templates exist: type one' : 'optional'} />
        </div>
        <button class="primary" type="submit" disabled=${busy}>Link</button>
      </div>
      <${ErrorBox} error=${options.error} />
    </form>
    <form onSubmit=${create} aria-label="Create an automation from this event">
      <h3>Create a new automation from this event</h3>
      <div class="inline-fields">
        <div class="field" style="flex:1">
          <label for="new-name">Name</label>
          <input id="new-name" type="text" value=${name} onInput=${(e) => setName(e.currentTarget.value)} />
        </div>
        <button type="submit" disabled=${busy}>Create and edit</button>
        <button type="button" onClick=${onCancel}>Close</button>
      </div>
      <p class="hint" style="margin-top:6px">A draft linked to <code>${eventId}</code>, sent to the event's user (<code>refs.data.userId</code>). Publish it to make it run.</p>
    </form>
    <div style="grid-column:1/-1"><${ErrorBox} error=${error} /></div>
  </div>`;
}

const STATUSES = ['pending', 'processed', 'unmapped', 'failed', 'duplicate'];
const TYPES = ['identify', 'track', 'group', 'page', 'screen', 'alias'];

function EventLog({ query }) {
  const filter = { event: query.event ?? '', status: query.status ?? '', type: query.type ?? '' };
  const list = usePaged('/inbound/events/log', filter, { refreshMs: 2500 });
  const [open, setOpen] = useState(null);
  const [eventText, setEventText] = useState(filter.event);
  const apply = (changes) => navigate(['integration', 'log'], { ...filter, ...changes });
  return html`<section class="card flush">
    <h2>Event log</h2>
    <form class="inline-fields" style="padding:0 18px 12px" onSubmit=${(e) => { e.preventDefault(); apply({ event: eventText.trim() }); }}>
      <div class="field"><label for="log-event">Event</label>
        <input id="log-event" type="text" value=${eventText} placeholder="Signed Up or track/Signed Up" onInput=${(e) => setEventText(e.currentTarget.value)} /></div>
      <div class="field"><label for="log-type">Type</label>
        <select id="log-type" value=${filter.type} onChange=${(e) => apply({ type: e.currentTarget.value })}>
          <option value="">any</option>${TYPES.map((t) => html`<option value=${t}>${t}</option>`)}
        </select></div>
      <div class="field"><label for="log-status">Outcome</label>
        <select id="log-status" value=${filter.status} onChange=${(e) => apply({ status: e.currentTarget.value })}>
          <option value="">any</option>${STATUSES.map((s) => html`<option value=${s}>${s}</option>`)}
        </select></div>
      <button type="submit">Filter</button>
      ${(filter.event || filter.status || filter.type) && html`<a class="button" href=${href(['integration', 'log'])}>Clear</a>`}
    </form>
    <${BulkReplay} filter=${filter} />
    <table aria-label="Event log">
      <thead><tr><th>Received</th><th>Event</th><th>User</th><th>Outcome</th><th>Runs started</th><th></th></tr></thead>
      <tbody>
        ${list.items.map((e) => html`
          <tr key=${e.id} data-log-id=${e.id} data-message-id=${e.message_id}>
            <td><a href=${href(['integration', 'log', e.id])}><${Time} value=${e.received_at} /></a></td>
            <td class="mono">${e.event_id}</td>
            <td><${UserLink} id=${e.user_id} /></td>
            <td data-col="status"><${Badge} status=${e.status} />${e.duplicate_count > 0 && html` <span class="hint">+${e.duplicate_count} dup</span>`}
              ${e.error && html`<div class="step-error">${e.error}</div>`}</td>
            <td data-col="runs">${e.run_ids.length ? e.run_ids.map((id) => html`<a class="mono" href=${href(['runs', id])} style="margin-right:6px">${shortId(id)}</a>`) : html`<span class="muted">none</span>`}</td>
            <td class="actions">
              <button type="button" class="small" onClick=${() => setOpen(open === e.id ? null : e.id)}>${open === e.id ? 'Hide' : 'Body'}</button>
              <${ReplayButton} entry=${e} onDone=${list.reload} />
            </td>
          </tr>
          ${open === e.id && html`<tr class="expanded-row" key=${`${e.id}:body`}><td colspan="6"><div class="hint">messageId <code>${e.message_id}</code></div><${Json} value=${e.body} /></td></tr>`}
        `)}
      </tbody>
    </table>
    ${!list.loading && !list.items.length && !list.error && html`<div class="empty">No events match.</div>`}
    <${Pager} list=${list} noun="event" />
  </section>`;
}

/** Replays every event the log's filter matches, as one job; its progress, and earlier ones. */
function BulkReplay({ filter }) {
  const [started, setStarted] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const recent = useLoad(() => get('/inbound/replays', { limit: 5 }), [started?.id], {
    pollMs: 1000,
    poll: (page) => page.items.some((r) => r.status === 'RUNNING'),
  });
  const what = [filter.type && `type ${filter.type}`, filter.event && `event ${filter.event}`, filter.status && `outcome ${filter.status}`].filter(Boolean).join(', ') || 'every logged event';
  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      setStarted(await post('/inbound/replays', { type: filter.type || undefined, event: filter.event || undefined, status: filter.status || undefined }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const cancel = async (id) => {
    try {
      await post(`/inbound/replays/${enc(id)}/cancel`);
      recent.reload();
    } catch (err) {
      setError(err);
    }
  };
  const items = recent.data?.items ?? [];
  return html`<div class="bulk-replay" style="padding:0 18px 12px" data-bulk-replay>
    <div class="actions">
      <button type="button" onClick=${start} disabled=${busy} data-replay-all>Replay all matching</button>
      <span class="hint">Runs ${what} again through today's links (at most 10,000, oldest first).</span>
    </div>
    <${ErrorBox} error=${error} />
    ${items.map((r) => html`<div class="replay-job" data-replay-job=${r.id} data-replay-status=${r.status}>
      <${ProgressBar} value=${r.progress.processed} max=${r.progress.total} label=${`Replay ${shortId(r.id)} progress`}>
        <${Badge} status=${r.status} /> ${`${r.progress.processed.toLocaleString()} of ${r.progress.total.toLocaleString()} events replayed, ${r.progress.runs_started.toLocaleString()} runs started`}${r.progress.problems ? `, ${r.progress.problems} problems` : ''}
        <span class="hint"> · ${Object.entries(r.filter).map(([k, v]) => `${k} ${v}`).join(', ') || 'all events'} · <${Time} value=${r.created_at} /></span>
        ${r.status === 'RUNNING' && html` <button type="button" class="small" onClick=${() => cancel(r.id)}>Cancel</button>`}
      <//>
      ${r.last_problem && html`<div class="step-error">${r.last_problem}</div>`}
    </div>`)}
  </div>`;
}

function ReplayButton({ entry, onDone, showResult = false }) {
  const [state, setState] = useState(null);
  const replay = async () => {
    setState({ busy: true });
    try {
      const res = await post(`/inbound/events/log/${enc(entry.id)}/replay`);
      setState({ result: res });
      onDone?.();
    } catch (err) {
      setState({ error: err });
    }
  };
  return html`<span data-replay=${entry.id}>
    <button type="button" class="small" onClick=${replay} disabled=${state?.busy} title="Run this event again through today's links">Replay</button>
    ${state?.result && html`<span class="replay-result hint" role="status"> ${state.result.run_ids?.length
      ? html`started ${state.result.run_ids.map((id) => html`<a class="mono" href=${href(['runs', id])}>${shortId(id)} </a>`)}`
      : 'no linked automation: nothing started'}</span>`}
    ${state?.error && html`<span class="step-error"> ${state.error.message}</span>`}
    ${showResult && state?.result && html`<${Json} value=${state.result} />`}
  </span>`;
}

function LogEntry({ id }) {
  const entry = useLoad(() => get(`/inbound/events/log/${enc(id)}`), [id], { pollMs: 2000, poll: (e) => e.status === 'pending' });
  const e = entry.data;
  return html`<section class="card">
    <p><a href=${href(['integration', 'log'])}>← Event log</a></p>
    <${ErrorBox} error=${entry.error} />
    ${e && html`<div>
      <h2 class="mono">${e.event_id} <${Badge} status=${e.status} /></h2>
      <dl class="kv">
        <dt>Log id</dt><dd>${e.id}</dd>
        <dt>messageId</dt><dd class="mono">${e.message_id}</dd>
        <dt>User</dt><dd><${UserLink} id=${e.user_id} /></dd>
        <dt>Received</dt><dd><${Time} value=${e.received_at} /></dd>
        <dt>Processed</dt><dd><${Time} value=${e.processed_at} /></dd>
        <dt>Duplicates</dt><dd>${e.duplicate_count}</dd>
        <dt>Runs started</dt><dd>${e.run_ids.length ? e.run_ids.map((r) => html`<a class="mono" href=${href(['runs', r])}>${r} </a>`) : 'none'}</dd>
        ${e.error && html`<dt>Error</dt><dd class="step-error">${e.error}</dd>`}
      </dl>
      <h3>Replay</h3>
      <${ReplayButton} entry=${e} onDone=${entry.reload} />
      <h3>Body</h3>
      <${Json} value=${e.body} />
    </div>`}
  </section>`;
}

function Settings() {
  const current = useLoad(async () => {
    try {
      return await get('/integrations/rudderstack');
    } catch (err) {
      if (err.status === 404) return null;
      throw err;
    }
  }, []);
  const s = current.data;
  return html`<div class="grid2">
    <section class="card">
      <h2>Outbound to RudderStack</h2>
      <p class="hint">Message status changes (Message Sent, Delivered, Opened, …) are sent to a RudderStack source as <code>track</code> events.</p>
      <${ErrorBox} error=${current.error} />
      ${current.loading && s === undefined && html`<p class="muted">Loading…</p>`}
      ${s === null && html`<p data-outbound="none">Not configured: nothing is sent to RudderStack.</p>`}
      ${s && html`<dl class="kv" data-outbound="settings">
        <dt>Status</dt><dd><${Badge} status=${s.status ?? 'ok'} />${s.retrying_since ? html` <span class="hint" data-field="retrying_since">since <${Time} value=${s.retrying_since} /></span>` : ''}</dd>
        <dt>Write key</dt><dd class="mono" data-field="write_key">${s.write_key}</dd>
        <dt>Data plane URL</dt><dd class="mono" data-field="data_plane_url">${s.data_plane_url}</dd>
        <dt>Enabled</dt><dd data-field="enabled">${s.enabled ? 'yes' : 'no'}</dd>
        <dt>Journey events</dt><dd>${s.journey_events ? 'yes' : 'no'}</dd>
        <dt>Last error</dt><dd data-field="last_error">${s.last_error ? html`<span class="step-error">${s.last_error}</span> <span class="hint">(<${Time} value=${s.last_error_at} />)</span>` : html`<span class="muted">none</span>`}</dd>
        <dt>Last success</dt><dd><${Time} value=${s.last_success_at} /></dd>
        <dt>Events sent</dt><dd>${s.events_sent}</dd>
        <dt>Events pending</dt><dd>${s.events_pending}${s.oldest_pending_at ? html` <span class="hint">(oldest <${Time} value=${s.oldest_pending_at} />)</span>` : ''}</dd>
        <dt>Updated</dt><dd><${Time} value=${s.updated_at} /></dd>
      </dl>`}
    </section>
    ${s !== undefined && html`<${SettingsForm} current=${s} onSaved=${current.reload} />`}
  </div>`;
}

function SettingsForm({ current, onSaved }) {
  const [writeKey, setWriteKey] = useState('');
  const [url, setUrl] = useState(current?.data_plane_url ?? '');
  const [enabled, setEnabled] = useState(current?.enabled ?? true);
  const [journey, setJourney] = useState(current?.journey_events ?? false);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(null);
  const save = async (e) => {
    e.preventDefault();
    setError(null);
    setSaved(null);
    try {
      await put('/integrations/rudderstack', { write_key: writeKey, data_plane_url: url.trim(), enabled, journey_events: journey });
      setWriteKey('');
      setSaved('Saved.');
      onSaved();
    } catch (err) {
      setError(err);
    }
  };
  const remove = async () => {
    setError(null);
    try {
      await del('/integrations/rudderstack');
      setSaved('Removed.');
      onSaved();
    } catch (err) {
      setError(err);
    }
  };
  return html`<form class="card" onSubmit=${save} aria-label="Outbound settings">
    <h2>${current ? 'Change settings' : 'Set up'}</h2>
    <div class="field"><label for="write-key">Write key</label>
      <input id="write-key" type="password" autocomplete="off" value=${writeKey} onInput=${(e) => setWriteKey(e.currentTarget.value)}
        placeholder=${current ? 'enter the write key again to save' : 'the RudderStack source write key'} required />
      <div class="hint">Stored encrypted; only a masked form is ever shown.</div></div>
    <div class="field"><label for="data-plane">Data plane URL</label>
      <input id="data-plane" type="url" value=${url} onInput=${(e) => setUrl(e.currentTarget.value)} placeholder="https://your-dataplane.rudderstack.com" required /></div>
    <div class="field"><label class="check"><input type="checkbox" checked=${enabled} onChange=${(e) => setEnabled(e.currentTarget.checked)} /> Enabled</label></div>
    <div class="field"><label class="check"><input type="checkbox" checked=${journey} onChange=${(e) => setJourney(e.currentTarget.checked)} /> Also send Automation Run Started / Completed / Canceled / Failed</label></div>
    <${ErrorBox} error=${error} />
    ${saved && html`<${Notice}>${saved}<//>`}
    <div class="actions">
      <button class="primary" type="submit">Save</button>
      ${current && html`<button type="button" class="danger" onClick=${remove}>Remove integration</button>`}
    </div>
  </form>`;
}
