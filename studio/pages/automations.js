// Automation templates: list, the editor (the designer or JSON, errors at their step), publish after a diff, versions, invoke.
import { useEffect, useRef, useState } from 'preact/hooks';
import { del, enc, get, post, put } from '../lib/api.js';
import { href, navigate } from '../lib/router.js';
import { diffSteps, locateProblems } from '../lib/flow.js';
import { FlowView } from '../lib/flow-view.js';
import { Badge, ErrorBox, Json, Notice, Pager, Time, html, parseJson, useLoad, usePaged } from '../lib/ui.js';
import { Designer, useUndoable } from './designer.js';

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
            <td class="mono">${s.steps ? html`<a href=${href(['automations', `sequence:${s.name}`])}>${s.name}</a>` : s.name}</td><td>${s.description}</td><td>${s.singleton ? 'yes' : 'no'}</td>
            <td><a href=${href(['runs'], { template_id: `sequence:${s.name}` })}>runs</a></td>
          </tr>`)}
        </tbody>
      </table>
      <p class="hint" style="padding:10px 18px">To change a sequence, edit <code>${'workflows/sequences/<name>.sequence.ts'}</code>; link it to an event on the RudderStack page.</p>
    </section>
  </div>`;
}

export function AutomationEditor({ id }) {
  if (id.startsWith('sequence:')) return html`<${SequenceView} name=${id.slice('sequence:'.length)} />`;
  return html`<${TemplateEditor} id=${id} />`;
}

/** A code sequence, drawn read-only from the outline its file declares. */
function SequenceView({ name }) {
  const sequences = useLoad(() => get('/automations/sequences'), []);
  const sequence = sequences.data?.items.find((s) => s.name === name);
  return html`<div>
    <div class="page-head">
      <div>
        <p><a href="#/automations">← Automations</a></p>
        <h1>Sequence <span class="mono">${name}</span></h1>
        <div class="sub">Written in TypeScript (<code>workflows/sequences/${name}.sequence.ts</code>); shown read-only from its outline.</div>
      </div>
      <div class="actions"><a class="button" href=${href(['runs'], { template_id: `sequence:${name}` })}>Runs</a></div>
    </div>
    <${ErrorBox} error=${sequences.error} />
    ${sequences.data && !sequence && html`<div class="error">No sequence named ${name}.</div>`}
    ${sequence && html`<p>${sequence.description}</p>`}
    ${sequence?.steps && html`<div class="designer-canvas" data-sequence-flow=${name}><${FlowView} steps=${sequence.steps} label=${`Sequence ${name}`} /></div>`}
    ${sequence && !sequence.steps && html`<p class="muted">This sequence declares no outline.</p>`}
  </div>`;
}

function TemplateEditor({ id }) {
  const isNew = id === 'new';
  const loaded = useLoad(() => (isNew ? Promise.resolve(null) : get(`/automations/${enc(id)}`)), [id]);
  if (loaded.error) return html`<div class="card"><p><a href="#/automations">← Automations</a></p><${ErrorBox} error=${loaded.error} /></div>`;
  if (loaded.data === undefined) return html`<p class="muted">Loading…</p>`;
  return html`<${EditorForm} template=${loaded.data} onChanged=${loaded.reload} />`;
}

const FIRST_STEPS = [{ action: 'delay', duration: '1 hour' }, { action: 'send', template: 'welcome' }];

/** The editor's fields, compared to tell a draft with unsaved changes. */
const snapshot = (f) => JSON.stringify([f.name, f.alias, f.token, f.recipient, f.steps]);

