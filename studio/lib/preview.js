// A browser-side preview of notification templates. It fills `{{ path }}` (and `| default: "x"`)
// from a context; other Liquid filters and tags ({% if %} ...) are not evaluated and stay visible.
// Herald renders the real message with liquidjs on the server; this is only a preview.
import { html } from './ui.js';

const escapeHtml = (s) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

function lookup(scope, expr) {
  const literal = /^(['"])(.*)\1$/.exec(expr);
  if (literal) return literal[2];
  if (/^-?\d+(\.\d+)?$/.test(expr)) return Number(expr);
  let value = scope;
  for (const part of expr.split(/\.|\[|\]/).filter(Boolean)) {
    const key = part.replace(/^(['"])(.*)\1$/, '$2');
    if (value === null || value === undefined || !Object.prototype.hasOwnProperty.call(Object(value), key)) return undefined;
    value = value[key];
  }
  return value;
}

export function renderPreview(template, scope, { escape = false } = {}) {
  if (typeof template !== 'string') return template;
  return template.replace(/\{\{-?\s*([\s\S]*?)\s*-?\}\}/g, (_m, expr) => {
    const [head, ...filters] = expr.split('|').map((s) => s.trim());
    let value = lookup(scope, head);
    for (const f of filters) {
      const d = /^default\s*:\s*(['"])(.*)\1$/.exec(f);
      if (d && (value === undefined || value === null || value === '')) value = d[2];
    }
    const text = value === undefined || value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
    return escape ? escapeHtml(text) : text;
  });
}

function renderDeep(value, scope) {
  if (typeof value === 'string') return renderPreview(value, scope);
  if (Array.isArray(value)) return value.map((v) => renderDeep(v, scope));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderDeep(v, scope)]));
  return value;
}

function EmailPreview({ channel, scope }) {
  return html`<dl class="kv">
      <dt>Subject</dt><dd data-preview="email-subject">${renderPreview(channel.subject, scope)}</dd>
    </dl>
    ${channel.html !== undefined && html`<h3>HTML</h3>
      <iframe sandbox="" title="email HTML preview" srcdoc=${renderPreview(channel.html, scope, { escape: true })}></iframe>`}
    ${channel.text !== undefined && html`<h3>Text</h3><pre class="json">${renderPreview(channel.text, scope)}</pre>`}`;
}

function InboxPreview({ channel, scope }) {
  return html`<div class="inbox-card">
    <div class="title" data-preview="inbox-title">${renderPreview(channel.title, scope)}</div>
    <div data-preview="inbox-body">${renderPreview(channel.body, scope)}</div>
    ${channel.action_url && html`<div class="hint">→ ${renderPreview(channel.action_url, scope)}</div>`}
  </div>`;
}

function WebhookPreview({ channel, scope }) {
  return html`<dl class="kv">
      <dt>URL</dt><dd class="mono">${channel.url ? renderPreview(channel.url, scope) : html`<span class="muted">from the profile or the send request</span>`}</dd>
    </dl>
    <h3>Body</h3>
    <pre class="json">${channel.body ? JSON.stringify(renderDeep(channel.body, scope), null, 2) : '(the message object)'}</pre>`;
}

const VIEWS = { email: EmailPreview, inbox: InboxPreview, webhook: WebhookPreview };

/** One box per channel: the preview, and the stored template underneath. */
export function ChannelPreviews({ notification, scope, used }) {
  const channels = Object.entries(notification.channels ?? {});
  if (!channels.length) return html`<p class="muted">This template has no channels.</p>`;
  if (used) channels.sort(([a], [b]) => Number(used.includes(b)) - Number(used.includes(a)));
  return channels.map(([name, channel]) => {
    const View = VIEWS[name];
    const label = !used ? 'preview' : used.includes(name) ? 'preview · sent on this channel' : 'preview · not used for this message';
    return html`<section class="preview" data-channel=${name}>
      <header><strong>${name}</strong><span class="hint">${label}</span></header>
      <div class="body">
        ${View ? html`<${View} channel=${channel} scope=${scope} />` : html`<p class="muted">No preview for this channel.</p>`}
        <details><summary>Stored template (Liquid)</summary><pre class="json">${JSON.stringify(channel, null, 2)}</pre></details>
      </div>
    </section>`;
  });
}
