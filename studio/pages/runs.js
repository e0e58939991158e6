// Runs: the filtered list, and a run's page (drawn on its flow, step timeline, cancel, Temporal UI link).
import { useState } from 'preact/hooks';
import { enc, get, post } from '../lib/api.js';
import { href, navigate } from '../lib/router.js';
import { Badge, ErrorBox, Json, Notice, Pager, Time, duration, html, shortId, statusClass, useLoad, usePaged } from '../lib/ui.js';
import { FlowView } from '../lib/flow-view.js';
import { StatusWithReason } from './messages.js';
import { UserLink } from './preferences.js';

const RUN_STATUSES = ['PROCESSING', 'WAITING', 'PROCESSED', 'CANCELED', 'ERROR'];
const ACTIVE = ['PROCESSING', 'WAITING'];

function automationOf(run) {
  if (run.template_id) return html`<a href=${href(['automations', run.template_id])}>${run.template_name ?? run.template_id}</a>${run.template_version ? html` <span class="hint">v${run.template_version}</span>` : ''}`;
  if (run.sequence) return html`<span>sequence: ${run.sequence}</span>`;
  return html`<span class="muted">ad hoc</span>`;
}

export function RunsPage({ query }) {
  const filter = { status: query.status ?? '', template_id: query.template_id ?? '', recipient: query.recipient ?? '' };
  const list = usePaged('/automations/runs', filter, { refreshMs: 2000 });
  const [template, setTemplate] = useState(filter.template_id);
  const [recipient, setRecipient] = useState(filter.recipient);
  const apply = (changes) => navigate(['runs'], { ...filter, ...changes });
  return html`<div>
    <div class="page-head"><div><h1>Runs</h1><div class="sub">One row per automation run, newest first.</div></div></div>
    <section class="card flush">
      <form class="inline-fields" style="padding:14px 18px" aria-label="Filter runs"
        onSubmit=${(e) => { e.preventDefault(); apply({ template_id: template.trim(), recipient: recipient.trim() }); }}>
        <div class="field"><label for="run-status">Status</label>
          <select id="run-status" value=${filter.status} onChange=${(e) => apply({ status: e.currentTarget.value })}>
            <option value="">any</option>${RUN_STATUSES.map((s) => html`<option value=${s}>${s}</option>`)}
          </select></div>
        <div class="field"><label for="run-template">Template</label>
          <input id="run-template" type="text" value=${template} placeholder="template id or sequence:welcome" onInput=${(e) => setTemplate(e.currentTarget.value)} /></div>
        <div class="field"><label for="run-recipient">Recipient</label>
          <input id="run-recipient" type="text" value=${recipient} placeholder="user id" onInput=${(e) => setRecipient(e.currentTarget.value)} /></div>
        <button type="submit">Filter</button>
        ${(filter.status || filter.template_id || filter.recipient) && html`<a class="button" href="#/runs">Clear</a>`}
      </form>
      <table aria-label="Runs">
        <thead><tr><th>Started</th><th>Status</th><th>Automation</th><th>Recipient</th><th>Source</th><th>Run</th></tr></thead>
        <tbody>
          ${list.items.map((r) => html`<tr key=${r.run_id} data-run-id=${r.run_id}>
            <td><${Time} value=${r.created_at} /></td>
            <td data-col="status"><${Badge} status=${r.status} /></td>
            <td>${automationOf(r)}</td>
            <td><${UserLink} id=${r.recipient} /></td>
            <td class="mono">${r.source}</td>
            <td><a class="mono" href=${href(['runs', r.run_id])}>${shortId(r.run_id)}</a></td>
          </tr>`)}
        </tbody>
      </table>
      ${!list.loading && !list.items.length && !list.error && html`<div class="empty">No runs match.</div>`}
      <${Pager} list=${list} noun="run" />
    </section>
  </div>`;
}

