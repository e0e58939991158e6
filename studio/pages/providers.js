// Providers: the workspace's SMS, push, chat and email providers by channel, in the order they are
// tried; a form to add or change one (config as JSON, secrets shown masked and kept when saved back
// masked), delete with an in-place confirm, and a test send through one provider.
import { useState } from 'preact/hooks';
import { del, enc, get, post, put } from '../lib/api.js';
import { Badge, ErrorBox, Notice, Time, html, parseJson, useLoad } from '../lib/ui.js';

const CHANNELS = ['sms', 'push', 'chat', 'email'];

/** The providers of each channel, with a starting config for a new one (secrets as placeholders to replace). */
const PROVIDERS = {
  sms: {
    twilio: { account_sid: 'AC…', auth_token: '', from: '+15005550006' },
    'http-sms': { url: 'https://sms.example.com/messages', api_key: '' },
  },
  push: {
    fcm: { service_account: { project_id: '', client_email: '', private_key: '' } },
    apns: { key_id: '', team_id: '', private_key: '-----BEGIN PRIVATE KEY-----\n…\n-----END PRIVATE KEY-----', bundle_id: 'com.example.app' },
    expo: {},
  },
  chat: {
    slack: { bot_token: 'xoxb-…', default_channel: '#general' },
    'slack-webhook': { webhook_url: 'https://hooks.slack.com/services/…' },
    'teams-webhook': { webhook_url: 'https://example.webhook.office.com/…' },
  },
  email: {
    sendgrid: { api_key: '', from_email: 'noreply@example.com' },
    smtp: {},
  },
};

/** Config fields each provider keeps sealed (the API shows them masked, e.g. "abcd…"). */
const SECRET_FIELDS = { twilio: ['auth_token'], 'http-sms': ['api_key'], fcm: ['service_account'], apns: ['private_key'], expo: ['access_token'], slack: ['bot_token'], 'slack-webhook': ['webhook_url'], 'teams-webhook': ['webhook_url'], sendgrid: ['api_key'] };

/**
 * The config as shown and prefilled: the API already masks secrets; a secret field that somehow
 * is not masked is masked here too, so the Studio never shows one whole.
 */
export function maskedConfig(provider, config) {
  const out = { ...(config ?? {}) };
  for (const field of SECRET_FIELDS[provider] ?? []) {
    const v = out[field];
    if (v !== undefined && !(typeof v === 'string' && v.includes('…'))) out[field] = typeof v === 'string' && v.length >= 16 ? `${v.slice(0, 4)}…` : '…';
  }
  return out;
}

/** failover_after_ms as the API accepts it back ("5m", "30s", or ms). */
export function formatDuration(ms) {
  if (!ms) return '';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return String(ms);
}

