// The console's shell: header, navigation, a history-API router over the pages the origin serves
// index.html for (console/src/server/index.ts CONSOLE_PAGES), and focus moved to each new page's
// heading so keyboard and screen-reader users land where the content is.
import './styles.css';
import { canUpload, completeOidc, loadConfig, onSession, session, signOut } from './auth.ts';
import { announce, h, replace } from './dom.ts';
import { libraryPage } from './library.ts';
import { managePage } from './manage.ts';
import { type Cleanup, navigate, type Page, setRenderer } from './router.ts';
import { signInPage } from './signin.ts';
import { watchPage } from './watch.ts';
import { webhooksPage } from './webhooks.ts';

const routes: Array<[RegExp, Page]> = [
  [/^\/$/, libraryPage],
  // tus-js-client is most of the upload page's weight: loaded when the page is first opened
  [/^\/upload$/, (main, params, query) => import('./upload.ts').then((m) => m.uploadPage(main, params, query))],
  [/^\/sign-in$/, signInPage],
  [/^\/webhooks$/, webhooksPage],
  [/^\/watch\/([A-Za-z0-9_-]{1,64})$/, watchPage],
  [/^\/manage\/([A-Za-z0-9_-]{1,64})$/, managePage],
  [/^\/embed\/([A-Za-z0-9_-]{1,64})$/, (main, params) => watchPage(main, params, new URLSearchParams('embed=1'))],
  [/^\/callback$/, callbackPage],
];

const app = document.getElementById('app') as HTMLElement;
const main = h('main', { id: 'main', tabindex: '-1' });
const who = h('div', { class: 'who' });
const nav = h('nav', { 'aria-label': 'Main' });
let cleanup: Cleanup;
let firstRender = true;

function isConsolePath(pathname: string) {
  return routes.some(([pattern]) => pattern.test(pathname));
}

function renderHeader(): void {
  const s = session();
  const here = location.pathname;
  const link = (href: string, label: string) => h('a', { href, 'aria-current': here === href ? 'page' : false }, label);
  replace(
    nav,
    h(
      'ul',
      null,
      h('li', null, link('/', 'Library')),
      canUpload(s) && [h('li', null, link('/upload', 'Upload')), h('li', null, link('/webhooks', 'Webhooks'))],
    ),
  );
  replace(
    who,
    s
      ? [
          h('span', { class: 'user', title: s.sub }, s.name, ' ', h('span', { class: 'role' }, s.role)),
          h('button', { class: 'button secondary small', type: 'button', onclick: () => signOut('Signed out.') }, 'Sign out'),
        ]
      : here !== '/sign-in' &&
          h('a', { class: 'button small', href: `/sign-in?next=${encodeURIComponent(here + location.search)}` }, 'Sign in'),
  );
}

async function render(): Promise<void> {
  const path = location.pathname;
  const match = routes.map(([pattern, page]) => [pattern.exec(path), page] as const).find(([m]) => m);
  if (typeof cleanup === 'function') cleanup();
  cleanup = undefined;
  const embed = path.startsWith('/embed/');
  document.body.classList.toggle('embed', embed);
  if (!embed) renderHeader();
  main.textContent = '';
  if (!match) {
    document.title = 'Not found · vought';
    replace(
      main,
      h('h1', { tabindex: '-1' }, 'Not found'),
      h('p', null, 'There is no page here. ', h('a', { href: '/' }, 'Go to the library')),
    );
  } else {
    try {
      const result = await match[1](main, match[0]?.slice(1) ?? [], new URLSearchParams(location.search));
      cleanup = typeof result === 'function' ? (result as () => void) : undefined;
    } catch (error) {
      replace(main, h('h1', { tabindex: '-1' }, 'Something went wrong'), h('p', { class: 'error' }, (error as Error).message));
    }
  }
  if (!firstRender) (main.querySelector('h1') as HTMLElement | null)?.focus();
  firstRender = false;
}

async function callbackPage(mainEl: HTMLElement, _params: string[], query: URLSearchParams): Promise<void> {
  document.title = 'Signing in · vought';
  replace(mainEl, h('h1', { tabindex: '-1' }, 'Signing in…'));
  try {
    const next = await completeOidc(query);
    navigate(next, { replace: true });
  } catch (error) {
    history.replaceState(null, '', '/callback'); // the code never stays in the address bar
    replace(
      mainEl,
      h('h1', { tabindex: '-1' }, 'Sign-in failed'),
      h('p', { class: 'error', role: 'alert' }, (error as Error).message),
      h('a', { href: '/sign-in' }, 'Try again'),
    );
  }
}

async function boot(): Promise<void> {
  await loadConfig();
  setRenderer(() => void render());
  const header = h(
    'header',
    { class: 'top' },
    h('a', { class: 'brand', href: '/', 'aria-label': 'vought home' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '▶'), 'vought'),
    nav,
    who,
  );
  replace(app, header, main, h('div', { id: 'toast', class: 'toasts', role: 'status', 'aria-live': 'polite' }));
  onSession((_s, reason) => {
    if (reason) announce(reason);
    void render();
  });
  document.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const anchor = (event.target as Element).closest('a');
    if (!anchor || anchor.target || anchor.hasAttribute('download') || anchor.origin !== location.origin) return;
    if (!isConsolePath(anchor.pathname)) return;
    if (anchor.hash && anchor.pathname === location.pathname && anchor.search === location.search) return; // in-page (skip link)
    event.preventDefault();
    navigate(anchor.pathname + anchor.search);
  });
  window.addEventListener('popstate', () => void render());
  await render();
}

void boot();
