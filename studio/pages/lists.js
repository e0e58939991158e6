// Lists (Courier's shapes): the lists with a pattern filter and a create form, and one list's
// subscribers with add and remove.
import { useState } from 'preact/hooks';
import { del, enc, get, put } from '../lib/api.js';
import { href, navigate } from '../lib/router.js';
import { ErrorBox, Notice, Pager, Time, html, useLoad, usePaged } from '../lib/ui.js';
import { UserLink } from './preferences.js';

export function ListsPage({ query }) {
  const pattern = query.pattern ?? '';
  const list = usePaged('/lists', { pattern });
  const [draft, setDraft] = useState(pattern);
  // A bad pattern is a 400 naming the rule: shown at the filter field rather than in the footer.
  const patternError = list.error?.status === 400 ? list.error : null;
  return html`<div>
    <div class="page-head"><div><h1>Lists</h1>
      <div class="sub">Named groups of users to send to (<code>to: { list_id }</code>, a broadcast, the <code>send-list</code> step). Ids are dotted segments (<code>product.beta.eu</code>); a pattern's <code>*</code> stands for one whole segment.</div></div></div>
    <section class="card flush">
      <form class="inline-fields" style="padding:14px 18px" aria-label="Filter lists"
        onSubmit=${(e) => { e.preventDefault(); navigate(['lists'], { pattern: draft.trim() }); }}>
        <div class="field"><label for="list-pattern">Pattern</label>
          <input id="list-pattern" type="text" value=${draft} placeholder="e.g. product.*.eu" aria-describedby=${patternError ? 'list-pattern-error' : undefined}
            aria-invalid=${patternError ? 'true' : undefined} onInput=${(e) => setDraft(e.currentTarget.value)} /></div>
        <button type="submit">Filter</button>
        ${pattern && html`<a class="button" href="#/lists">Clear</a>`}
      </form>
      ${patternError && html`<div id="list-pattern-error" style="padding:0 18px"><${ErrorBox} error=${patternError} /></div>`}
      <table aria-label="Lists">
        <thead><tr><th>Id</th><th>Name</th><th>Created</th><th>Updated</th></tr></thead>
        <tbody>
          ${list.items.map((l) => html`<tr key=${l.id} data-list-id=${l.id}>
            <td class="mono"><a href=${href(['lists', l.id])}>${l.id}</a></td>
            <td data-col="name">${l.name}</td>
            <td><${Time} value=${l.created} /></td>
            <td><${Time} value=${l.updated} /></td>
          </tr>`)}
        </tbody>
      </table>
      ${!list.loading && !list.items.length && !list.error && html`<div class="empty">${pattern ? 'No lists match.' : 'No lists yet.'}</div>`}
      <${Pager} list=${patternError ? { ...list, error: null } : list} noun="list" />
    </section>
    <section class="card">
      <h2>Create or rename a list</h2>
      <${ListForm} onSaved=${() => list.reload()} />
    </section>
  </div>`;
}

/** PUT /lists/{id} { name }: creates the list, or renames one that exists. */
function ListForm({ onSaved }) {
  const [id, setId] = useState('');
  const [name, setName] = useState('');
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    setSaved(null);
    const listId = id.trim();
    if (!listId) return setError('Enter a list id.');
    setBusy(true);
    try {
      await put(`/lists/${enc(listId)}`, { name: name.trim() || listId });
      setSaved(listId);
      onSaved();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`<form aria-label="Create a list" onSubmit=${submit}>
    <div class="grid2">
      <div class="field"><label for="new-list-id">List id</label>
        <input id="new-list-id" type="text" value=${id} placeholder="e.g. product.beta.eu" onInput=${(e) => setId(e.currentTarget.value)} /></div>
      <div class="field"><label for="new-list-name">Name (empty: the id)</label>
        <input id="new-list-name" type="text" value=${name} placeholder="e.g. Beta testers (EU)" onInput=${(e) => setName(e.currentTarget.value)} /></div>
    </div>
    <${ErrorBox} error=${error} />
    ${saved && html`<${Notice}>Saved list <a href=${href(['lists', saved])}>${saved}</a>.<//>`}
    <div class="actions"><button class="primary" type="submit" disabled=${busy}>${busy ? 'Saving…' : 'Save list'}</button>
      <span class="hint">Saving an existing id renames it; its subscribers stay.</span></div>
  </form>`;
}

export function ListPage({ id }) {
  const info = useLoad(() => get(`/lists/${enc(id)}`), [id]);
  const subs = usePaged(`/lists/${enc(id)}/subscriptions`, {});
  const [userId, setUserId] = useState('');
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState(null);
  const [busy, setBusy] = useState(null);

  const add = async (e) => {
    e.preventDefault();
    setError(null);
    setNotice(null);
    const user = userId.trim();
    if (!user) return setError('Enter a user id.');
    setBusy('add');
    try {
      await put(`/lists/${enc(id)}/subscriptions/${enc(user)}`);
      setUserId('');
      setNotice(`Subscribed ${user}.`);
      subs.reload();
      info.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };
  const remove = async (user) => {
    setError(null);
    setNotice(null);
    setBusy(user);
    try {
      await del(`/lists/${enc(id)}/subscriptions/${enc(user)}`);
      setNotice(`Unsubscribed ${user}.`);
      subs.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  const l = info.data;
  if (!l && info.error) return html`<div class="card"><p><a href="#/lists">← Lists</a></p><${ErrorBox} error=${info.error} /></div>`;
  return html`<div data-list=${id}>
    <div class="page-head"><div>
      <p><a href="#/lists">← Lists</a></p>
      <h1>${l?.name ?? id} <span class="mono muted" style="font-size:15px">${id}</span></h1>
      <div class="sub">${l ? html`Created <${Time} value=${l.created} /> · updated <${Time} value=${l.updated} />` : 'Loading…'}
        · <a href=${href(['broadcasts'], { list_id: id })}>Broadcast to this list</a></div>
    </div></div>
    <section class="card">
      <h2>Add a subscriber</h2>
      <form class="inline-fields" aria-label="Add a subscriber" onSubmit=${add}>
        <div class="field"><label for="subscriber-id">User id</label>
          <input id="subscriber-id" type="text" value=${userId} placeholder="user id" onInput=${(e) => setUserId(e.currentTarget.value)} /></div>
        <button class="primary" type="submit" disabled=${busy === 'add'}>${busy === 'add' ? 'Adding…' : 'Subscribe'}</button>
      </form>
      <${ErrorBox} error=${error} />
      ${notice && html`<${Notice}>${notice}<//>`}
    </section>
    <section class="card flush">
      <h2>Subscribers</h2>
      <table aria-label="Subscribers">
        <thead><tr><th>User</th><th>Subscribed</th><th>Preferences</th><th></th></tr></thead>
        <tbody>
          ${subs.items.map((s) => html`<tr key=${s.recipientId} data-recipient-id=${s.recipientId}>
            <td><${UserLink} id=${s.recipientId} /></td>
            <td><${Time} value=${s.created} /></td>
            <td class="mono">${s.preferences ? JSON.stringify(s.preferences) : html`<span class="muted">—</span>`}</td>
            <td><button type="button" class="small danger" aria-label=${`Remove ${s.recipientId}`} disabled=${busy === s.recipientId}
              onClick=${() => remove(s.recipientId)}>Remove</button></td>
          </tr>`)}
        </tbody>
      </table>
      ${!subs.loading && !subs.items.length && !subs.error && html`<div class="empty">No subscribers yet.</div>`}
      <${Pager} list=${subs} noun="subscriber" />
    </section>
  </div>`;
}
