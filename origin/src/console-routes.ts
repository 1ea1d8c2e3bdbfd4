// The web console (console/ workspace) at the origin's root: index.html for the console's pages
// (a fixed list, so the API, delivery, /healthz, /readyz, /metrics, /docs, /openapi.json and
// /.well-known/* are never shadowed), its hashed assets, and /console/config.json telling the page
// how to sign in (OIDC issuer from the configuration, or pasted development tokens).
import { ASSET_PREFIX, CONSOLE_PAGES, consoleBundle } from '@vought/console';
import type { Hono } from 'hono';
import type { OriginDeps } from './app.ts';
import { ApiError } from './http/api-error.ts';

export interface ConsoleOptions {
  /** OIDC client id of the console (public client, PKCE). No setting exists for it yet. */
  oidcClientId?: string | undefined;
}

export function mountConsole(app: Hono, deps: OriginDeps, options: ConsoleOptions = {}): void {
  const { auth } = deps.config;
  // Built while the origin starts, so the first page is not kept waiting.
  consoleBundle().catch((error: Error) => deps.logger.error({ err: error.message }, 'console: bundle failed'));
  const issuerOrigin = auth.oidcIssuer ? new URL(auth.oidcIssuer).origin : '';
  const csp = (embed: boolean) =>
    [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data: blob:",
      "media-src 'self' blob:",
      "worker-src 'self' blob:",
      `connect-src 'self'${issuerOrigin ? ` ${issuerOrigin}` : ''}`,
      "base-uri 'none'",
      "form-action 'self'",
      `frame-ancestors ${embed ? '*' : "'none'"}`,
    ].join('; ');

  const page = (embed: boolean) => async (c: import('hono').Context) => {
    const bundle = await consoleBundle();
    return c.html(bundle.html, 200, {
      'cache-control': 'no-cache',
      'content-security-policy': csp(embed),
      'referrer-policy': 'same-origin',
      'x-content-type-options': 'nosniff',
    });
  };
  for (const route of CONSOLE_PAGES) app.get(route, page(route === '/embed/:id'));

  app.get('/console/config.json', (c) =>
    c.json(
      {
        auth: auth.oidcIssuer
          ? { mode: 'oidc', issuer: auth.oidcIssuer, clientId: options.oidcClientId ?? null, rolesClaim: auth.rolesClaim }
          : { mode: 'dev', rolesClaim: auth.rolesClaim },
        publicUrl: deps.config.publicUrl ?? null,
      },
      200,
      { 'cache-control': 'no-cache' },
    ),
  );

  app.get(`${ASSET_PREFIX}:name`, async (c) => {
    const found = (await consoleBundle()).assets.get(c.req.param('name'));
    if (!found) throw new ApiError('http.not_found', `no console asset ${c.req.param('name')}`);
    const headers = { 'content-type': found.type, etag: found.etag, 'x-content-type-options': 'nosniff' };
    const cache = c.req.param('name') === 'icon.svg' ? 'public, max-age=86400' : 'public, max-age=31536000, immutable';
    if (c.req.header('if-none-match') === found.etag) return c.body(null, 304, { ...headers, 'cache-control': cache });
    return c.body(new Uint8Array(found.body), 200, { ...headers, 'cache-control': cache });
  });
}
