// Sign in: single sign-on (OIDC, authorization code + PKCE) when the origin names an issuer and a
// client id; always, pasting a token (on the embedded defaults: `npx vought token --role editor`).
import { canUpload, consoleConfig, session, signInWithToken, startOidc } from './auth.ts';
import { field, h, replace } from './dom.ts';
import { navigate, type Page } from './router.ts';

/**
 * Pages for editors and admins (upload, webhooks): true when the session may see `path`; otherwise
 * the page says why instead, under its `heading`: another role's message, or a link to sign in.
 */
export function editorsOnly(
  main: HTMLElement,
  heading: string,
  path: string,
  say: { role: (role: string) => string; signIn: string },
): boolean {
  const s = session();
  if (canUpload(s)) return true;
  replace(
    main,
    h('h1', { tabindex: '-1' }, heading),
    s ? h('p', null, say.role(s.role)) : h('p', null, h('a', { href: `/sign-in?next=${path}` }, 'Sign in'), say.signIn),
  );
  return false;
}

export const signInPage: Page = (main, _params, query) => {
  document.title = 'Sign in · vought';
  const next = query.get('next')?.startsWith('/') && !query.get('next')?.startsWith('//') ? (query.get('next') as string) : '/';
  const config = consoleConfig();
  const error = h('p', { class: 'error', role: 'alert', id: 'sign-in-error' });
  const input = h('input', {
    type: 'password',
    name: 'token',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    'data-testid': 'token-input',
    'aria-errormessage': 'sign-in-error',
  });
  const remember = h('input', { type: 'checkbox', name: 'remember', id: 'remember' });
  const submit = h('button', { class: 'button', type: 'submit', 'data-testid': 'sign-in' }, 'Sign in');
  const form = h(
    'form',
    {
      class: 'card stack',
      onsubmit: async (event: Event) => {
        event.preventDefault();
        error.textContent = '';
        input.removeAttribute('aria-invalid');
        submit.disabled = true;
        submit.textContent = 'Checking…';
        try {
          await signInWithToken(input.value, remember.checked);
          navigate(next, { replace: true });
        } catch (e) {
          error.textContent = (e as Error).message;
          input.setAttribute('aria-invalid', 'true');
          input.focus();
        } finally {
          submit.disabled = false;
          submit.textContent = 'Sign in';
        }
      },
    },
    h('h2', null, config.auth.mode === 'oidc' ? 'Or paste an access token' : 'Paste a token'),
    field(
      'Access token',
      input,
      config.auth.mode === 'dev'
        ? 'On a development server, make one with: npx vought token --role editor'
        : 'An access token from your identity provider.',
    ),
    h('div', { class: 'check' }, remember, h('label', { for: 'remember' }, 'Remember me on this device')),
    error,
    h('div', { class: 'row' }, submit),
  );
  const sso =
    config.auth.mode === 'oidc'
      ? h(
          'section',
          { class: 'card stack', 'aria-labelledby': 'sso-title' },
          h('h2', { id: 'sso-title' }, 'Single sign-on'),
          config.auth.clientId
            ? h(
                'button',
                {
                  class: 'button',
                  type: 'button',
                  'data-testid': 'sign-in-sso',
                  onclick: () => startOidc(next).catch((e: Error) => (error.textContent = e.message)),
                },
                'Sign in with your organisation',
              )
            : h(
                'p',
                null,
                `This server trusts ${config.auth.issuer}, but no client id is configured for the console: paste an access token below.`,
              ),
        )
      : null;
  replace(
    main,
    h(
      'div',
      { class: 'narrow stack' },
      h('h1', { tabindex: '-1' }, 'Sign in'),
      session() ? h('p', null, `You are signed in as ${session()?.name}. Signing in again replaces that session.`) : null,
      sso,
      form,
    ),
  );
};
