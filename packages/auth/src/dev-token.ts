// Development bearer tokens, signed with the data directory's HS256 secret (`vought token`). They
// are only accepted while the origin runs without an OIDC issuer.
import { SignJWT } from 'jose';
import { AuthError } from './auth-error.ts';
import type { DevKeys } from './dev-keys.ts';
import { isRole, type Role, roles } from './roles.ts';

export interface DevTokenOptions {
  role: Role;
  /** Subject; default `dev-{role}`. */
  sub?: string;
  /** Lifetime in whole seconds; default 12 hours, at most a year. */
  ttlSeconds?: number;
  issuer: string;
  audience: string;
  /** Where the origin reads roles (`VOUGHT_ROLES_CLAIM`); default `roles`. */
  rolesClaim?: string;
}

export const MAX_DEV_TOKEN_TTL_SECONDS = 366 * 24 * 3600;

export async function signDevToken(keys: DevKeys, options: DevTokenOptions): Promise<string> {
  if (!isRole(options.role)) throw new AuthError('auth.invalid_argument', `role must be one of ${roles.join(', ')}`);
  const ttl = options.ttlSeconds ?? 12 * 3600;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_DEV_TOKEN_TTL_SECONDS)
    throw new AuthError('auth.invalid_argument', `ttlSeconds must be a whole number from 1 to ${MAX_DEV_TOKEN_TTL_SECONDS}`);
  const sub = options.sub ?? `dev-${options.role}`;
  if (typeof sub !== 'string' || sub.trim() === '') throw new AuthError('auth.invalid_argument', 'sub must be a non-empty string');
  if (!options.issuer || !options.audience) throw new AuthError('auth.invalid_argument', 'issuer and audience are required');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(roleClaims(options.rolesClaim ?? 'roles', options.role))
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setSubject(sub)
    .setIssuedAt(now)
    .setExpirationTime(now + ttl)
    .sign(keys.devSecret);
}

/**
 * The claims that put `role` where the Authenticator looks: nested for a dotted path
 * (`realm_access.roles` → `{ realm_access: { roles: [...] } }`, as Keycloak does), flat for a
 * namespaced claim name (`https://vought.example/roles`, as Auth0 does).
 */
function roleClaims(claim: string, role: Role): Record<string, unknown> {
  if (claim === '') throw new AuthError('auth.invalid_argument', 'rolesClaim must not be empty');
  if (/[:/]/.test(claim) || !claim.includes('.')) return { [claim]: [role] };
  const parts = claim.split('.');
  if (parts.some((p) => p === ''))
    throw new AuthError('auth.invalid_argument', `rolesClaim ${JSON.stringify(claim)} has an empty path part`);
  let claims: Record<string, unknown> = { [parts.at(-1) as string]: [role] };
  for (const part of parts.slice(0, -1).reverse()) claims = { [part]: claims };
  return claims;
}
