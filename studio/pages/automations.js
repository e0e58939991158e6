// Automation templates: list, the editor (steps JSON, errors at their step), publish, versions, invoke.
import { useMemo, useState } from 'preact/hooks';
import { del, enc, get, post, put } from '../lib/api.js';
import { href, navigate } from '../lib/router.js';
import { Badge, ErrorBox, Json, Notice, Pager, Time, html, parseJson, useLoad, usePaged } from '../lib/ui.js';

export function AutomationsPage() {
  const list = usePaged('/automations', {});
  const sequences = useLoad(() => get('/automations/sequences'), []);
  return html`<div>
    <div class="page-head">
      <div><h1>Automations</h1><div class="sub">Templates are edited as drafts and published as immutable versions; a run pins its version.</div></div>
      <div class="actions"><a class="button primary" href="#/automations/new">New automation</a></div>
    </div>
    <section class="card flush">
      <h2>Templates</h2>
      <table aria-label="Automation templates">
        <thead><tr><th>Name</th><th>Alias</th><th>Trigger</th><th>Published</th><th>Steps</th><th>Updated</th><th></th></tr></thead>
        <tbody>
          ${list.items.map((t) => html`<tr key=${t.id} data-template-id=${t.id}>
            <td><a href=${href(['automations', t.id])}>${t.name}</a></td>
            <td class="mono">${t.alias ?? ''}</td>
            <td class="mono">${t.trigger_event_id ?? ''}</td>
            <td>${t.published_version ? html`<${Badge} status="published">v${t.published_version}<//>` : html`<${Badge} status="draft">draft only<//>`}</td>
            <td class="num">${t.steps.length}</td>
            <td><${Time} value=${t.updated_at} /></td>
            <td><a href=${href(['runs'], { template_id: t.id })}>runs</a></td>
          </tr>`)}
        </tbody>
      </table>
      ${!list.loading && !list.items.length && !list.error && html`<div class="empty">No templates yet. <a href="#/automations/new">Create one</a>.</div>`}
      <${Pager} list=${list} noun="template" />
    </section>
    <section class="card flush">
      <h2>Sequences <span class="hint">(built in, written in TypeScript; read-only)</span></h2>
      <${ErrorBox} error=${sequences.error} />
      <table aria-label="Sequences">
        <thead><tr><th>Name</th><th>Description</th><th>One run per user</th><th></th></tr></thead>
        <tbody>
          ${(sequences.data?.items ?? []).map((s) => html`<tr key=${s.name} data-sequence=${s.name}>
            <td class="mono">${s.name}</td><td>${s.description}</td><td>${s.singleton ? 'yes' : 'no'}</td>
            <td><a href=${href(['runs'], { template_id: `sequence:${s.name}` })}>runs</a></td>
          </tr>`)}
        </tbody>
      </table>
      <p class="hint" style="padding:10px 18px">To change a sequence, edit <code>${'workflows/sequences/<name>.sequence.ts'}</code>; link it to an event on the RudderStack page.</p>
    </section>
  </div>`;
}

const STEP_EXAMPLE = `[
  { "action": "delay", "duration": "1 hour" },
  { "action": "send", "template": "welcome" }
]`;

/**
 * The API names each bad step as `steps[2].duration: ...` (several joined by "; "). Returns
 * { byStep: { 2: ['duration: ...'] }, general: [...] } so each error shows at its step.
 */
