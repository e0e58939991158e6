// Audiences: members follow profile data through a filter. The list, a create form, and one
// audience's page: the filter editor, its member count and first members, and the recompute's
// progress while a new filter is applied.
import { useEffect, useRef, useState } from 'preact/hooks';
import { enc, get, put } from '../lib/api.js';
import { href, navigate } from '../lib/router.js';
import { Badge, ErrorBox, Notice, Pager, ProgressBar, Time, html, parseJson, useLoad, usePaged } from '../lib/ui.js';
import { UserLink } from './preferences.js';

const SAMPLE = 10;
const EXAMPLE = '["profile.plan", "is equal", "pro"]';

/** Which field a 400 names ("filter.AND[1]: ...", "audience id must ...", "name must ..."). */
function fieldOf(error) {
  const m = typeof error === 'string' ? error : error?.message ?? '';
  if (/^filter\b/.test(m)) return 'filter';
  if (/^audience id\b/.test(m)) return 'id';
  if (/^name\b/.test(m)) return 'name';
  return 'form';
}

function Recompute({ audience }) {
  if (audience.status !== 'COMPUTING') return null;
  const p = audience.progress ?? { processed: 0, total: 0 };
  return html`<div data-recompute>
    <${ProgressBar} value=${p.processed} max=${p.total} label="Recompute progress">${p.processed} of ${p.total} profiles checked<//>
  </div>`;
}

export function AudiencesPage() {
  const list = usePaged('/audiences', {}, { refreshMs: 3000 });
  return html`<div>
    <div class="page-head"><div><h1>Audiences</h1>
      <div class="sub">Users whose profile (or tenant membership) matches a filter. Membership follows profile changes; entering and leaving are the events <code>${'audience/<id>/entered'}</code> and <code>…/exited</code> in the <a href="#/integration">event catalog</a>.</div></div></div>
    <section class="card flush">
      <table aria-label="Audiences">
        <thead><tr><th>Id</th><th>Name</th><th>Status</th><th>Members</th><th>Filter</th><th>Updated</th></tr></thead>
        <tbody>
          ${list.items.map((a) => html`<tr key=${a.id} data-audience-id=${a.id}>
            <td class="mono"><a href=${href(['audiences', a.id])}>${a.id}</a></td>
            <td>${a.name ?? html`<span class="muted">—</span>`}</td>
            <td data-col="status"><${Badge} status=${a.status} />${a.status === 'COMPUTING' && a.progress ? html` <span class="hint">${a.progress.processed}/${a.progress.total}</span>` : ''}</td>
            <td class="num" data-col="members">${a.member_count}</td>
            <td class="mono filter-cell">${JSON.stringify(a.filter)}</td>
            <td><${Time} value=${a.updated_at} /></td>
          </tr>`)}
        </tbody>
      </table>
      ${!list.loading && !list.items.length && !list.error && html`<div class="empty">No audiences yet.</div>`}
      <${Pager} list=${list} noun="audience" />
    </section>
    <section class="card">
      <h2>New audience</h2>
      <${AudienceForm} onSaved=${(a) => navigate(['audiences', a.id])} />
    </section>
  </div>`;
}

/**
 * PUT /audiences/{id} { name, filter } creates or replaces it (so the form sends both). The
 * server's 400 names the field; it is shown under that field.
 */