export function RunPage({ id }) {
  const run = useLoad(async () => {
    const [r, steps] = await Promise.all([get(`/automations/runs/${enc(id)}`), get(`/automations/runs/${enc(id)}/steps`)]);
    return { ...r, steps: steps.items, definition: steps.definition };
  }, [id], { pollMs: 1500, poll: (r) => ACTIVE.includes(r.status) });
  const [cancel, setCancel] = useState(null);
  const r = run.data;

  const onCancel = async () => {
    setCancel({ busy: true });
    try {
      const res = await post('/automations/cancel', { run_id: id });
      setCancel({ result: res });
      run.reload();
    } catch (err) {
      setCancel({ error: err });
    }
  };

  if (!r) return html`<div class="card"><p><a href="#/runs">← Runs</a></p>${run.error ? html`<${ErrorBox} error=${run.error} />` : html`<p class="muted">Loading…</p>`}</div>`;
  const active = ACTIVE.includes(r.status);
  return html`<div data-run=${r.run_id}>
    <div class="page-head">
      <div>
        <p><a href="#/runs">← Runs</a></p>
        <h1>Run <span class="mono" style="font-size:17px">${r.run_id}</span> <span data-run-status=${r.status}><${Badge} status=${r.status} /></span></h1>
        <div class="sub">${automationOf(r)} · ${r.source}</div>
      </div>
      <div class="actions">
        ${r.temporal_url
          ? html`<a class="button" href=${r.temporal_url} target="_blank" rel="noopener" data-temporal-link>Open in Temporal UI ↗</a>`
          : html`<span class="hint">Temporal UI link not configured (TEMPORAL_UI_URL)</span>`}
        <button type="button" class="danger" onClick=${onCancel} disabled=${!active || cancel?.busy}
          title=${active ? 'Cancel this run now' : 'Only a processing or waiting run can be canceled'}>Cancel run</button>
      </div>
    </div>
    <${ErrorBox} error=${run.error} />
    <${ErrorBox} error=${cancel?.error} />
    ${cancel?.result && html`<${Notice}>Cancel sent: ${(cancel.result.canceled ?? []).map((c) => `${shortId(c.run_id)} → ${c.status}`).join(', ') || 'nothing was running'}<//>`}
    <${RunSteps} run=${r} />
    <div class="grid2">
        <section class="card">
          <h2>Details</h2>
          <dl class="kv">
            <dt>Status</dt><dd><${Badge} status=${r.status} /></dd>
            ${r.error && html`<dt>Error</dt><dd class="step-error">${r.error}</dd>`}
            <dt>Recipient</dt><dd><${UserLink} id=${r.recipient} /></dd>
            <dt>Automation</dt><dd>${automationOf(r)}</dd>
            <dt>Kind</dt><dd>${r.kind}</dd>
            <dt>Source</dt><dd class="mono">${r.source}</dd>
            ${r.event_log_id && html`<dt>Trigger event</dt><dd><a href=${href(['integration', 'log', r.event_log_id])}>event log #${r.event_log_id}</a></dd>`}
            ${r.parent_run_id && html`<dt>Parent run</dt><dd><a class="mono" href=${href(['runs', r.parent_run_id])}>${r.parent_run_id}</a></dd>`}
            <dt>Cancelation token</dt><dd class="mono">${r.cancelation_token ?? '—'}</dd>
            <dt>Started</dt><dd><${Time} value=${r.created_at} /></dd>
            <dt>Finished</dt><dd><${Time} value=${r.finished_at} /></dd>
            <dt>Workflow id</dt><dd class="mono">${r.workflow_id}</dd>
          </dl>
          <details style="margin-top:10px"><summary>Context (data, profile, recipient, brand)</summary><${Json} value=${r.context} /></details>
        </section>
        <${RunMessages} runId=${r.run_id} />
    </div>
  </div>`;
}

/** The run drawn on its automation's flow (status per step, the path taken), or as a timeline. */
function RunSteps({ run }) {
  const [view, setView] = useState(run.definition ? 'flow' : 'timeline');
  const records = {};
  for (const s of run.steps ?? []) records[s.path] = s;
  return html`<section class="card" data-run-steps>
    <div class="page-head" style="margin-bottom:8px">
      <h2>Steps</h2>
      ${run.definition && html`<div class="tabs" role="tablist" aria-label="Steps view" style="margin:0;border:0">
        <button type="button" role="tab" aria-selected=${view === 'flow'} class=${view === 'flow' ? 'active' : ''} onClick=${() => setView('flow')}>Flow</button>
        <button type="button" role="tab" aria-selected=${view === 'timeline'} class=${view === 'timeline' ? 'active' : ''} onClick=${() => setView('timeline')}>Timeline</button>
      </div>`}
    </div>
    ${ACTIVE.includes(run.status) && html`<p class="hint" data-live>Live: updates while the run moves.</p>`}
    ${view === 'flow' && run.definition
      ? html`<div class="designer-canvas"><${FlowView} steps=${run.definition} run=${{ records, wakesAt: run.wakes_at }} label="Run flow" /></div>`
      : html`${!run.definition && html`<p class="hint">A code sequence: its steps as they ran.</p>`}<${Timeline} steps=${run.steps} />`}
  </section>`;
}

function Timeline({ steps }) {
  if (!steps?.length) return html`<p class="muted">No steps recorded yet.</p>`;
  return html`<ol class="timeline" aria-label="Step timeline">
    ${steps.map((s) => html`<li class=${`st-${statusClass(s.status)}`} data-path=${s.path} data-step-status=${s.status}>
      <div class="tl-head">
        <span class="mono muted">${s.path}</span>
        <span class="tl-title">${s.action}</span>
        <${Badge} status=${s.status} />
      </div>
      <div class="tl-times">
        ${s.started_at ? html`<${Time} value=${s.started_at} />` : 'not started'}
        ${s.ended_at && html` → <${Time} value=${s.ended_at} /> (${duration(s.started_at, s.ended_at)})`}
      </div>
      ${s.message_id && html`<div>message <a class="mono" data-message-link href=${href(['messages', s.message_id])}>${s.message_id}</a></div>`}
      ${s.error && html`<div class="step-error">${s.error}</div>`}
      ${s.result !== null && s.result !== undefined && html`<details open=${JSON.stringify(s.result).length <= 160}><summary>Result</summary><${Json} value=${s.result} /></details>`}
    </li>`)}
  </ol>`;
}

function RunMessages({ runId }) {
  const list = usePaged('/messages', { run_id: runId }, { limit: 20 });
  if (!list.items.length && !list.loading) return null;
  return html`<section class="card flush">
    <h2>Messages sent by this run</h2>
    <table>
      <thead><tr><th>Message</th><th>Status</th><th>Template</th></tr></thead>
      <tbody>${list.items.map((m) => html`<tr key=${m.id}><td><a class="mono" href=${href(['messages', m.id])}>${m.id}</a></td><td><${StatusWithReason} m=${m} /></td><td>${m.notification ?? ''}</td></tr>`)}</tbody>
    </table>
    <${Pager} list=${list} noun="message" />
  </section>`;
}