function EditorForm({ template, onChanged }) {
  const isNew = !template;
  const [name, setName] = useState(template?.name ?? '');
  const [alias, setAlias] = useState(template?.alias ?? '');
  const [token, setToken] = useState(template?.cancelation_token ?? '');
  const [recipient, setRecipient] = useState(template?.recipient ?? '');
  const steps = useUndoable(template ? template.steps : FIRST_STEPS);
  const [saved, setSaved] = useState(template ? snapshot({ name: template.name, alias: template.alias ?? '', token: template.cancelation_token ?? '', recipient: template.recipient ?? '', steps: template.steps }) : null);
  const [tab, setTab] = useState('flow');
  const [jsonText, setJsonText] = useState('');
  const [jsonError, setJsonError] = useState(null);
  const [problems, setProblems] = useState({ byPath: {}, general: [] });
  const [notice, setNotice] = useState(null);
  const [busy, setBusy] = useState(false);
  const [versionsKey, setVersionsKey] = useState(0);
  const [review, setReview] = useState(null);
  const jsonEdited = useRef(false);

  const fields = { name, alias, token, recipient, steps: steps.value };
  const dirty = snapshot(fields) !== saved;

  const showTab = (next) => {
    if (next === tab) return;
    if (next === 'json') {
      jsonEdited.current = false;
      setJsonText(JSON.stringify(steps.value, null, 2));
      setJsonError(null);
    } else if (jsonError) return; // the flow cannot draw JSON that does not parse
    setTab(next);
  };
  const onJson = (text) => {
    setJsonText(text);
    const [parsed, err] = parseJson(text, 'Steps');
    const problem = err ?? (Array.isArray(parsed) ? null : 'Steps must be a JSON array of steps.');
    setJsonError(problem);
    if (!problem) {
      // One undo entry per visit to the JSON tab, not one per keystroke.
      if (jsonEdited.current) steps.replace(parsed);
      else steps.set(parsed);
      jsonEdited.current = true;
      onEdited(null);
    }
  };
  // A step edited: its old errors go; a change of shape moves paths, so all of them go.
  const onEdited = (path) => setProblems((p) => {
    if (path === null) return { byPath: {}, general: p.general };
    const { [path]: _gone, ...rest } = p.byPath;
    return { byPath: rest, general: p.general };
  });

  const save = async () => {
    setNotice(null);
    if (jsonError) {
      setProblems({ byPath: {}, general: [jsonError] });
      return null;
    }
    const body = { name: name.trim(), alias: alias.trim() || null, cancelation_token: token.trim() || null, recipient: recipient.trim() || null, steps: steps.value };
    try {
      const result = isNew ? await post('/automations', body) : await put(`/automations/${enc(template.id)}`, body);
      setProblems({ byPath: {}, general: [] });
      setSaved(snapshot(fields));
      return result;
    } catch (err) {
      setProblems(err.status === 400 ? locateProblems(err.message) : { byPath: {}, general: [err.message] });
      return null;
    }
  };

  const onSave = async (e) => {
    e?.preventDefault();
    setBusy(true);
    const result = await save();
    setBusy(false);
    if (!result) return;
    if (isNew) navigate(['automations', result.id]);
    else {
      setNotice('Draft saved.');
      onChanged();
    }
  };

  /** Publish shows what changed against the published version first, then publishes. */
  const onReview = async () => {
    setNotice(null);
    try {
      const versions = isNew || !template.published_version ? { items: [] } : await get(`/automations/${enc(template.id)}/versions`);
      const published = versions.items.find((v) => v.version === template?.published_version) ?? null;
      setReview({ published, changes: diffSteps(published?.steps ?? [], steps.value), fields: fieldChanges(published, fields) });
    } catch (err) {
      setProblems({ byPath: {}, general: [err.message] });
    }
  };

  const onPublish = async () => {
    setBusy(true);
    try {
      const result = dirty || isNew ? await save() : template;
      if (!result) return setReview(null);
      const published = await post(`/automations/${enc(result.id)}/publish`);
      setReview(null);
      if (isNew) return navigate(['automations', result.id]);
      setNotice(`Published version ${published.version}.`);
      setVersionsKey((k) => k + 1);
      onChanged();
    } catch (err) {
      setReview(null);
      setProblems({ byPath: {}, general: [err.message] });
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
      setProblems({ byPath: {}, general: [err.message] });
    }
  };

  const stepErrors = Object.keys(problems.byPath).length;
  return html`<div>
    <div class="page-head">
      <div>
        <p><a href="#/automations">← Automations</a></p>
        <h1>${isNew ? 'New automation' : template.name}</h1>
        <div class="sub">
          ${isNew ? 'Draft: save to create it, publish to make it run.'
            : template.published_version ? html`<span data-published=${template.published_version}>Published <${Badge} status="published">v${template.published_version}<//> at <${Time} value=${template.published_at} /></span>`
            : html`<${Badge} status="draft">not published<//>`}
          ${dirty && !isNew && html` · <span class="hint" data-dirty>unsaved changes</span>`}
          ${template?.trigger_event_id && html` · triggered by <a class="mono" href=${href(['integration', 'log'], { event: template.trigger_event_id })}>${template.trigger_event_id}</a>`}
        </div>
      </div>
      <div class="actions">
        ${!isNew && html`<a class="button" href=${href(['runs'], { template_id: template.id })}>Runs</a>`}
        <button type="button" onClick=${onSave} disabled=${busy}>Save draft</button>
        <button type="button" class="primary" onClick=${onReview} disabled=${busy}>Publish…</button>
      </div>
    </div>
    ${notice && html`<${Notice}>${notice}<//>`}
    ${problems.general.map((p) => html`<${ErrorBox} error=${p} />`)}
    ${stepErrors > 0 && html`<div class="error" role="alert" data-step-errors=${stepErrors}>Some steps are not valid; see the marked steps.</div>`}
    ${review && html`<${PublishReview} review=${review} busy=${busy} onPublish=${onPublish} onCancel=${() => setReview(null)} />`}
    <form class="card" onSubmit=${onSave} aria-label="Automation">
      <div class="inline-fields">
        <div class="field" style="flex:2"><label for="name">Name</label><input id="name" type="text" value=${name} onInput=${(e) => setName(e.currentTarget.value)} required /></div>
        <div class="field" style="flex:1"><label for="alias">Alias</label><input id="alias" type="text" value=${alias} onInput=${(e) => setAlias(e.currentTarget.value)} placeholder="optional" /></div>
        <div class="field" style="flex:1"><label for="token">Cancelation token</label><input id="token" type="text" value=${token} onInput=${(e) => setToken(e.currentTarget.value)} placeholder="e.g. \${data.userId}-checkout" /></div>
        <div class="field" style="flex:1"><label for="recipient">Recipient</label><input id="recipient" type="text" value=${recipient} onInput=${(e) => setRecipient(e.currentTarget.value)} placeholder="e.g. refs.data.userId" /></div>
      </div>
    </form>
    <div class="tabs" role="tablist" aria-label="Steps view">
      <button type="button" role="tab" id="tab-flow" aria-controls="panel-steps" aria-selected=${tab === 'flow'} class=${tab === 'flow' ? 'active' : ''} onClick=${() => showTab('flow')}
        disabled=${tab === 'json' && Boolean(jsonError)} title=${jsonError ? 'Fix the JSON to see the flow' : ''}>Flow</button>
      <button type="button" role="tab" id="tab-json" aria-controls="panel-steps" aria-selected=${tab === 'json'} class=${tab === 'json' ? 'active' : ''} onClick=${() => showTab('json')}>JSON</button>
    </div>
    <div id="panel-steps" role="tabpanel" aria-labelledby=${tab === 'flow' ? 'tab-flow' : 'tab-json'}>
      ${tab === 'flow'
        ? html`<${Designer} steps=${steps} problems=${problems.byPath} onEdited=${onEdited} />`
        : html`<section class="card">
            <div class="field">
              <label for="steps">Steps (JSON)</label>
              <textarea id="steps" rows="22" spellcheck="false" value=${jsonText} onInput=${(e) => onJson(e.currentTarget.value)}></textarea>
              ${jsonError && html`<div class="step-error" data-json-error>${jsonError}</div>`}
              ${Object.entries(problems.byPath).map(([path, list]) => list.map((p) => html`<div class="step-error" data-json-problem=${path}>step ${path}${p.field ? `.${p.field}` : ''}: ${p.message}</div>`))}
              <div class="hint">Actions: send, delay, wait-for, cancel, fetch-data, update-profile, get-profile, invoke, branch, throttle, add-to-batch, exit, subscribe, send-list. Every step also takes <code>if</code> and <code>ref</code>.</div>
            </div>
          </section>`}
    </div>
    ${!isNew && html`<div class="grid2">
      <${InvokePanel} template=${template} />
      <${Versions} key=${versionsKey} templateId=${template.id} />
    </div>`}
    ${!isNew && html`<p><button type="button" class="danger small" onClick=${onDelete}>Delete template</button></p>`}
  </div>`;
}

/** The template's own fields that differ from the published version. */
function fieldChanges(published, fields) {
  if (!published) return [];
  const pairs = [['name', published.name, fields.name], ['cancelation token', published.cancelation_token ?? '', fields.token], ['recipient', published.recipient ?? '', fields.recipient]];
  return pairs.filter(([, a, b]) => (a ?? '') !== (b ?? '').trim()).map(([field, from, to]) => ({ field, from, to }));
}

const CHANGE_MARK = { added: '+', removed: '−', changed: '~' };

function PublishReview({ review, busy, onPublish, onCancel }) {
  const { published, changes, fields } = review;
  const ref = useRef(null);
  useEffect(() => ref.current?.focus(), []);
  return html`<div class="modal-backdrop">
    <div class="card modal" role="dialog" aria-modal="true" aria-labelledby="review-title" data-publish-review
      onKeyDown=${(e) => e.key === 'Escape' && onCancel()}>
      <h2 id="review-title">${published ? `Publish version ${published.version + 1}: changes since v${published.version}` : 'Publish the first version'}</h2>
      ${!changes.length && !fields.length && html`<p class="muted" data-no-changes>No changes since v${published?.version}; publishing makes an identical version.</p>`}
      ${changes.length > 0 && html`<ul class="diff-list" aria-label="Step changes">
        ${changes.map((c) => html`<li class=${`diff-${c.kind}`} data-diff=${c.kind} data-diff-path=${c.path}>
          <span class="diff-mark" aria-hidden="true">${CHANGE_MARK[c.kind]}</span>
          <span class="diff-kind">${c.kind}</span> <strong>${c.action}</strong> <span class="mono hint">at ${c.path}</span>
          <div class="hint">${c.kind === 'changed' ? html`${c.fields.join(', ')}: ${c.before} → ${c.summary}` : c.summary}</div>
        </li>`)}
      </ul>`}
      ${fields.length > 0 && html`<ul class="diff-list" aria-label="Field changes">${fields.map((f) => html`<li class="diff-changed" data-diff="field"><span class="diff-kind">changed</span> ${f.field}: ${f.from || '(none)'} → ${f.to || '(none)'}</li>`)}</ul>`}
      <div class="actions">
        <button type="button" class="primary" ref=${ref} onClick=${onPublish} disabled=${busy} data-confirm-publish>Publish</button>
        <button type="button" onClick=${onCancel}>Cancel</button>
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