function AudienceForm({ audience, onSaved }) {
  const [id, setId] = useState(audience?.id ?? '');
  const [name, setName] = useState(audience?.name ?? '');
  const [filter, setFilter] = useState(audience ? JSON.stringify(audience.filter, null, 2) : '');
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(null);
  const [busy, setBusy] = useState(false);
  const where = error ? fieldOf(error) : null;
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    setSaved(null);
    const audienceId = audience?.id ?? id.trim();
    if (!audienceId) return setError('audience id: enter one');
    const [value, problem] = parseJson(filter, 'filter');
    if (problem) return setError(problem);
    if (value === undefined) return setError(`filter is required, e.g. ${EXAMPLE}`);
    setBusy(true);
    try {
      const a = await put(`/audiences/${enc(audienceId)}`, { name: name.trim() || null, filter: value });
      setSaved(a.status === 'COMPUTING' ? 'Saved; its members are being recomputed.' : 'Saved.');
      onSaved(a);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const at = (field) => (where === field ? html`<div id=${`audience-${field}-error`}><${ErrorBox} error=${error} /></div>` : null);
  const describedBy = (field) => (where === field ? `audience-${field}-error` : undefined);
  return html`<form aria-label=${audience ? 'Edit the audience' : 'Create an audience'} onSubmit=${submit}>
    ${!audience && html`<div class="field"><label for="audience-id">Audience id</label>
      <input id="audience-id" type="text" value=${id} placeholder="e.g. pro-users" aria-invalid=${where === 'id' ? 'true' : undefined}
        aria-describedby=${describedBy('id')} onInput=${(e) => setId(e.currentTarget.value)} />${at('id')}</div>`}
    <div class="field"><label for="audience-name">Name</label>
      <input id="audience-name" type="text" value=${name} placeholder="e.g. Pro users in Norway" aria-invalid=${where === 'name' ? 'true' : undefined}
        aria-describedby=${describedBy('name')} onInput=${(e) => setName(e.currentTarget.value)} />${at('name')}</div>
    <div class="field"><label for="audience-filter">Filter (condition JSON over <code>profile</code> and <code>tenants</code>)</label>
      <textarea id="audience-filter" rows="7" spellcheck="false" value=${filter} placeholder=${`${EXAMPLE}\nor { "AND": [["profile.plan", "is equal", "pro"], ["profile.country", "is equal", "NO"]] }`}
        aria-invalid=${where === 'filter' ? 'true' : undefined} aria-describedby=${describedBy('filter') ?? 'audience-filter-hint'}
        onInput=${(e) => setFilter(e.currentTarget.value)}></textarea>
      ${at('filter')}
      <p class="hint" id="audience-filter-hint"><code>[path, operator, value]</code> with operators such as <code>is equal</code>, <code>contains</code>, <code>greater than</code>; <code>[path, "exists"]</code>; <code>{ "AND": [...] }</code> / <code>{ "OR": [...] }</code>; <code>["tenants", "contains", "acme"]</code> for tenant membership.</p>
    </div>
    ${at('form')}
    ${saved && html`<${Notice}>${saved}<//>`}
    <div class="actions"><button class="primary" type="submit" disabled=${busy}>${busy ? 'Saving…' : audience ? 'Save filter' : 'Create audience'}</button>
      ${audience && html`<span class="hint">A changed filter recomputes the members in the background.</span>`}</div>
  </form>`;
}

export function AudiencePage({ id }) {
  const audience = useLoad(() => get(`/audiences/${enc(id)}`), [id], { pollMs: 1000, poll: (a) => a.status === 'COMPUTING' });
  const a = audience.data;
  const computing = a?.status === 'COMPUTING';
  // The first members, re-read while the recompute runs and once more when it ends.
  const members = usePaged(`/audiences/${enc(id)}/members`, {}, { limit: SAMPLE, refreshMs: computing ? 1000 : 0 });
  const seen = useRef(null);
  useEffect(() => {
    if (!a) return;
    const now = `${a.status}:${a.member_count}:${a.updated_at}`;
    if (seen.current !== null && seen.current !== now && !computing) members.reload();
    seen.current = now;
  }, [a?.status, a?.member_count, a?.updated_at]);

  if (!a) return html`<div class="card"><p><a href="#/audiences">← Audiences</a></p>${audience.error ? html`<${ErrorBox} error=${audience.error} />` : html`<p class="muted">Loading…</p>`}</div>`;
  return html`<div data-audience=${a.id} data-audience-status=${a.status}>
    <div class="page-head"><div>
      <p><a href="#/audiences">← Audiences</a></p>
      <h1>${a.name ?? a.id} <span class="mono muted" style="font-size:15px">${a.id}</span> <${Badge} status=${a.status} /></h1>
      <div class="sub">Created <${Time} value=${a.created_at} /> · updated <${Time} value=${a.updated_at} /> · <a href=${href(['broadcasts'], { audience_id: a.id })}>Broadcast to this audience</a></div>
    </div></div>
    <${ErrorBox} error=${audience.error} />
    <div class="grid2">
      <section class="card">
        <h2>Filter</h2>
        <${AudienceForm} key=${a.id} audience=${a} onSaved=${() => audience.reload()} />
      </section>
      <section class="card" aria-label="Members">
        <h2>Members</h2>
        <p class="big-count"><span data-member-count=${a.member_count}>${a.member_count}</span> ${a.member_count === 1 ? 'member' : 'members'}${computing ? ' so far' : ''}</p>
        <${Recompute} audience=${a} />
        <h3>By user id</h3>
        <table aria-label="Audience members">
          <thead><tr><th>User</th><th>Entered</th></tr></thead>
          <tbody>
            ${members.items.map((m) => html`<tr key=${m.user_id} data-member=${m.user_id}>
              <td><${UserLink} id=${m.user_id} /></td>
              <td><${Time} value=${m.entered_at} /></td>
            </tr>`)}
          </tbody>
        </table>
        ${!members.loading && !members.items.length && !members.error && html`<div class="empty">${computing ? 'None found yet.' : 'No profile matches this filter.'}</div>`}
        <${Pager} list=${members} noun="member" />
      </section>
    </div>
  </div>`;
}
