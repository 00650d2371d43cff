// The console's shell: sign-in, sign-out, and the hash routes (#/tenants, #/tenants/NAME, #/plans, #/live), so a
// reload shows the same page. Each page gets a fresh container and an AbortSignal that fires when the user leaves it
// (the live page stops polling, late answers are not drawn).

import { call, onUnauthorized, session } from './api.js';
import { tenantsPage } from './pages/tenants.js';
import { tenantPage } from './pages/tenant.js';
import { plansPage } from './pages/plans.js';
import { livePage } from './pages/live.js';
import { problemLine } from './dom.js';

const $ = (id) => document.getElementById(id);

const ROUTES = [
  { pattern: /^#\/tenants\/?$/, nav: 'tenants', page: (root, signal) => tenantsPage(root, signal) },
  { pattern: /^#\/tenants\/([a-z0-9][a-z0-9-]{0,62})$/, nav: 'tenants',
    page: (root, signal, match) => tenantPage(root, signal, match[1]) },
  { pattern: /^#\/plans\/?$/, nav: 'plans', page: (root, signal) => plansPage(root, signal) },
  { pattern: /^#\/live\/?$/, nav: 'live', page: (root, signal) => livePage(root, signal) },
];

let leaving = new AbortController();

function showLogin(message) {
  leaving.abort();
  $('page').hidden = true;
  $('page').replaceChildren();
  $('nav').hidden = true;
  $('logout').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message || '';
  document.title = 'Sign in · Sluice admin';
  $('token').focus();
}

async function route() {
  if (!session.token()) {
    showLogin();
    return;
  }
  $('login').hidden = true;
  $('nav').hidden = false;
  $('logout').hidden = false;
  const hash = location.hash || '#/tenants';
  const found = ROUTES.map((r) => ({ r, match: r.pattern.exec(hash) })).find((m) => m.match);
  leaving.abort();
  leaving = new AbortController();
  const root = $('page');
  root.replaceChildren();
  root.hidden = false;
  for (const link of $('nav').querySelectorAll('a')) {
    if (found && link.dataset.page === found.r.nav) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (!found) {
    root.append(problemLine({ line: `No such page: ${hash}` }));
    return;
  }
  // Busy until the page has its data: assistive technology (and the browser test) wait for it.
  root.setAttribute('aria-busy', 'true');
  const signal = leaving.signal;
  try {
    await found.r.page(root, signal, found.match);
  } catch (e) {
    if (!signal.aborted) root.append(problemLine(e));
  }
  if (!signal.aborted) root.removeAttribute('aria-busy');
  const heading = root.querySelector('h1');
  if (heading && !leaving.signal.aborted) {
    document.title = `${heading.textContent} · Sluice admin`;
  }
}

async function signIn(event) {
  event.preventDefault();
  const token = $('token').value.trim();
  $('login-error').textContent = '';
  try {
    // Any admin call tells a good token from a bad one; the token is kept only once it worked.
    await call('GET', '/admin/v1/tenants', undefined, token);
  } catch (problem) {
    $('login-error').textContent = problem.title || String(problem);
    $('token').select();
    return;
  }
  session.keep(token);
  $('token').value = '';
  if (!location.hash) history.replaceState(null, '', '#/tenants');
  await route();
  const heading = $('page').querySelector('h1');
  if (heading) heading.focus();
}

function signOut() {
  session.clear();
  showLogin();
}

onUnauthorized((problem) => {
  session.clear();
  showLogin(problem.title);
});

$('login-form').addEventListener('submit', signIn);
$('logout').addEventListener('click', signOut);
window.addEventListener('hashchange', () => {
  route().then(() => {
    const heading = $('page').querySelector('h1');
    if (heading) heading.focus();
  });
});
route();
