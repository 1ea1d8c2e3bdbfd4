// Bearer authentication for the control API, and one place that turns a denied permission into a
// 403 naming the reason. Roles and permissions themselves live in @vought/auth.
import { type Action, AuthError, authorize, type Principal } from '@vought/auth';
import type { MiddlewareHandler } from 'hono';
import type { OriginDeps } from '../app.ts';

declare module 'hono' {
  interface ContextVariableMap {
    principal: Principal | null;
  }
}

/** Sets `principal` from the Authorization header; with `required`, a missing token is a 401. */
export function authenticate(deps: OriginDeps, options: { required: boolean }): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (!header) {
      if (options.required) throw new AuthError('auth.missing', 'this endpoint needs an Authorization: Bearer token');
      c.set('principal', null);
      return next();
    }
    c.set('principal', await deps.auth.authenticate(header));
    return next();
  };
}

/** Throws auth.forbidden (403) with the reason, or auth.missing (401) without a principal. */
export function requirePermission(principal: Principal | null, action: Action, resource?: { owner: string }): Principal {
  if (!principal) throw new AuthError('auth.missing', `${action} needs an Authorization: Bearer token`);
  const decision = authorize(principal, action, resource);
  if (!decision.allowed) throw new AuthError('auth.forbidden', decision.reason);
  return principal;
}
