/**
 * The decision explorer: why a record was (or was not) deleted. A hash router over five views; the
 * admin key is asked once per tab unless App Service sign-in already let the session through.
 */
import { html, render, nothing } from 'lit';
import { adminKey, api, ApiError, type SessionResponse } from './api.js';
import { parseRoute, type Context, type Route, type View } from './app.js';
import './styles.css';
import { decisionView } from './views/decision.js';
import { heldView } from './views/held.js';
import { poisonView } from './views/poison.js';
import { searchView } from './views/search.js';
import { subscriptionsView } from './views/subscriptions.js';

const root = document.getElementById('app')!;
let session: SessionResponse | null = null;
let signInProblem = '';
let view: View | null = null;
let route: Route = parseRoute(location.hash);

const context: Context = {
  update: () => paint(),
  go: (hash) => {
    if (location.hash === hash) mount();
    else location.hash = hash;
  },
  failed: (error) => {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      session = null;
      signInProblem = error.message;
      view?.dispose?.();
      view = null;
      paint();
      return error.message;
    }
    return error instanceof ApiError ? `${error.message} (${error.code})` : error instanceof Error ? error.message : String(error);
  },
};

function makeView(r: Route): View {
  switch (r.name) {
    case 'decision':
      return decisionView(context, r.id!);
    case 'held':
      return heldView(context);
    case 'poison':
      return poisonView(context);
    case 'subscriptions':
      return subscriptionsView(context);
    default:
      return searchView(context, r.params);
  }
}

const NAV: [Route['name'], string, string][] = [
  ['search', '#/', 'Decisions'],
  ['held', '#/held', 'Held deletes'],
  ['poison', '#/poison', 'Poison queue'],
  ['subscriptions', '#/subscriptions', 'Subscriptions'],
];

function signInForm() {
  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const input = (event.target as HTMLFormElement).elements.namedItem('key') as HTMLInputElement;
    adminKey.set(input.value.trim());
    await start();
  };
  return html`<main id="main" class="signin" tabindex="-1">
    <h1>Decision explorer</h1>
    <p>Why was a record deleted, or why is it still there? Every decision the service made, with the rule and what happened to each copy.</p>
    <form @submit=${submit} class="card">
      <label for="key">Admin key</label>
      <p class="hint" id="key-hint">The service's ADMIN_KEY (locally: <code>.data/local-keys.json</code>, or what <code>npm run demo -- --keep</code> printed). Kept for this tab only.</p>
      <input id="key" name="key" type="password" autocomplete="off" required aria-describedby="key-hint" />
      ${signInProblem ? html`<p class="error" role="alert">${signInProblem}</p>` : nothing}
      <div class="actions">
        <button type="submit" class="primary">Open the explorer</button>
        <a class="button" href="/.auth/login/aad?post_login_redirect_uri=/explorer/">Sign in with Microsoft Entra</a>
      </div>
      <p class="hint">Entra sign-in works where the deployment has App Service authentication on (see the README).</p>
    </form>
  </main>`;
}

function shell(content: View) {
  const who = session?.operator.via === 'entra' ? (session.operator.name ?? 'signed in') : 'admin key';
  const forget = () => {
    adminKey.clear();
    session = null;
    signInProblem = '';
    view?.dispose?.();
    view = null;
    paint();
  };
  return html`<header class="top">
      <a class="brand" href="#/">delete-sync <span>decision explorer</span></a>
      <nav aria-label="Sections">
        ${NAV.map(([name, href, label]) => html`<a href=${href} aria-current=${route.name === name ? 'page' : 'false'}>${label}</a>`)}
      </nav>
      <div class="who">
        <span>${who}</span>
        ${session?.operator.via === 'admin-key' ? html`<button type="button" class="link" @click=${forget}>Forget key</button>` : nothing}
      </div>
    </header>
    <main id="main" tabindex="-1">${content.template()}</main>`;
}

function paint() {
  if (session === null) {
    render(signInForm(), root);
    document.title = 'Sign in · Decision explorer';
    return;
  }
  if (view === null) return;
  render(shell(view), root);
  document.title = `${view.title} · Decision explorer`;
}

function mount() {
  view?.dispose?.();
  route = parseRoute(location.hash);
  view = session === null ? null : makeView(route);
  paint();
  // Keyboard and screen-reader users land on the new content, not on the old focus.
  document.getElementById('main')?.focus({ preventScroll: true });
}

async function start() {
  try {
    session = await api.session();
    signInProblem = '';
  } catch (error) {
    session = null;
    signInProblem = adminKey.get() === null ? '' : context.failed(error);
  }
  mount();
  if (session === null) (document.getElementById('key') as HTMLInputElement | null)?.focus();
}

// lit renders beside what is there: drop the static "Loading…" first.
root.replaceChildren();
window.addEventListener('hashchange', mount);
void start();
