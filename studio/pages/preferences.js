// Consent: the workspace's subscription topics, and one user's preferences with their change history.
import { useState } from 'preact/hooks';
import { enc, get, put } from '../lib/api.js';
import { href, navigate } from '../lib/router.js';
import { Badge, ErrorBox, Notice, Pager, Time, html, useLoad, usePaged } from '../lib/ui.js';

const STATUSES = ['OPTED_IN', 'OPTED_OUT', 'REQUIRED'];
const CHANNELS = ['email', 'inbox', 'webhook', 'sms', 'push', 'chat'];
const SOURCES = { api: 'API', link: 'unsubscribe link', page: 'preferences page', mail: 'mailto unsubscribe', identify: 'RudderStack identify' };

/** A user id, linked to that user's Preferences page. */
export function UserLink({ id }) {
  if (!id) return html`<span class="muted">—</span>`;
  return html`<a href=${href(['users', id, 'preferences'])} data-user-link=${id} title=${`Preferences of ${id}`}>${id}</a>`;
}

export function TopicsPage() {
  const topics = useLoad(() => get('/preferences/topics'), []);
  const [editing, setEditing] = useState(null);
  const [lookup, setLookup] = useState('');
  const items = topics.data?.items ?? [];
  return html`<div>
    <div class="page-head"><div><h1>Subscription topics</h1>
      <div class="sub">What users can opt in to or out of. A notification template names its topic (<code>subscription_topic_id</code>); a REQUIRED topic ignores opt-outs.</div></div></div>
    <section class="card flush">
      <table aria-label="Subscription topics">
        <thead><tr><th>Id</th><th>Name</th><th>Default</th><th>Channels</th><th>Updated</th><th></th></tr></thead>
        <tbody>
          ${items.map((t) => html`<tr key=${t.id} data-topic-id=${t.id}>
            <td class="mono">${t.id}</td>
            <td data-col="name">${t.name}</td>
            <td data-col="default"><${Badge} status=${t.default_status} /></td>
            <td data-col="channels">${t.allowed_channels ? t.allowed_channels.join(', ') : html`<span class="muted">any</span>`}</td>
            <td><${Time} value=${t.updated_at} /></td>
            <td><button type="button" class="small" aria-label=${`Edit topic ${t.id}`} onClick=${() => setEditing({ ...t })}>Edit</button></td>
          </tr>`)}
        </tbody>
      </table>
      ${!topics.loading && !items.length && !topics.error && html`<div class="empty">No subscription topics yet.</div>`}
      ${topics.loading && !topics.data && html`<div class="empty">Loading…</div>`}
      ${topics.error && html`<div class="pager"><${ErrorBox} error=${topics.error} /></div>`}
    </section>
    <div class="grid2">
      <section class="card">
        <h2>Create or replace a topic</h2>
        <${TopicForm} key=${editing ? `${editing.id}:${editing.updated_at}` : 'new'} topic=${editing} onSaved=${() => topics.reload()} />
      </section>
      <section class="card">
        <h2>A user's preferences</h2>
        <form class="inline-fields" aria-label="Look up a user" onSubmit=${(e) => { e.preventDefault(); if (lookup.trim()) navigate(['users', lookup.trim(), 'preferences']); }}>
          <div class="field"><label for="lookup-user">User id</label>
            <input id="lookup-user" type="text" value=${lookup} placeholder="user id" onInput=${(e) => setLookup(e.currentTarget.value)} /></div>
          <button type="submit">Open preferences</button>
        </form>
        <p class="hint" style="margin-top:10px">The user's status per topic, toggles, and every recorded change with its source.</p>
      </section>
    </div>
    <section class="card">
      <h2>Delivery times</h2>
      <${DeliverySettingsForm} />
    </section>
  </div>`;
}

