// Messages: list with filters, and a message's page (status timeline, preview per channel).
import { useState } from 'preact/hooks';
import { enc, get, post } from '../lib/api.js';
import { href, navigate } from '../lib/router.js';
import { Badge, ErrorBox, Json, Notice, Pager, Time, html, statusClass, useLoad, usePaged } from '../lib/ui.js';
import { UserLink } from './preferences.js';

export const MESSAGE_STATUSES = ['ENQUEUED', 'SENT', 'DELIVERED', 'OPENED', 'CLICKED', 'UNDELIVERABLE', 'UNROUTABLE', 'UNMAPPED', 'CANCELED', 'FILTERED'];
const FINAL = ['CLICKED', 'UNDELIVERABLE', 'UNROUTABLE', 'UNMAPPED', 'CANCELED', 'FILTERED'];
// A delivered message can carry a reason too (channels skipped on the way); it is shown next to the status only when the message did not go out.
const NOT_SENT = ['UNDELIVERABLE', 'UNROUTABLE', 'UNMAPPED', 'CANCELED', 'FILTERED'];
const FILTER_REASONS = {
  UNSUBSCRIBED: "the recipient opted out of this message's subscription topic",
  OPT_IN_REQUIRED: "this message's topic is opt-in (default OPTED_OUT) and the recipient has not opted in",
};

/** The status badge, and the reason beside it when the message was not sent (e.g. FILTERED · UNSUBSCRIBED). */
export function StatusWithReason({ m }) {
  return html`<${Badge} status=${m.status} />${m.reason && NOT_SENT.includes(m.status) && html` <span class="reason" data-reason=${m.reason}>${m.reason}</span>`}`;
}

export function MessagesPage({ query }) {
  const filter = { status: query.status ?? '', recipient: query.recipient ?? '', run_id: query.run_id ?? '' };
  const list = usePaged('/messages', filter, { refreshMs: 2500 });
  const [recipient, setRecipient] = useState(filter.recipient);
  const apply = (changes) => navigate(['messages'], { ...filter, ...changes });
  return html`<div>
    <div class="page-head"><div><h1>Messages</h1><div class="sub">Every delivery to one recipient, newest first.</div></div></div>
    <section class="card flush">
      <form class="inline-fields" style="padding:14px 18px" aria-label="Filter messages" onSubmit=${(e) => { e.preventDefault(); apply({ recipient: recipient.trim() }); }}>
        <div class="field"><label for="msg-status">Status</label>
          <select id="msg-status" value=${filter.status} onChange=${(e) => apply({ status: e.currentTarget.value })}>
            <option value="">any</option>${MESSAGE_STATUSES.map((s) => html`<option value=${s}>${s}</option>`)}
          </select></div>
        <div class="field"><label for="msg-recipient">Recipient</label>
          <input id="msg-recipient" type="text" value=${recipient} placeholder="user id" onInput=${(e) => setRecipient(e.currentTarget.value)} /></div>
        <button type="submit">Filter</button>
        ${(filter.status || filter.recipient || filter.run_id) && html`<a class="button" href="#/messages">Clear</a>`}
      </form>
      <table aria-label="Messages">
        <thead><tr><th>Enqueued</th><th>Status</th><th>Recipient</th><th>Template</th><th>Channels</th><th>Message</th></tr></thead>
        <tbody>
          ${list.items.map((m) => html`<tr key=${m.id} data-message-id=${m.id}>
            <td><${Time} value=${m.enqueued} /></td>
            <td data-col="status"><${StatusWithReason} m=${m} /></td>
            <td>${m.recipient ? html`<${UserLink} id=${m.recipient} />` : m.to?.email ?? html`<span class="muted">—</span>`}</td>
            <td>${m.notification ? html`<a href=${href(['notifications', m.notification])}>${m.notification}</a>` : html`<span class="muted">inline content</span>`}</td>
            <td>${(m.channels ?? []).join(', ')}</td>
            <td><a class="mono" href=${href(['messages', m.id])}>${m.id}</a></td>
          </tr>`)}
        </tbody>
      </table>
      ${!list.loading && !list.items.length && !list.error && html`<div class="empty">No messages match.</div>`}
      <${Pager} list=${list} noun="message" />
    </section>
  </div>`;
}

