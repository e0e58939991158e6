// Notification templates: list, and one template per channel with a preview over sample data.
import { useMemo, useState } from 'preact/hooks';
import { enc, get } from '../lib/api.js';
import { href } from '../lib/router.js';
import { ChannelPreviews } from '../lib/preview.js';
import { ErrorBox, Pager, Time, html, parseJson, useLoad, usePaged } from '../lib/ui.js';

export function NotificationsPage() {
  const list = usePaged('/notifications', {});
  return html`<div>
    <div class="page-head"><div><h1>Notification templates</h1>
      <div class="sub">Liquid content per channel and how to route between channels. Create or change them with <code>PUT /notifications/{id}</code>.</div></div></div>
    <section class="card flush">
      <table aria-label="Notification templates">
        <thead><tr><th>Id</th><th>Name</th><th>Channels</th><th>Routing</th><th>Updated</th><th></th></tr></thead>
        <tbody>
          ${list.items.map((n) => html`<tr key=${n.id} data-notification-id=${n.id}>
            <td class="mono"><a href=${href(['notifications', n.id])}>${n.id}</a></td>
            <td>${n.name}</td>
            <td>${Object.keys(n.channels ?? {}).join(', ')}</td>
            <td>${n.routing ? `${n.routing.method}: ${n.routing.channels.join(' → ')}` : html`<span class="muted">default</span>`}</td>
            <td><${Time} value=${n.updated_at} /></td>
            <td><a href=${href(['notifications', n.id])}>preview</a></td>
          </tr>`)}
        </tbody>
      </table>
      ${!list.loading && !list.items.length && !list.error && html`<div class="empty">No notification templates yet.</div>`}
      <${Pager} list=${list} noun="template" />
    </section>
  </div>`;
}

/** A sample context with every `{{ variable }}` the template uses, each set to its own path. */
export function sampleFor(notification) {
  const sample = { data: {}, profile: {}, recipient: 'user-1' };
  const text = JSON.stringify(notification.channels ?? {});
  for (const [, expr] of text.matchAll(/\{\{-?\s*([A-Za-z_][\w.]*)/g)) {
    const parts = expr.split('.');
    if (!['data', 'profile', 'tenant'].includes(parts[0]) || parts.length < 2) continue;
    let node = (sample[parts[0]] ??= {});
    for (const part of parts.slice(1, -1)) node = typeof node[part] === 'object' && node[part] ? node[part] : (node[part] = {});
    node[parts[parts.length - 1]] ??= `‹${expr}›`;
  }
  return JSON.stringify(sample, null, 2);
}

export function NotificationPage({ id }) {
  const [sample, setSample] = useState('');
  const n = useLoad(async () => {
    const t = await get(`/notifications/${enc(id)}`);
    setSample(sampleFor(t));
    return t;
  }, [id]);
  const [scope, error] = useMemo(() => parseJson(sample, 'Sample data'), [sample]);
  if (!n.data) return html`<div class="card"><p><a href="#/notifications">← Notification templates</a></p>${n.error ? html`<${ErrorBox} error=${n.error} />` : html`<p class="muted">Loading…</p>`}</div>`;
  const t = n.data;
  return html`<div data-notification=${t.id}>
    <div class="page-head"><div>
      <p><a href="#/notifications">← Notification templates</a></p>
      <h1>${t.name} <span class="mono muted" style="font-size:15px">${t.id}</span></h1>
      <div class="sub">Routing: ${t.routing ? `${t.routing.method}, ${t.routing.channels.join(' → ')}` : 'default'} · updated <${Time} value=${t.updated_at} /></div>
    </div></div>
    <div class="grid2">
      <section class="card">
        <h2>Preview per channel</h2>
        <p class="hint">Filled in the browser from the sample on the right: <code>{{ variables }}</code> only; Liquid tags and filters other than <code>default</code> are shown as written. Herald renders the real message with Liquid when it sends.</p>
        <${ChannelPreviews} notification=${t} scope=${{ data: {}, profile: {}, recipient: '', tenant: {}, ...(scope ?? {}) }} />
      </section>
      <section class="card">
        <h2>Sample context</h2>
        <p class="hint">Prefilled with every variable the template uses; change the values to see the preview change.</p>
        <div class="field"><label for="sample">data, profile, recipient, tenant (JSON)</label>
          <textarea id="sample" rows="12" spellcheck="false" value=${sample} onInput=${(e) => setSample(e.currentTarget.value)}></textarea></div>
        <${ErrorBox} error=${error} />
      </section>
    </div>
  </div>`;
}
