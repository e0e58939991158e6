// Schedules: cron, RRULE or one-off times in a timezone, each backed by a Temporal Schedule. The
// list with each one's timing, target, paused state and next runs (pause/unpause, delete), and a
// schedule's page with the next runs as Temporal reports them, its last run and "Trigger now".
import { useState } from 'preact/hooks';
import { del, enc, get, post, put } from '../lib/api.js';
import { href, navigate } from '../lib/router.js';
import { Badge, ErrorBox, Notice, Pager, Time, html, useLoad, usePaged } from '../lib/ui.js';
import { SourceOf } from './broadcasts.js';
import { UserLink } from './preferences.js';

const KINDS = ['cron', 'rrule', 'at'];

export const kindOf = (s) => KINDS.find((k) => typeof s[k] === 'string');

/**
 * PUT /schedules/{id} replaces the whole schedule (an absent `data` becomes {}, an absent
 * `paused` false, an absent `timezone` the workspace default), so a change sends every field back.
 */
export function scheduleBody(s, changes = {}) {
  const kind = kindOf(s);
  return { [kind]: s[kind], timezone: s.timezone, target: s.target, data: s.data ?? {}, paused: s.paused, ...changes };
}

function Spec({ s }) {
  const kind = kindOf(s);
  if (!kind) return html`<span class="muted">—</span>`;
  const value = kind === 'at' ? html`<${Time} value=${s.at} />` : html`<code class="spec">${s[kind]}</code>`;
  return html`<span data-kind=${kind}><span class="kind">${kind}</span> ${value}</span>`;
}

function To({ to }) {
  if (!to) return null;
  if (to.user_id) return html`<${UserLink} id=${to.user_id} />`;
  if (to.list_id || to.list_pattern || to.audience_id || to.tenant_id) return html`<${SourceOf} source=${to} />`;
  return html`<span class="mono">${JSON.stringify(to)}</span>`;
}

export function TargetSummary({ target }) {
  if (!target) return html`<span class="muted">—</span>`;
  if (target.template) return html`send <a class="mono" href=${href(['notifications', target.template])}>${target.template}</a> to <${To} to=${target.to} />`;
  if (target.automation) return html`automation <a class="mono" href=${href(['automations', target.automation])}>${target.automation}</a>${target.recipient ? html` for <${UserLink} id=${target.recipient} />` : ''}`;
  if (target.sequence) return html`sequence <span class="mono">${target.sequence}</span> for <${UserLink} id=${target.recipient} />`;
  if (target.broadcast) return html`broadcast <a class="mono" href=${href(['broadcasts', target.broadcast])}>${target.broadcast}</a> <span class="hint">(a copy each time)</span>`;
  return html`<span class="mono">${JSON.stringify(target)}</span>`;
}

/** A time as the schedule's own zone reads it ("Mon 7 Dec 09:00"), or '' for a zone this browser does not know. */
function inZone(iso, zone) {
  try {
    return new Intl.DateTimeFormat('en-GB', { timeZone: zone, weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));
  } catch {
    return '';
  }
}

function NextRuns({ s }) {
  if (s.paused) return html`<span class="muted">none while paused</span>`;
  if (!s.next_runs?.length) return html`<span class="muted">none</span>`;
  return html`<ol class="next-runs" aria-label=${`Next runs of ${s.id}`}>${s.next_runs.map((t) => {
    const local = inZone(t, s.timezone);
    return html`<li data-next-run=${t}><${Time} value=${t} />${local && html` <span class="hint" title=${s.timezone}>· ${local}</span>`}</li>`;
  })}</ol>`;
}

const PausedBadge = ({ paused }) => html`<${Badge} status=${paused ? 'PAUSED' : 'ACTIVE'} />`;