export function MessagePage({ id }) {
  const msg = useLoad(async () => {
    const [m, history] = await Promise.all([get(`/messages/${enc(id)}`), get(`/messages/${enc(id)}/history`)]);
    return { ...m, history: history.items, attempts: history.attempts ?? [] };
  }, [id], { pollMs: 2000, poll: (m) => !FINAL.includes(m.status) });
  const [cancel, setCancel] = useState(null);
  const m = msg.data;
  if (!m) return html`<div class="card"><p><a href="#/messages">← Messages</a></p>${msg.error ? html`<${ErrorBox} error=${msg.error} />` : html`<p class="muted">Loading…</p>`}</div>`;

  const onCancel = async () => {
    try {
      await post(`/messages/${enc(id)}/cancel`);
      setCancel({ ok: true });
      msg.reload();
    } catch (err) {
      setCancel({ error: err });
    }
  };

  return html`<div data-message=${m.id}>
    <div class="page-head">
      <div>
        <p><a href="#/messages">← Messages</a></p>
        <h1>Message <span class="mono" style="font-size:17px">${m.id}</span> <span data-message-status=${m.status} data-message-reason=${NOT_SENT.includes(m.status) ? m.reason ?? undefined : undefined}><${StatusWithReason} m=${m} /></span></h1>
        <div class="sub">to ${m.recipient ? html`<${UserLink} id=${m.recipient} />` : m.to?.email ?? '—'}${m.notification ? html` · template <a href=${href(['notifications', m.notification])}>${m.notification}</a>` : ''}</div>
      </div>
      <div class="actions">
        ${m.status === 'ENQUEUED' && html`<button type="button" class="danger" onClick=${onCancel}>Cancel message</button>`}
      </div>
    </div>
    ${m.status === 'FILTERED' && html`<div class="filtered-note" role="note" data-filtered-reason=${m.reason ?? ''}>
      Not sent: <strong>FILTERED</strong>${m.reason ? html`, <strong>${m.reason}</strong>` : ''}${FILTER_REASONS[m.reason] ? ` — ${FILTER_REASONS[m.reason]}.` : '.'}
      ${m.recipient && html` <a href=${href(['users', m.recipient, 'preferences'])}>${m.recipient}'s preferences</a>`}
    </div>`}
    ${m.status === 'ENQUEUED' && m.scheduled_for && html`<div class="filtered-note" role="note" data-scheduled-for=${m.scheduled_for}>
      Waiting until <strong><${Time} value=${m.scheduled_for} /></strong>${m.reason?.startsWith('QUIET_HOURS') ? ' (quiet hours)' : ' (delay)'}; it can still be canceled.
    </div>`}
    <${ErrorBox} error=${cancel?.error} />
    ${cancel?.ok && html`<${Notice}>Canceled.<//>`}
    <div class="grid2">
      <div>
        <section class="card">
          <h2>History</h2>
          <ol class="timeline" aria-label="Message history">
            ${m.history.map((e) => html`<li class=${`st-${statusClass(e.status)}`} data-history-status=${e.status}>
              <div class="tl-head"><span class="tl-title">${e.status}</span>${e.channel && html`<span class="hint">${e.channel}</span>`}</div>
              <div class="tl-times"><${Time} value=${e.at} /></div>
              ${e.detail && html`<details><summary>Detail</summary><${Json} value=${e.detail} /></details>`}
            </li>`)}
          </ol>
        </section>
        ${m.attempts.length > 0 && html`<${ProviderAttempts} attempts=${m.attempts} />`}
        <section class="card">
          <h2>Details</h2>
          <dl class="kv">
            <dt>Status</dt><dd><${Badge} status=${m.status} /></dd>
            ${m.error && html`<dt>Error</dt><dd class="step-error">${m.error}</dd>`}
            ${m.reason && html`<dt>Reason</dt><dd>${m.reason}</dd>`}
            ${m.scheduled_for && html`<dt>Scheduled for</dt><dd><${Time} value=${m.scheduled_for} /></dd>`}
            <dt>Channels</dt><dd>${(m.channels ?? []).join(', ') || '—'}</dd>
            ${m.run_id && html`<dt>Run</dt><dd><a class="mono" href=${href(['runs', m.run_id])}>${m.run_id}</a></dd>`}
            ${m.request_id && html`<dt>Request</dt><dd class="mono">${m.request_id}</dd>`}
            <dt>To</dt><dd class="mono">${JSON.stringify(m.to)}</dd>
          </dl>
          <details style="margin-top:10px"><summary>Providers</summary><${Json} value=${m.providers} /></details>
        </section>
      </div>
      <${MessagePreview} message=${m} />
    </div>
  </div>`;
}

/** Every request to a configured provider, in order (failovers included): what each answered. */
function ProviderAttempts({ attempts }) {
  return html`<section class="card" aria-label="Provider attempts">
    <h2>Provider attempts</h2>
    <table aria-label="Provider attempts">
      <thead><tr><th scope="col">Provider</th><th scope="col">Outcome</th><th scope="col">Answer</th><th scope="col">Sent</th></tr></thead>
      <tbody>
        ${attempts.map((a, i) => html`<tr data-attempt=${i} data-attempt-provider=${a.provider_id} data-attempt-state=${a.state}>
          <td><a href=${href(['providers'])}>${a.provider_id}</a><div class="hint">${a.provider} · ${a.channel}</div></td>
          <td data-col="state"><${Badge} status=${a.state} />${a.status_code !== null && html` <span class="mono" data-col="status-code">${a.status_code}</span>`}</td>
          <td data-col="answer">${a.error && html`<div class="step-error">${a.error}</div>`}${a.response && html`<details><summary>Response</summary><pre class="json">${a.response}</pre></details>`}${a.provider_message_id && html`<div class="mono hint">${a.provider_message_id}</div>`}</td>
          <td>${a.sent_at ? html`<${Time} value=${a.sent_at} />` : html`<span class="muted">not sent</span>`}</td>
        </tr>`)}
      </tbody>
    </table>
  </section>`;
}

/** What Herald rendered and sent, per channel (GET /messages/{id}/output), not today's template re-rendered. */
function MessagePreview({ message }) {
  const output = useLoad(() => get(`/messages/${enc(message.id)}/output`), [message.id, message.status]);
  const results = output.data?.results ?? [];
  return html`<section class="card" aria-label="Sent content">
    <h2>Sent content per channel</h2>
    <${ErrorBox} error=${output.error} />
    ${output.data && !results.length && html`<p class="muted">${message.status === 'ENQUEUED' ? 'Not rendered yet: it is rendered when it is sent.' : 'Nothing was rendered for this message (it did not reach a channel).'}</p>`}
    ${results.map((r) => html`<section class="preview" data-channel=${r.channel} data-output-status=${r.status}>
      <header><strong>${r.channel}</strong><span class="hint">${r.status}${r.error ? ` · ${r.error}` : ''}</span></header>
      <div class="body">
        ${r.channel === 'email' && html`<p><strong>Subject:</strong> <span data-output="subject">${r.content.subject ?? ''}</span></p>
          ${r.content.html && html`<iframe sandbox="" title="email HTML as sent" srcdoc=${r.content.html}></iframe>`}
          ${r.content.text && html`<pre class="json" data-output="text">${r.content.text}</pre>`}
          ${r.content.headers && html`<details><summary>Headers</summary><pre class="json">${JSON.stringify(r.content.headers, null, 2)}</pre></details>`}`}
        ${r.channel === 'inbox' && html`<p><strong data-output="title">${r.content.title ?? ''}</strong></p><p data-output="body">${r.content.body ?? ''}</p>
          ${r.content.action_url && html`<p class="hint">Action: ${r.content.action_url}</p>`}`}
        ${r.channel === 'webhook' && html`<pre class="json" data-output="body">${r.content.body}</pre>`}
        ${r.channel === 'sms' && html`<p class="sms-bubble" data-output="text">${r.content.text ?? ''}</p>`}
        ${r.channel === 'push' && html`<p><strong data-output="title">${r.content.title ?? ''}</strong></p><p data-output="body">${r.content.body ?? ''}</p>
          ${r.content.data && Object.keys(r.content.data).length > 0 && html`<details><summary>Data</summary><${Json} value=${r.content.data} /></details>`}`}
        ${r.channel === 'chat' && html`<p data-output="text">${r.content.text ?? ''}</p>
          ${r.content.blocks && html`<details><summary>Blocks</summary><${Json} value=${r.content.blocks} /></details>`}`}
      </div>
    </section>`)}
  </section>`;
}
