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

// GSM 03.38: the basic set (one septet each) and the extension set (an escape plus one: two).
const GSM_BASIC = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENDED = '^{}\\[~]|€\f';

/**
 * Characters and segments of an SMS: GSM-7 text is 160 characters in one segment, 153 per
 * segment when concatenated; text with any other character goes as UCS-2 (70, then 67).
 */
export function smsSegments(text) {
  const chars = [...text];
  const gsm = chars.every((c) => GSM_BASIC.includes(c) || GSM_EXTENDED.includes(c));
  const length = gsm ? chars.reduce((n, c) => n + (GSM_EXTENDED.includes(c) ? 2 : 1), 0) : text.length;
  const [single, multi] = gsm ? [160, 153] : [70, 67];
  const segments = length === 0 ? 0 : length <= single ? 1 : Math.ceil(length / multi);
  return { encoding: gsm ? 'GSM-7' : 'UCS-2', length, segments, perSegment: segments > 1 ? multi : single };
}

function SmsPreview({ channel, scope }) {
  const text = renderPreview(channel.text ?? '', scope);
  const s = smsSegments(text);
  return html`<div class="phone">
      <div class="sms-bubble" data-preview="sms-text">${text}</div>
    </div>
    <p class="hint" data-preview="sms-count" data-chars=${s.length} data-segments=${s.segments}>
${`${s.length} ${s.length === 1 ? 'character' : 'characters'} · ${s.segments} ${s.segments === 1 ? 'segment' : 'segments'} (${s.encoding}, ${s.perSegment} per segment${s.segments > 1 ? ' when concatenated' : ''})`}</p>`;
}

function PushPreview({ channel, scope }) {
  return html`<div class="push-card">
      <div class="title" data-preview="push-title">${renderPreview(channel.title, scope)}</div>
      <div data-preview="push-body">${renderPreview(channel.body, scope)}</div>
    </div>
    ${channel.data !== undefined && html`<h3>Data</h3><pre class="json" data-preview="push-data">${JSON.stringify(renderDeep(channel.data, scope), null, 2)}</pre>`}`;
}

function ChatPreview({ channel, scope }) {
  return html`${channel.text !== undefined && html`<div class="chat-message" data-preview="chat-text">${renderPreview(channel.text, scope)}</div>`}
    ${channel.blocks !== undefined && html`<h3>Blocks</h3><pre class="json" data-preview="chat-blocks">${JSON.stringify(renderDeep(channel.blocks, scope), null, 2)}</pre>`}`;
}

const VIEWS = { email: EmailPreview, inbox: InboxPreview, webhook: WebhookPreview, sms: SmsPreview, push: PushPreview, chat: ChatPreview };

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