export function ProvidersPage() {
  const list = useLoad(() => get('/providers'), []);
  const [editing, setEditing] = useState(null); // null: a new provider; else the provider being changed
  const [formKey, setFormKey] = useState(0);
  const [testing, setTesting] = useState(null);
  const [error, setError] = useState(null);
  const [savedId, setSavedId] = useState(null);
  const items = list.data?.items ?? [];
  const edit = (p) => {
    setSavedId(null);
    setEditing(p);
    setFormKey((k) => k + 1);
    requestAnimationFrame(() => document.getElementById('provider-form')?.scrollIntoView({ block: 'start' }));
  };
  const onSaved = async (saved) => {
    await list.reload();
    setSavedId(saved.id);
    // The form goes on with what the API stored (secrets masked): what was typed is not kept.
    setEditing(saved);
    setFormKey((k) => k + 1);
  };
  const onDeleted = async (id) => {
    if (editing?.id === id) {
      setEditing(null);
      setFormKey((k) => k + 1);
    }
    if (testing === id) setTesting(null);
    await list.reload();
  };
  return html`<div>
    <div class="page-head"><div><h1>Providers</h1>
      <div class="sub">Where SMS, push, chat (and email) go out: per channel, enabled providers are tried in priority order (lower first), failing over on errors that are not the recipient's. Secrets are stored sealed and only ever shown masked.</div></div>
      <div class="actions"><button type="button" class="primary" onClick=${() => edit(null)}>Add a provider</button></div>
    </div>
    <${ErrorBox} error=${error ?? list.error} />
    ${list.loading && !list.data && html`<p class="muted">Loading…</p>`}
    ${list.data && CHANNELS.map((channel) => html`<${ChannelProviders} key=${channel} channel=${channel}
      providers=${items.filter((p) => p.channel === channel)} testing=${testing} setTesting=${setTesting}
      onEdit=${edit} onDeleted=${onDeleted} setError=${setError} />`)}
    <section class="card" id="provider-form">
      <h2>${editing ? html`Edit provider <span class="mono">${editing.id}</span>` : 'Add a provider'}</h2>
      ${savedId && html`<${Notice}>Saved provider <span class="mono">${savedId}</span>.<//>`}
      <${ProviderForm} key=${formKey} initial=${editing} onSaved=${onSaved} onCancel=${() => edit(null)} />
    </section>
  </div>`;
}

function ChannelProviders({ channel, providers, testing, setTesting, onEdit, onDeleted, setError }) {
  let rank = 0;
  return html`<section class="card flush" data-channel-providers=${channel}>
    <h2>${channel}</h2>
    ${providers.length
      ? html`<table aria-label=${`${channel} providers`}>
          <thead><tr><th>Order</th><th>Id</th><th>Provider</th><th class="num">Priority</th><th>Rate limit</th><th>Attempts · failover</th><th>State</th><th>Config</th><th></th></tr></thead>
          <tbody>
            ${providers.map((p) => html`
              <tr key=${p.id} data-provider-id=${p.id} data-priority=${p.priority} data-enabled=${String(p.enabled)}>
                <td data-col="order">${p.enabled ? ++rank : html`<span class="muted">skipped</span>`}</td>
                <td class="mono">${p.id}</td>
                <td data-col="provider">${p.provider}</td>
                <td class="num" data-col="priority">${p.priority}</td>
                <td data-col="rate-limit">${p.rate_limit === null ? html`<span class="muted">none</span>` : `${p.rate_limit} msg/s`}</td>
                <td data-col="attempts">${p.max_attempts} · ${formatDuration(p.failover_after_ms)}</td>
                <td data-col="enabled"><${Badge} status=${p.enabled ? 'ACTIVE' : 'PAUSED'}>${p.enabled ? 'enabled' : 'disabled'}<//></td>
                <td data-col="config"><pre class="json provider-config">${JSON.stringify(maskedConfig(p.provider, p.config), null, 2)}</pre>
                  ${p.receipt_secret && html`<div class="hint">receipt secret <span class="mono">${p.receipt_secret}</span></div>`}
                  <div class="hint">receipts: <span class="mono">${p.receipt_url}</span></div>
                  <div class="hint">updated <${Time} value=${p.updated_at} /></div></td>
                <td><${ProviderActions} p=${p} onEdit=${onEdit} onDeleted=${onDeleted} setError=${setError}
                  testing=${testing === p.id} onTest=${() => setTesting(testing === p.id ? null : p.id)} /></td>
              </tr>
              ${testing === p.id && html`<tr class="expanded-row" key=${`${p.id}:test`}><td colspan="9">
                <${TestSend} p=${p} onClose=${() => setTesting(null)} />
              </td></tr>`}
            `)}
          </tbody>
        </table>`
      : html`<div class="empty">No ${channel} providers.${channel === 'email' ? ' Email goes out through the installation\'s SMTP_URL.' : ` Messages on the ${channel} channel are skipped until one is added.`}</div>`}
  </section>`;
}

function ProviderActions({ p, onEdit, onDeleted, setError, testing, onTest }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const remove = async () => {
    setError(null);
    setBusy(true);
    try {
      await del(`/providers/${enc(p.id)}`);
      setConfirming(false);
      await onDeleted(p.id);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`<div class="actions">
    <button type="button" class="small" data-action="edit" aria-label=${`Edit provider ${p.id}`} onClick=${() => onEdit(p)}>Edit</button>
    <button type="button" class="small" data-action="test" aria-label=${`Test send through ${p.id}`} aria-expanded=${testing ? 'true' : 'false'} onClick=${onTest}>Test send</button>
    ${confirming
      ? html`<button type="button" class="small danger" data-action="confirm-delete" aria-label=${`Confirm deleting provider ${p.id}`} disabled=${busy} onClick=${remove}>${busy ? 'Deleting…' : 'Confirm delete'}</button>
          <button type="button" class="small" aria-label=${`Keep provider ${p.id}`} onClick=${() => setConfirming(false)}>Keep</button>`
      : html`<button type="button" class="small danger" data-action="delete" aria-label=${`Delete provider ${p.id}`} onClick=${() => setConfirming(true)}>Delete</button>`}
  </div>`;
}

const exampleConfig = (channel, provider) => JSON.stringify(PROVIDERS[channel]?.[provider] ?? {}, null, 2);

/** PUT /providers/{id}: every field sent (a replace); secrets sent back masked keep the stored ones. */
function ProviderForm({ initial, onSaved, onCancel }) {
  const start = initial ?? { channel: 'sms', provider: 'twilio' };
  const [channel, setChannel] = useState(start.channel);
  const [provider, setProvider] = useState(start.provider);
  const [id, setId] = useState(initial?.id ?? '');
  const [priority, setPriority] = useState(String(initial?.priority ?? 100));
  const [rateLimit, setRateLimit] = useState(initial?.rate_limit === null || initial?.rate_limit === undefined ? '' : String(initial.rate_limit));
  const [maxAttempts, setMaxAttempts] = useState(String(initial?.max_attempts ?? 5));
  const [failoverAfter, setFailoverAfter] = useState(initial ? formatDuration(initial.failover_after_ms) : '5m');
  const [enabled, setEnabled] = useState(initial?.enabled ?? true);
  const [receiptSecret, setReceiptSecret] = useState('');
  const [configText, setConfigText] = useState(initial ? JSON.stringify(maskedConfig(initial.provider, initial.config), null, 2) : exampleConfig(start.channel, start.provider));
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  // A config still as the example left it follows the provider choice.
  const untouched = configText === exampleConfig(channel, provider) || !configText.trim();
  const choose = (nextChannel, nextProvider) => {
    if (untouched && !initial) setConfigText(exampleConfig(nextChannel, nextProvider));
    setChannel(nextChannel);
    setProvider(nextProvider);
  };
  const known = PROVIDERS[channel] ?? {};
  const providerOptions = Object.keys(known).includes(provider) ? Object.keys(known) : [...Object.keys(known), provider];

  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    const providerId = id.trim();
    if (!providerId) return setError('Enter a provider id.');
    const [config, jsonError] = parseJson(configText, 'Config');
    if (jsonError) return setError(jsonError);
    if (config !== undefined && (typeof config !== 'object' || config === null || Array.isArray(config))) return setError('Config must be a JSON object.');
    const num = (text) => (text.trim() === '' ? undefined : Number(text));
    const body = {
      channel,
      provider,
      config: config ?? {},
      priority: num(priority),
      rate_limit: rateLimit.trim() === '' ? null : Number(rateLimit),
      max_attempts: num(maxAttempts),
      failover_after: failoverAfter.trim() === '' ? undefined : /^\d+$/.test(failoverAfter.trim()) ? Number(failoverAfter.trim()) : failoverAfter.trim(),
      enabled,
      ...(receiptSecret ? { receipt_secret: receiptSecret } : {}),
    };
    setBusy(true);
    try {
      const result = await put(`/providers/${enc(providerId)}`, body);
      await onSaved(result);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return html`<form aria-label=${initial ? `Edit provider ${initial.id}` : 'Add a provider'} onSubmit=${submit} data-provider-form=${initial?.id ?? 'new'}>
    <div class="inline-fields">
      <div class="field"><label for="provider-channel">Channel</label>
        <select id="provider-channel" value=${channel} onChange=${(e) => { const c = e.currentTarget.value; choose(c, Object.keys(PROVIDERS[c])[0]); }}>
          ${CHANNELS.map((c) => html`<option value=${c}>${c}</option>`)}
        </select></div>
      <div class="field"><label for="provider-kind">Provider</label>
        <select id="provider-kind" value=${provider} onChange=${(e) => choose(channel, e.currentTarget.value)}>
          ${providerOptions.map((p) => html`<option value=${p}>${p}</option>`)}
        </select></div>
      <div class="field" style="flex:1"><label for="provider-id">Id</label>
        <input id="provider-id" type="text" value=${id} placeholder="e.g. twilio-main" readonly=${Boolean(initial)} aria-describedby=${initial ? 'provider-id-hint' : undefined}
          onInput=${(e) => setId(e.currentTarget.value)} /></div>
    </div>
    ${initial && html`<p class="hint" id="provider-id-hint">To save it under another id, use “Add a provider” (its secrets are not copied).</p>`}
    <div class="inline-fields" style="margin-top:10px">
      <div class="field"><label for="provider-priority">Priority (lower is tried first)</label>
        <input id="provider-priority" type="number" min="0" max="10000" step="1" value=${priority} onInput=${(e) => setPriority(e.currentTarget.value)} /></div>
      <div class="field"><label for="provider-rate">Rate limit (messages/s, empty: none)</label>
        <input id="provider-rate" type="number" min="0" step="any" value=${rateLimit} placeholder="none" onInput=${(e) => setRateLimit(e.currentTarget.value)} /></div>
      <div class="field"><label for="provider-attempts">Max attempts before failover</label>
        <input id="provider-attempts" type="number" min="1" max="100" step="1" value=${maxAttempts} onInput=${(e) => setMaxAttempts(e.currentTarget.value)} /></div>
      <div class="field"><label for="provider-failover">Fail over after</label>
        <input id="provider-failover" type="text" value=${failoverAfter} placeholder="5m" onInput=${(e) => setFailoverAfter(e.currentTarget.value)} /></div>
    </div>
    <div class="field" style="margin-top:10px"><label class="check"><input type="checkbox" id="provider-enabled" checked=${enabled} onChange=${(e) => setEnabled(e.currentTarget.checked)} /> Enabled</label></div>
    <div class="field"><label for="provider-config">Config (JSON)</label>
      <textarea id="provider-config" rows="8" spellcheck="false" autocomplete="off" value=${configText} aria-describedby="provider-config-hint"
        onInput=${(e) => setConfigText(e.currentTarget.value)}></textarea>
      <p class="hint" id="provider-config-hint">Secrets (${(SECRET_FIELDS[provider] ?? []).join(', ') || 'none'}) show masked, like <code>abcd…</code>; leave a masked value as it is to keep the stored secret, or type a new one to replace it.</p></div>
    <div class="field"><label for="provider-receipt-secret">Receipt secret (signs delivery receipts; empty: ${initial?.receipt_secret ? 'keep the stored one' : 'none'})</label>
      <input id="provider-receipt-secret" type="password" autocomplete="new-password" value=${receiptSecret} placeholder=${initial?.receipt_secret ?? 'at least 16 characters'}
        onInput=${(e) => setReceiptSecret(e.currentTarget.value)} /></div>
    <${ErrorBox} error=${error} />
    <div class="actions">
      <button class="primary" type="submit" disabled=${busy}>${busy ? 'Saving…' : 'Save provider'}</button>
      ${initial && html`<button type="button" onClick=${onCancel}>Cancel</button>`}
    </div>
  </form>`;
}

/** The recipient field of a test send, and how it goes into `to`. */
function recipientFor(p) {
  if (p.channel === 'sms') return { label: 'Phone number (E.164)', type: 'tel', placeholder: '+14155550100', to: (v) => ({ phone_number: v }) };
  if (p.channel === 'email') return { label: 'Email address', type: 'email', placeholder: 'someone@example.com', to: (v) => ({ email: v }) };
  if (p.channel === 'chat') {
    const optional = p.provider !== 'slack' || p.config?.default_channel;
    return { label: `Slack channel${optional ? ' (optional)' : ''}`, type: 'text', placeholder: '#general', to: (v) => (v ? { slack: { channel: v } } : {}) };
  }
  if (p.provider === 'apns') return { label: 'APNs device token', type: 'text', placeholder: 'device token', to: (v) => ({ apn: { token: v } }) };
  if (p.provider === 'expo') return { label: 'Expo push token', type: 'text', placeholder: 'ExponentPushToken[…]', to: (v) => ({ expo: { tokens: [v] } }) };
  return { label: 'FCM registration token', type: 'text', placeholder: 'registration token', to: (v) => ({ firebaseToken: v }) };
}

/** POST /providers/{id}/test: one send straight through this provider (no retries, no failover). */
function TestSend({ p, onClose }) {
  const r = recipientFor(p);
  const [recipient, setRecipient] = useState('');
  const [text, setText] = useState('A test message from Herald');
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const field = `test-to-${p.id}`;
  if (p.provider === 'smtp') {
    return html`<div data-test-send=${p.id}><p class="hint">The smtp provider is the installation's SMTP_URL: test it with a send (<code>POST /send</code>) instead.</p>
      <button type="button" class="small" onClick=${onClose}>Close</button></div>`;
  }
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    setResult(null);
    setBusy(true);
    try {
      setResult(await post(`/providers/${enc(p.id)}/test`, { to: r.to(recipient.trim()), text }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`<form aria-label=${`Test send through ${p.id}`} onSubmit=${submit} data-test-send=${p.id}>
    <h3>Test send through <span class="mono">${p.id}</span></h3>
    <div class="inline-fields">
      <div class="field"><label for=${field}>${r.label}</label>
        <input id=${field} type=${r.type} value=${recipient} placeholder=${r.placeholder} autocomplete="off" onInput=${(e) => setRecipient(e.currentTarget.value)} /></div>
      <div class="field" style="flex:1"><label for=${`${field}-text`}>Text</label>
        <input id=${`${field}-text`} type="text" value=${text} maxlength="1000" onInput=${(e) => setText(e.currentTarget.value)} /></div>
      <button class="primary" type="submit" disabled=${busy}>${busy ? 'Sending…' : 'Send test'}</button>
      <button type="button" onClick=${onClose}>Close</button>
    </div>
    <p class="hint">Straight to ${p.provider}'s API: no retries, no failover, no message record.</p>
    <${ErrorBox} error=${error} />
    ${result && html`<div class="test-result" data-test-result=${p.id} data-ok=${String(result.ok)} role="status">
      <dl class="kv">
        <dt>Result</dt><dd><${Badge} status=${result.ok ? 'OK' : 'FAILED'}>${result.ok ? 'ok' : 'failed'}<//></dd>
        ${result.provider_message_id && html`<dt>Provider message id</dt><dd class="mono" data-col="provider-message-id">${result.provider_message_id}</dd>`}
        ${result.error_kind && html`<dt>Error kind</dt><dd data-col="error-kind">${result.error_kind}${result.error_kind === 'recipient' ? ' (the recipient was refused: no failover)' : ''}</dd>`}
        ${result.error && html`<dt>Error</dt><dd class="step-error" data-col="error">${result.error}</dd>`}
        ${result.response && html`<dt>Response</dt><dd><pre class="json" data-col="response">${result.response}</pre></dd>`}
      </dl>
    </div>`}
  </form>`;
}