export function splitProblems(message) {
  const byStep = {};
  const general = [];
  for (const problem of String(message).split(/;\s+(?=steps\[)/)) {
    const m = /^steps\[(\d+)\](.*)$/.exec(problem.trim());
    if (m) (byStep[m[1]] ??= []).push(m[2].replace(/^\./, '').trim() || problem);
    else if (problem.trim()) general.push(problem.trim());
  }
  return { byStep, general };
}

function summary(step) {
  const { action, ...rest } = step ?? {};
  const text = JSON.stringify(rest);
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}

function StepsList({ steps, problems }) {
  if (!Array.isArray(steps)) return html`<p class="muted">Steps must be a JSON array.</p>`;
  if (!steps.length) return html`<p class="muted">No steps yet.</p>`;
  return html`<ol class="steps-list" aria-label="Steps">
    ${steps.map((step, i) => {
      const errors = problems.byStep[i] ?? [];
      return html`<li class=${`step${errors.length ? ' has-error' : ''}`} data-index=${i}>
        <div class="step-head"><span class="step-index">${i}</span><span class="step-action">${step?.action ?? '(no action)'}</span>
          ${step?.ref && html`<span class="hint">ref ${step.ref}</span>`}</div>
        <div class="step-summary">${summary(step)}</div>
        ${errors.map((e) => html`<div class="step-error" role="alert">${e}</div>`)}
      </li>`;
    })}
  </ol>`;
}

export function AutomationEditor({ id }) {
  const isNew = id === 'new';
  const loaded = useLoad(() => (isNew ? Promise.resolve(null) : get(`/automations/${enc(id)}`)), [id]);
  if (loaded.error) return html`<div class="card"><p><a href="#/automations">← Automations</a></p><${ErrorBox} error=${loaded.error} /></div>`;
  if (loaded.data === undefined) return html`<p class="muted">Loading…</p>`;
  return html`<${EditorForm} id=${id} template=${loaded.data} onChanged=${loaded.reload} />`;
}

function EditorForm({ id, template, onChanged }) {
  const isNew = !template;
  const [name, setName] = useState(template?.name ?? '');
  const [alias, setAlias] = useState(template?.alias ?? '');
  const [token, setToken] = useState(template?.cancelation_token ?? '');
  const [recipient, setRecipient] = useState(template?.recipient ?? '');
  const [stepsText, setStepsText] = useState(template ? JSON.stringify(template.steps, null, 2) : STEP_EXAMPLE);
  const [savedText, setSavedText] = useState(template ? JSON.stringify([template.name, template.alias ?? '', template.cancelation_token ?? '', template.recipient ?? '', JSON.stringify(template.steps, null, 2)]) : null);
  const [problems, setProblems] = useState({ byStep: {}, general: [] });
  const [notice, setNotice] = useState(null);
  const [busy, setBusy] = useState(false);
  const [versionsKey, setVersionsKey] = useState(0);

  const [steps, jsonError] = useMemo(() => parseJson(stepsText, 'Steps'), [stepsText]);
  const dirty = JSON.stringify([name, alias, token, recipient, stepsText]) !== savedText;

  const save = async () => {
    setNotice(null);
    if (jsonError) {
      setProblems({ byStep: {}, general: [jsonError] });
      return null;
    }
    const body = { name: name.trim(), alias: alias.trim() || null, cancelation_token: token.trim() || null, recipient: recipient.trim() || null, steps: steps ?? [] };
    try {
      const saved = isNew ? await post('/automations', body) : await put(`/automations/${enc(template.id)}`, body);
      setProblems({ byStep: {}, general: [] });
      setSavedText(JSON.stringify([name, alias, token, recipient, stepsText]));
      return saved;
    } catch (err) {
      setProblems(err.status === 400 ? splitProblems(err.message) : { byStep: {}, general: [err.message] });
      return null;
    }
  };

  const onSave = async (e) => {
    e?.preventDefault();
    setBusy(true);
    const saved = await save();
    setBusy(false);
    if (!saved) return;
    if (isNew) navigate(['automations', saved.id]);
    else {
      setNotice('Draft saved.');
      onChanged();
    }
  };

  const onPublish = async () => {
    setBusy(true);
    try {
      const saved = dirty || isNew ? await save() : template;
      if (!saved) return;
      const published = await post(`/automations/${enc(saved.id)}/publish`);
      if (isNew) return navigate(['automations', saved.id]);
      setNotice(`Published version ${published.version}.`);
      setVersionsKey((k) => k + 1);
      onChanged();
    } catch (err) {
      setProblems({ byStep: {}, general: [err.message] });
    } finally {
      setBusy(false);
    }
  };

  const onDelete = async () => {
    if (!template) return;
    try {
      await del(`/automations/${enc(template.id)}`);
      navigate(['automations']);
    } catch (err) {
      setProblems({ byStep: {}, general: [err.message] });
    }
  };

  return html`<div>
    <div class="page-head">
      <div>
        <p><a href="#/automations">← Automations</a></p>
        <h1>${isNew ? 'New automation' : template.name}</h1>
        <div class="sub">
          ${isNew ? 'Draft: save to create it, publish to make it run.'
            : template.published_version ? html`<span data-published=${template.published_version}>Published <${Badge} status="published">v${template.published_version}<//> at <${Time} value=${template.published_at} /></span>`
            : html`<${Badge} status="draft">not published<//>`}
          ${dirty && !isNew && html` · <span class="hint">unsaved changes</span>`}
          ${template?.trigger_event_id && html` · triggered by <a class="mono" href=${href(['integration', 'log'], { event: template.trigger_event_id })}>${template.trigger_event_id}</a>`}
        </div>
      </div>
      <div class="actions">
        ${!isNew && html`<a class="button" href=${href(['runs'], { template_id: template.id })}>Runs</a>`}
        <button type="button" onClick=${onSave} disabled=${busy}>Save draft</button>
        <button type="button" class="primary" onClick=${onPublish} disabled=${busy}>Publish</button>
      </div>
    </div>
    ${notice && html`<${Notice}>${notice}<//>`}
    ${problems.general.map((p) => html`<${ErrorBox} error=${p} />`)}
    ${Object.keys(problems.byStep).length > 0 && html`<div class="error" role="alert">Some steps are not valid; see the marked steps.</div>`}
    <div class="editor">
      <form class="card" onSubmit=${onSave} aria-label="Automation">
        <div class="inline-fields" style="margin-bottom:12px">
          <div class="field" style="flex:2"><label for="name">Name</label><input id="name" type="text" value=${name} onInput=${(e) => setName(e.currentTarget.value)} required /></div>
          <div class="field" style="flex:1"><label for="alias">Alias</label><input id="alias" type="text" value=${alias} onInput=${(e) => setAlias(e.currentTarget.value)} placeholder="optional" /></div>
        </div>
        <div class="inline-fields" style="margin-bottom:12px">
          <div class="field" style="flex:1"><label for="token">Cancelation token</label><input id="token" type="text" value=${token} onInput=${(e) => setToken(e.currentTarget.value)} placeholder="e.g. \${data.userId}-checkout" /></div>
          <div class="field" style="flex:1"><label for="recipient">Recipient</label><input id="recipient" type="text" value=${recipient} onInput=${(e) => setRecipient(e.currentTarget.value)} placeholder="e.g. refs.data.userId" /></div>
        </div>
        <div class="field">
          <label for="steps">Steps (JSON)</label>
          <textarea id="steps" rows="18" spellcheck="false" value=${stepsText} onInput=${(e) => setStepsText(e.currentTarget.value)}></textarea>
          ${jsonError && html`<div class="step-error" data-json-error>${jsonError}</div>`}
          <div class="hint">Actions: send, delay, wait-for, cancel, fetch-data, update-profile, get-profile, invoke, branch, throttle, add-to-batch, exit. Every step also takes <code>if</code> and <code>ref</code>.</div>
        </div>
        ${!isNew && html`<button type="button" class="danger small" onClick=${onDelete}>Delete template</button>`}
      </form>
      <div>
        <section class="card">
          <h2>Steps</h2>
          ${jsonError ? html`<p class="muted">Fix the JSON to see the steps.</p>` : html`<${StepsList} steps=${steps ?? []} problems=${problems} />`}
        </section>
        ${!isNew && html`<${InvokePanel} template=${template} />`}
        ${!isNew && html`<${Versions} key=${versionsKey} templateId=${template.id} />`}
      </div>
    </div>
  </div>`;
}

function InvokePanel({ template }) {
  const [recipient, setRecipient] = useState('');
  const [data, setData] = useState('{}');
  const [profile, setProfile] = useState('{}');
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const invoke = async (e) => {
    e.preventDefault();
    setError(null);
    setResult(null);
    const [d, dErr] = parseJson(data, 'Data');
    const [p, pErr] = parseJson(profile, 'Profile');
    if (dErr || pErr) return setError(dErr ?? pErr);
    try {
      const body = { data: d ?? {}, profile: p ?? {} };
      if (recipient.trim()) body.recipient = recipient.trim();
      setResult(await post(`/automations/${enc(template.id)}/invoke`, body));
    } catch (err) {
      setError(err);
    }
  };
  return html`<form class="card" onSubmit=${invoke} aria-label="Invoke with test data">
    <h2>Invoke with test data</h2>
    <p class="hint">Runs the latest published version${template.published_version ? ` (v${template.published_version})` : ' — publish first'}.</p>
    <div class="field"><label for="invoke-recipient">Recipient (user id)</label><input id="invoke-recipient" type="text" value=${recipient} onInput=${(e) => setRecipient(e.currentTarget.value)} /></div>
    <div class="field"><label for="invoke-data">Data (JSON)</label><textarea id="invoke-data" rows="3" spellcheck="false" value=${data} onInput=${(e) => setData(e.currentTarget.value)}></textarea></div>
    <div class="field"><label for="invoke-profile">Profile (JSON)</label><textarea id="invoke-profile" rows="2" spellcheck="false" value=${profile} onInput=${(e) => setProfile(e.currentTarget.value)}></textarea></div>
    <${ErrorBox} error=${error} />
    ${result && html`<${Notice}>Started run <a class="mono" data-invoked-run=${result.runId} href=${href(['runs', result.runId])}>${result.runId}</a><//>`}
    <button type="submit" class="primary">Invoke</button>
  </form>`;
}

function Versions({ templateId }) {
  const versions = useLoad(() => get(`/automations/${enc(templateId)}/versions`), [templateId]);
  const items = versions.data?.items ?? [];
  return html`<section class="card">
    <h2>Published versions</h2>
    <${ErrorBox} error=${versions.error} />
    ${!items.length && !versions.loading && html`<p class="muted">None yet.</p>`}
    <ul class="steps-list" aria-label="Versions">
      ${items.map((v) => html`<li class="step" data-version=${v.version}>
        <div class="step-head"><span class="step-action">v${v.version}</span><span class="hint"><${Time} value=${v.published_at} /> · ${v.steps.length} steps · ${v.name}</span></div>
        <details><summary>Steps</summary><${Json} value=${v.steps} /></details>
      </li>`)}
    </ul>
  </section>`;
}