/** GET/PUT /settings/delivery: the default zone for recipients without one, and quiet hours. */
function DeliverySettingsForm() {
  const current = useLoad(() => get('/settings/delivery'), []);
  const [zone, setZone] = useState(null);
  const [quiet, setQuiet] = useState(null);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(null);
  const zoneValue = zone ?? current.data?.default_timezone ?? '';
  const quietValue = quiet ?? current.data?.quiet_hours ?? '';
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    setSaved(null);
    try {
      await put('/settings/delivery', { default_timezone: zoneValue.trim() || null, quiet_hours: quietValue.trim() || null });
      setSaved('Saved; every worker uses it within 5 seconds.');
      current.reload();
    } catch (err) {
      setError(err);
    }
  };
  return html`<form aria-label="Delivery times" onSubmit=${submit}>
    <div class="field"><label for="default-timezone">Default time zone (recipients whose profile names none)</label>
      <input id="default-timezone" type="text" value=${zoneValue} placeholder="e.g. Europe/Oslo (empty: UTC)" onInput=${(e) => setZone(e.currentTarget.value)} /></div>
    <div class="field"><label for="quiet-hours">Sending window (quiet hours are outside it; empty: none)</label>
      <input id="quiet-hours" type="text" value=${quietValue} placeholder="e.g. Mo-Su 08:00-21:00" onInput=${(e) => setQuiet(e.currentTarget.value)} /></div>
    <p class="hint">Opening-hours syntax, read in each recipient's own time zone. Outside the window, messages of topics that are not REQUIRED wait until it opens.</p>
    <${ErrorBox} error=${error} />
    ${saved && html`<${Notice}>${saved}<//>`}
    <div class="actions"><button class="primary" type="submit">Save delivery times</button></div>
  </form>`;
}

/** PUT /preferences/topics/{id} replaces the whole topic, so the form always sends every field. */
function TopicForm({ topic, onSaved }) {
  const [id, setId] = useState(topic?.id ?? '');
  const [name, setName] = useState(topic?.name ?? '');
  const [status, setStatus] = useState(topic?.default_status ?? 'OPTED_IN');
  const [channels, setChannels] = useState(topic?.allowed_channels ?? []);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(null);
  const [busy, setBusy] = useState(false);
  const toggle = (c, on) => setChannels((list) => (on ? [...list, c] : list.filter((x) => x !== c)));
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    setSaved(null);
    if (!id.trim()) return setError('Enter a topic id.');
    const body = { name, default_status: status };
    // No channel ticked means any channel (allowed_channels null).
    if (channels.length) body.channels = CHANNELS.filter((c) => channels.includes(c));
    setBusy(true);
    try {
      const t = await put(`/preferences/topics/${enc(id.trim())}`, body);
      setSaved(`Saved topic ${t.id}.`);
      onSaved();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`<form aria-label="Create or replace a topic" onSubmit=${submit}>
    <div class="field"><label for="topic-id">Topic id</label>
      <input id="topic-id" type="text" value=${id} placeholder="e.g. product-news" onInput=${(e) => setId(e.currentTarget.value)} /></div>
    <div class="field"><label for="topic-name">Name</label>
      <input id="topic-name" type="text" value=${name} placeholder="e.g. Product news" onInput=${(e) => setName(e.currentTarget.value)} /></div>
    <div class="field"><label for="topic-default">Default status</label>
      <select id="topic-default" value=${status} onChange=${(e) => setStatus(e.currentTarget.value)}>
        ${STATUSES.map((s) => html`<option value=${s}>${s}</option>`)}
      </select></div>
    <fieldset class="field plain">
      <legend>Channels (none ticked: any channel)</legend>
      ${CHANNELS.map((c) => html`<label class="check"><input type="checkbox" name="topic-channel" value=${c} checked=${channels.includes(c)}
        onChange=${(e) => toggle(c, e.currentTarget.checked)} /> ${c}</label>`)}
    </fieldset>
    <${ErrorBox} error=${error} />
    ${saved && html`<${Notice}>${saved}<//>`}
    <div class="actions">
      <button class="primary" type="submit" disabled=${busy}>${busy ? 'Saving…' : 'Save topic'}</button>
      ${topic && html`<span class="hint">Editing <code>${topic.id}</code>: saving replaces it.</span>`}
    </div>
  </form>`;
}

export function UserPreferencesPage({ userId }) {
  const prefs = useLoad(() => get(`/users/${enc(userId)}/preferences`), [userId]);
  const changes = usePaged(`/users/${enc(userId)}/preference-changes`, {});
  const [pending, setPending] = useState({});
  const [error, setError] = useState(null);
  const items = prefs.data?.items ?? [];
  const names = Object.fromEntries(items.map((p) => [p.topic_id, p.topic_name]));

  const setStatus = async (p, on) => {
    const status = on ? 'OPTED_IN' : 'OPTED_OUT';
    setError(null);
    setPending((s) => ({ ...s, [p.topic_id]: status }));
    // The PUT replaces the preference: keep the user's custom routing when only the status changes.
    const topic = p.has_custom_routing ? { status, has_custom_routing: true, custom_routing: p.custom_routing } : { status };
    try {
      await put(`/users/${enc(userId)}/preferences/${enc(p.topic_id)}`, { topic });
      await prefs.reload();
      changes.reload();
    } catch (err) {
      setError(err);
    } finally {
      setPending((s) => {
        const { [p.topic_id]: _done, ...rest } = s;
        return rest;
      });
    }
  };

  return html`<div data-user=${userId}>
    <div class="page-head"><div>
      <p><a href="#/topics">← Subscription topics</a></p>
      <h1>Preferences of <span class="mono">${userId}</span></h1>
      <div class="sub">The user's choice per topic, else the topic's default (a tenant default can apply to messages sent in a tenant's context). · <a href=${href(['messages'], { recipient: userId })}>Messages to ${userId}</a></div>
    </div></div>
    <section class="card flush">
      <h2>Topics</h2>
      <table aria-label="Preferences">
        <thead><tr><th>Topic</th><th>Status</th><th>Default</th><th>Custom routing</th><th>Set by</th><th>Receive</th></tr></thead>
        <tbody>
          ${items.map((p) => {
            const required = p.status === 'REQUIRED' || p.default_status === 'REQUIRED';
            const shown = pending[p.topic_id] ?? p.status;
            return html`<tr key=${p.topic_id} data-topic-id=${p.topic_id} data-status=${p.status}>
              <td>${p.topic_name} <span class="mono muted">${p.topic_id}</span></td>
              <td data-col="status"><${Badge} status=${p.status} /></td>
              <td><${Badge} status=${p.default_status} /></td>
              <td>${p.has_custom_routing ? (p.custom_routing.join(', ') || 'none') : html`<span class="muted">—</span>`}</td>
              <td>${p.source ? html`${SOURCES[p.source] ?? p.source} · <${Time} value=${p.updated_at} />` : html`<span class="muted">default</span>`}</td>
              <td data-col="toggle">${required
                ? html`<span class="hint">required: always sent</span>`
                : html`<label class="check"><input type="checkbox" role="switch" aria-label=${`Receive ${p.topic_name}`}
                    checked=${shown === 'OPTED_IN'} disabled=${p.topic_id in pending} onChange=${(e) => setStatus(p, e.currentTarget.checked)} />
                    ${shown === 'OPTED_IN' ? 'on' : 'off'}</label>`}</td>
            </tr>`;
          })}
        </tbody>
      </table>
      ${!prefs.loading && !items.length && !prefs.error && html`<div class="empty">This workspace has no subscription topics. <a href="#/topics">Create one</a>.</div>`}
      ${prefs.loading && !prefs.data && html`<div class="empty">Loading…</div>`}
      ${(error || prefs.error) && html`<div class="pager"><${ErrorBox} error=${error ?? prefs.error} /></div>`}
    </section>
    <section class="card flush">
      <h2>Change history</h2>
      <table aria-label="Preference changes">
        <thead><tr><th>Changed</th><th>Topic</th><th>Change</th><th>Custom routing</th><th>Source</th></tr></thead>
        <tbody>
          ${changes.items.map((c, i) => html`<tr key=${`${c.changed_at}:${c.topic_id}:${i}`} data-topic-id=${c.topic_id} data-source=${c.source} data-change-status=${c.status}>
            <td><${Time} value=${c.changed_at} /></td>
            <td>${names[c.topic_id] ?? c.topic_id} <span class="mono muted">${c.topic_id}</span></td>
            <td>${c.previous_status ? html`<${Badge} status=${c.previous_status} /> → ` : html`<span class="muted">default</span> → `}<${Badge} status=${c.status} /></td>
            <td>${c.has_custom_routing ? (c.custom_routing.join(', ') || 'none') : html`<span class="muted">—</span>`}</td>
            <td data-col="source">${SOURCES[c.source] ?? c.source} <span class="mono muted">${c.source}</span></td>
          </tr>`)}
        </tbody>
      </table>
      ${!changes.loading && !changes.items.length && !changes.error && html`<div class="empty">No changes recorded: every topic is at its default.</div>`}
      <${Pager} list=${changes} noun="change" />
    </section>
  </div>`;
}
