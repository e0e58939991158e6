// Herald Studio: sign-in, the layout, and the routes. Every page reads the public API.
import { render } from 'preact';
import { useState } from 'preact/hooks';
import { api, getKey, setKey, signOut, takeFlash } from './lib/api.js';
import { href, useRoute } from './lib/router.js';
import { ErrorBox, html } from './lib/ui.js';
import { DashboardPage } from './pages/dashboard.js';
import { IntegrationPage } from './pages/integration.js';
import { AutomationEditor, AutomationsPage } from './pages/automations.js';
import { RunPage, RunsPage } from './pages/runs.js';
import { MessagePage, MessagesPage } from './pages/messages.js';
import { NotificationPage, NotificationsPage } from './pages/notifications.js';
import { TopicsPage, UserPreferencesPage } from './pages/preferences.js';
import { ListPage, ListsPage } from './pages/lists.js';
import { AudiencePage, AudiencesPage } from './pages/audiences.js';
import { BroadcastPage, BroadcastsPage } from './pages/broadcasts.js';
import { SchedulePage, SchedulesPage } from './pages/schedules.js';
import { ProvidersPage } from './pages/providers.js';

const NAV = [
  { section: 'dashboard', label: 'Dashboard', to: '#/dashboard' },
  { section: 'integration', label: 'RudderStack', to: '#/integration' },
  { section: 'automations', label: 'Automations', to: '#/automations' },
  { section: 'runs', label: 'Runs', to: '#/runs' },
  { section: 'messages', label: 'Messages', to: '#/messages' },
  { section: 'notifications', label: 'Notification templates', to: '#/notifications' },
  { section: 'topics', label: 'Topics', to: '#/topics', also: ['users'] },
  { section: 'lists', label: 'Lists', to: '#/lists' },
  { section: 'audiences', label: 'Audiences', to: '#/audiences' },
  { section: 'broadcasts', label: 'Broadcasts', to: '#/broadcasts' },
  { section: 'schedules', label: 'Schedules', to: '#/schedules' },
  { section: 'providers', label: 'Providers', to: '#/providers' },
];

function SignIn({ next, onSignedIn }) {
  const [key, setKeyValue] = useState('');
  const [error, setError] = useState(() => takeFlash());
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    const value = key.trim();
    if (!value) return setError('Enter an API key.');
    setBusy(true);
    setError(null);
    try {
      await api('GET', '/automations', { query: { limit: 1 }, key: value });
      setKey(value);
      const target = next && !next.startsWith('#/signin') ? next : '#/dashboard';
      if (location.hash !== target) location.hash = target;
      onSignedIn();
    } catch (err) {
      setError(err.status === 401 ? 'That key was not accepted.' : err.message);
    } finally {
      setBusy(false);
    }
  };
  return html`<div class="signin">
    <form class="card" onSubmit=${submit} aria-label="Sign in">
      <h1>Herald Studio</h1>
      <p>Sign in with a Herald API key. It is kept in this browser tab's session only and sent with each API call.</p>
      <div class="field">
        <label for="api-key">API key</label>
        <input id="api-key" name="api-key" type="password" autocomplete="off" placeholder="hk_…" value=${key}
          onInput=${(e) => setKeyValue(e.currentTarget.value)} autofocus />
      </div>
      <${ErrorBox} error=${error} />
      <button class="primary" type="submit" disabled=${busy}>${busy ? 'Checking…' : 'Sign in'}</button>
      <p class="hint" style="margin-top:14px">No key? <code>npx herald keys create</code> makes one.</p>
    </form>
  </div>`;
}

function Layout({ section, children }) {
  return html`<div class="shell">
    <nav class="nav" aria-label="Studio">
      <div class="brand">Herald <span>Studio</span></div>
      ${NAV.map((n) => html`<a href=${n.to} class=${n.section === section || n.also?.includes(section) ? 'active' : ''}>${n.label}</a>`)}
      <div class="spacer"></div>
      <a href="/docs" target="_blank" rel="noopener">API reference</a>
      <a href="#/signin" class="signout" onClick=${(e) => { e.preventDefault(); signOut(); }}>Sign out</a>
    </nav>
    <main class="main">${children}</main>
  </div>`;
}

function NotFound() {
  return html`<div class="card"><h1>Not found</h1><p>There is no such page. <a href="#/dashboard">Go to the dashboard</a>.</p></div>`;
}

function page(route) {
  const [section, id, sub] = route.parts;
  switch (section) {
    case 'dashboard':
      return html`<${DashboardPage} query=${route.query} />`;
    case 'integration':
      return html`<${IntegrationPage} tab=${id ?? 'catalog'} entryId=${sub} query=${route.query} />`;
    case 'automations':
      return id ? html`<${AutomationEditor} key=${id} id=${id} />` : html`<${AutomationsPage} />`;
    case 'runs':
      return id ? html`<${RunPage} key=${id} id=${id} />` : html`<${RunsPage} query=${route.query} />`;
    case 'messages':
      return id ? html`<${MessagePage} key=${id} id=${id} />` : html`<${MessagesPage} query=${route.query} />`;
    case 'notifications':
      return id ? html`<${NotificationPage} key=${id} id=${id} />` : html`<${NotificationsPage} />`;
    case 'topics':
      return html`<${TopicsPage} />`;
    case 'lists':
      return id ? html`<${ListPage} key=${id} id=${id} />` : html`<${ListsPage} key=${route.query.pattern ?? ''} query=${route.query} />`;
    case 'audiences':
      return id ? html`<${AudiencePage} key=${id} id=${id} />` : html`<${AudiencesPage} />`;
    case 'broadcasts':
      return id ? html`<${BroadcastPage} key=${id} id=${id} />` : html`<${BroadcastsPage} key=${JSON.stringify(route.query)} query=${route.query} />`;
    case 'schedules':
      return id ? html`<${SchedulePage} key=${id} id=${id} />` : html`<${SchedulesPage} />`;
    case 'providers':
      return id ? html`<${NotFound} />` : html`<${ProvidersPage} />`;
    case 'users':
      // Only #/users/<id>/preferences: the Studio has no other per-user page.
      return id && sub === 'preferences' && route.parts.length === 3 ? html`<${UserPreferencesPage} key=${id} userId=${id} />` : html`<${NotFound} />`;
    default:
      return html`<${NotFound} />`;
  }
}

function App() {
  const route = useRoute();
  const [, setSignIns] = useState(0);
  if (route.parts[0] === 'signin' || !getKey()) {
    if (getKey()) {
      location.hash = '#/dashboard';
      return null;
    }
    const next = route.parts[0] === 'signin' ? route.query.next : location.hash;
    return html`<${SignIn} next=${next} onSignedIn=${() => setSignIns((n) => n + 1)} />`;
  }
  if (!route.parts.length) {
    location.replace(href(['dashboard']));
    return null;
  }
  return html`<${Layout} section=${route.parts[0]}>${page(route)}<//>`;
}

if (!location.hash) history.replaceState(null, '', `${location.pathname}${location.search}#/${getKey() ? 'dashboard' : 'signin'}`);
const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} />`, root);