/** Pause/unpause and delete (delete asks once more, in place). */
function ScheduleActions({ s, onChanged, onDeleted, setError }) {
  const [busy, setBusy] = useState(null);
  const [confirming, setConfirming] = useState(false);
  const toggle = async () => {
    setError(null);
    setBusy('toggle');
    try {
      await put(`/schedules/${enc(s.id)}`, scheduleBody(s, { paused: !s.paused }));
      await onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };
  const remove = async () => {
    setError(null);
    setBusy('delete');
    try {
      await del(`/schedules/${enc(s.id)}`);
      setConfirming(false);
      await onDeleted();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };
  return html`<div class="actions">
    <button type="button" class="small" data-action=${s.paused ? 'unpause' : 'pause'} aria-label=${`${s.paused ? 'Unpause' : 'Pause'} schedule ${s.id}`}
      disabled=${busy !== null} onClick=${toggle}>${busy === 'toggle' ? 'Saving…' : s.paused ? 'Unpause' : 'Pause'}</button>
    ${confirming
      ? html`<button type="button" class="small danger" data-action="confirm-delete" aria-label=${`Confirm deleting schedule ${s.id}`} disabled=${busy !== null} onClick=${remove}>Confirm delete</button>
          <button type="button" class="small" aria-label=${`Keep schedule ${s.id}`} onClick=${() => setConfirming(false)}>Keep</button>`
      : html`<button type="button" class="small danger" data-action="delete" aria-label=${`Delete schedule ${s.id}`} disabled=${busy !== null} onClick=${() => setConfirming(true)}>Delete</button>`}
  </div>`;
}

export function SchedulesPage() {
  const list = usePaged('/schedules', {}, { refreshMs: 5000 });
  const [error, setError] = useState(null);
  return html`<div>
    <div class="page-head"><div><h1>Schedules</h1>
      <div class="sub">Cron, RRULE or a one-off time in a timezone, firing a send, an automation or sequence run, or a broadcast; each is a Temporal Schedule. Create them with <code>PUT /schedules/{id}</code>.</div></div></div>
    <${ErrorBox} error=${error} />
    <section class="card flush">
      <table aria-label="Schedules">
        <thead><tr><th>Id</th><th>Timing</th><th>Time zone</th><th>Target</th><th>State</th><th>Next runs</th><th>Last run</th><th></th></tr></thead>
        <tbody>
          ${list.items.map((s) => html`<tr key=${s.id} data-schedule-id=${s.id} data-paused=${String(s.paused)}>
            <td class="mono"><a href=${href(['schedules', s.id])}>${s.id}</a></td>
            <td data-col="spec"><${Spec} s=${s} /></td>
            <td data-col="timezone">${s.timezone}</td>
            <td data-col="target"><${TargetSummary} target=${s.target} /></td>
            <td data-col="state"><${PausedBadge} paused=${s.paused} /></td>
            <td data-col="next-runs"><${NextRuns} s=${s} /></td>
            <td>${s.last_run ? html`<${Time} value=${s.last_run.at} /> <${Badge} status=${s.last_run.status} />` : html`<span class="muted">never</span>`}</td>
            <td><${ScheduleActions} s=${s} setError=${setError} onChanged=${() => list.reload()} onDeleted=${() => list.reload()} /></td>
          </tr>`)}
        </tbody>
      </table>
      ${!list.loading && !list.items.length && !list.error && html`<div class="empty">No schedules yet.</div>`}
      <${Pager} list=${list} noun="schedule" />
    </section>
    <p class="hint">Next runs here are Herald's reading of each timing; a schedule's page shows them as its Temporal Schedule reports them.</p>
  </div>`;
}

export function SchedulePage({ id }) {
  // Re-read now and then: next runs move on, and a firing shows up as the last run.
  const schedule = useLoad(() => get(`/schedules/${enc(id)}`), [id], { pollMs: 3000 });
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState(null);
  const s = schedule.data;
  const trigger = async () => {
    setError(null);
    setNotice(null);
    try {
      await post(`/schedules/${enc(id)}/trigger`);
      setNotice('Triggered: it fires now (the last run shows it within seconds).');
      schedule.reload();
    } catch (err) {
      setError(err);
    }
  };
  if (!s) return html`<div class="card"><p><a href="#/schedules">← Schedules</a></p>${schedule.error ? html`<${ErrorBox} error=${schedule.error} />` : html`<p class="muted">Loading…</p>`}</div>`;
  return html`<div data-schedule=${s.id} data-paused=${String(s.paused)}>
    <div class="page-head">
      <div>
        <p><a href="#/schedules">← Schedules</a></p>
        <h1>Schedule <span class="mono">${s.id}</span> <${PausedBadge} paused=${s.paused} /></h1>
        <div class="sub"><${Spec} s=${s} /> · ${s.timezone}</div>
      </div>
      <div class="actions">
        ${s.temporal?.ui_url && html`<a class="button" href=${s.temporal.ui_url} target="_blank" rel="noopener" data-temporal-link>Open in Temporal UI ↗</a>`}
        <button type="button" onClick=${trigger} disabled=${s.paused} title=${s.paused ? 'Unpause it to trigger it' : 'Fire it now'}>Trigger now</button>
        <${ScheduleActions} s=${s} setError=${setError} onChanged=${() => schedule.reload()} onDeleted=${() => navigate(['schedules'])} />
      </div>
    </div>
    <${ErrorBox} error=${error} />
    ${notice && html`<${Notice}>${notice}<//>`}
    <div class="grid2">
      <section class="card">
        <h2>Next runs</h2>
        <${NextRuns} s=${s} />
        <p class="hint" style="margin-top:8px">${s.next_runs_source === 'temporal' ? 'As the Temporal Schedule reports them.' : "Herald's reading of the timing (Temporal could not be asked)."}</p>
        <h2 style="margin-top:16px">Last run</h2>
        ${s.last_run
          ? html`<dl class="kv">
              <dt>At</dt><dd><${Time} value=${s.last_run.at} /></dd>
              <dt>Status</dt><dd><${Badge} status=${s.last_run.status} /></dd>
              <dt>Workflow</dt><dd class="mono">${s.last_run.workflow_id}</dd>
              ${s.last_run.error && html`<dt>Error</dt><dd class="step-error">${s.last_run.error}</dd>`}
            </dl>
            ${s.last_run.result && html`<details style="margin-top:8px"><summary>Result</summary><pre class="json">${JSON.stringify(s.last_run.result, null, 2)}</pre></details>`}`
          : html`<p class="muted">It has not fired yet.</p>`}
      </section>
      <section class="card">
        <h2>Details</h2>
        <dl class="kv">
          <dt>Timing</dt><dd><${Spec} s=${s} /></dd>
          <dt>Time zone</dt><dd>${s.timezone}</dd>
          <dt>Target</dt><dd><${TargetSummary} target=${s.target} /></dd>
          <dt>Temporal Schedule</dt><dd class="mono">${s.temporal?.schedule_id} <span class="hint">${s.temporal?.status}${s.temporal?.spec_mode ? ` · ${s.temporal.spec_mode}` : ''}</span></dd>
          <dt>Created</dt><dd><${Time} value=${s.created_at} /></dd>
          <dt>Updated</dt><dd><${Time} value=${s.updated_at} /></dd>
        </dl>
        <details style="margin-top:10px"><summary>Target and data (JSON)</summary><pre class="json">${JSON.stringify({ target: s.target, data: s.data }, null, 2)}</pre></details>
      </section>
    </div>
  </div>`;
}
