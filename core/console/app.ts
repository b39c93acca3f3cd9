/// <reference lib="dom" />
import { ApiError, api, rolesOf, storeToken, storedToken } from './api.js';
import type { User } from './api.js';
import type { RoleName } from '../../proto/roles.js';
import { announce, clearStatusOnNavigation, h } from './dom.js';
import { renderAdmin } from './views/admin.js';
import { renderAudit, renderTrail } from './views/audit.js';
import { renderItem } from './views/item.js';
import { renderLedger } from './views/ledger.js';
import { renderQuality } from './views/quality.js';
import { renderQueue } from './views/queue.js';
import { renderReport } from './views/report.js';
import { renderSignIn } from './views/signin.js';

/** What a view gets: the signed-in user and a way to navigate. */
export interface Session {
  readonly user: User;
  readonly roles: readonly RoleName[];
  go(hash: string): void;
  /** Renders the current page again (after a change that keeps the address). */
  reload(): void;
}

interface Route {
  readonly path: string;
  readonly label: string;
  readonly roles: readonly RoleName[];
  render(session: Session, main: HTMLElement, arg: string): Promise<(() => void) | void>;
}

const ROUTES: readonly Route[] = [
  // The first route a role may use is its home page.
  // Supervisors land on their own stage, Second review (the queue's first tab for them).
  { path: 'queue', label: 'Review queue', roles: ['reviewer', 'supervisor'], render: renderQueue },
  { path: 'audit', label: 'Audit', roles: ['auditor'], render: renderAudit },
  { path: 'admin', label: 'People', roles: ['admin'], render: renderAdmin },
  { path: 'ledger', label: 'Points and appeals', roles: ['supervisor', 'auditor', 'admin'], render: renderLedger },
  { path: 'quality', label: 'Reviewer quality', roles: ['supervisor'], render: renderQuality },
  { path: 'report', label: 'Transparency report', roles: ['auditor', 'supervisor'], render: renderReport },
];

const HIDDEN_ROUTES: readonly Route[] = [
  { path: 'item', label: 'Event', roles: ['reviewer', 'supervisor', 'auditor'], render: renderItem },
  { path: 'trail', label: 'Event trail', roles: ['auditor'], render: renderTrail },
];

let session: Session | undefined;
let stopView: (() => void) | undefined;

function nav(roles: readonly RoleName[], current: string): HTMLElement {
  const allowed = ROUTES.filter((r) => r.roles.some((role) => roles.includes(role)));
  return h(
    'ul',
    {},
    allowed.map((r) =>
      h('li', {}, h('a', { href: `#/${r.path}`, 'aria-current': r.path === current ? 'page' : undefined }, r.label)),
    ),
  );
}

let generation = 0;

/** Renders the page for the current address. A newer render supersedes one still loading. */
async function render(): Promise<void> {
  const current = ++generation;
  stopView?.();
  stopView = undefined;
  const main = document.getElementById('main')!;
  const navEl = document.getElementById('nav')!;
  const who = document.getElementById('who')!;
  main.replaceChildren();
  if (!session) {
    navEl.replaceChildren();
    who.replaceChildren();
    renderSignIn(main, signIn);
    return;
  }
  const [path = '', ...rest] = location.hash.replace(/^#\/?/, '').split('/');
  const all = [...ROUTES, ...HIDDEN_ROUTES];
  const allowedHome = ROUTES.find((r) => r.roles.some((role) => session!.roles.includes(role)));
  const route = all.find((r) => r.path === path && r.roles.some((role) => session!.roles.includes(role)));
  if (!route) {
    if (allowedHome) location.hash = `#/${allowedHome.path}`;
    return;
  }
  navEl.replaceChildren(nav(session.roles, route.path));
  who.replaceChildren(
    h('span', {}, `${session.user.displayName} · ${session.roles.join(', ')}`),
    h('button', { type: 'button', class: 'link', onclick: signOut }, 'Sign out'),
  );
  document.title = `${route.label} · zebra`;
  const page = h('div');
  let stop: (() => void) | undefined;
  try {
    stop = (await route.render(session, page, decodeURIComponent(rest.join('/')))) ?? undefined;
  } catch (err) {
    page.append(h('p', { class: 'error', role: 'alert' }, `Could not load this page: ${(err as Error).message}`));
  }
  if (current !== generation) {
    stop?.();
    return;
  }
  stopView = stop;
  main.replaceChildren(page);
  main.querySelector('h1')?.setAttribute('tabindex', '-1');
  main.querySelector<HTMLElement>('h1')?.focus();
}

async function signIn(token: string): Promise<void> {
  storeToken(token);
  try {
    const { user } = await api<{ user: User }>('AdminService/WhoAmI');
    session = { user, roles: rolesOf(user), go: (hash) => (location.hash = hash), reload: () => void render() };
    announce(`Signed in as ${user.displayName}`);
    if (!location.hash || location.hash === '#/') location.hash = '#/home';
    await render();
  } catch (err) {
    storeToken('');
    session = undefined;
    const message = err instanceof ApiError && err.status === 401 ? 'That token is not valid.' : (err as Error).message;
    announce(`Sign-in failed: ${message}`, 'error');
    await render();
  }
}

function signOut(): void {
  storeToken('');
  session = undefined;
  location.hash = '';
  announce('Signed out');
  void render();
}

window.addEventListener('hashchange', () => {
  // "#main", "#decide": a place on this page (the skip link, the item page's jump links).
  if (location.hash && !location.hash.startsWith('#/')) return;
  clearStatusOnNavigation();
  void render();
});
if (storedToken()) void signIn(storedToken());
else void render();
