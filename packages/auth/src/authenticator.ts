// Bearer JWT verification. Development: HS256 with the data directory's secret. SSO: any OIDC
// provider (Keycloak, Auth0, Okta, Google): its JWKS is found by discovery and cached by jose.
// Algorithms are pinned per mode (never `none`, never an HS* token against a public key), and
// iss/aud/exp/nbf are checked with a bounded clock tolerance.
import { createRemoteJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { AuthError } from './auth-error.ts';
import type { DevKeys } from './dev-keys.ts';
import { highestRole, roles as knownRoles, type Principal, type Role } from './roles.ts';

export interface AuthenticatorOptions {
  issuer: string;
  audience: string;
  /** OIDC issuer URL; unset: development HS256 tokens. */
  oidcIssuer?: string | undefined;
  /** Dotted path of the claim holding roles: `roles`, `realm_access.roles`, ... */
  rolesClaim: string;
  keys: DevKeys;
  /** Seconds of clock skew accepted on exp/nbf/iat. */
  clockToleranceSeconds?: number;
}

const OIDC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'];
const DEV_ALGORITHMS = ['HS256'];

export class Authenticator {
  private constructor(
    private readonly options: AuthenticatorOptions,
    private readonly key: Uint8Array | JWTVerifyGetKey,
    private readonly algorithms: string[],
    private readonly issuer: string,
  ) {}

  static async create(options: AuthenticatorOptions): Promise<Authenticator> {
    if (!options.oidcIssuer) return new Authenticator(options, options.keys.devSecret, DEV_ALGORITHMS, options.issuer);
    const base = options.oidcIssuer.replace(/\/$/, '');
    const response = await fetch(`${base}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5000) }).catch(
      (error: Error) => {
        throw new Error(`OIDC discovery at ${base} failed: ${error.message}`);
      },
    );
    if (!response.ok) throw new Error(`OIDC discovery at ${base} answered ${response.status}`);
    const discovery = (await response.json()) as { issuer?: string; jwks_uri?: string };
    if (!discovery.jwks_uri) throw new Error(`OIDC discovery at ${base} has no jwks_uri`);
    // OIDC Discovery §4.3: the document's issuer must be the one asked for.
    if (discovery.issuer && discovery.issuer.replace(/\/$/, '') !== base)
      throw new Error(`OIDC issuer mismatch: asked ${base}, got ${discovery.issuer}`);
    const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri), { cooldownDuration: 30_000, cacheMaxAge: 600_000 });
    return new Authenticator(options, jwks, OIDC_ALGORITHMS, discovery.issuer ?? options.oidcIssuer);
  }

  /** Verifies an `Authorization` header value (`Bearer <jwt>`) and returns who it is. */
  async authenticate(header: string | undefined): Promise<Principal> {
    if (!header) throw new AuthError('auth.missing', 'an Authorization: Bearer token is required');
    const match = /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)\s*$/i.exec(header);
    if (!match?.[1]) throw new AuthError('auth.invalid', 'the Authorization header must be "Bearer <jwt>"');
    return this.verify(match[1]);
  }

  async verify(token: string): Promise<Principal> {
    let payload: JWTPayload;
    try {
      const options = {
        algorithms: this.algorithms,
        issuer: this.issuer,
        audience: this.options.audience,
        clockTolerance: this.options.clockToleranceSeconds ?? 30,
        requiredClaims: ['exp', 'sub'],
      };
      payload =
        typeof this.key === 'function'
          ? (await jwtVerify(token, this.key, options)).payload
          : (await jwtVerify(token, this.key, options)).payload;
    } catch (error) {
      throw translate(error);
    }
    const list = rolesFrom(payload, this.options.rolesClaim);
    const role = highestRole(list);
    if (!role)
      throw new AuthError('auth.forbidden', `the token carries no vought role in '${this.options.rolesClaim}' (admin, editor or viewer)`);
    return { sub: String(payload.sub), roles: list, role };
  }
}

export function translate(error: unknown): AuthError {
  if (error instanceof AuthError) return error;
  if (error instanceof errors.JWTExpired) return new AuthError('auth.expired', 'the token has expired');
  if (error instanceof errors.JWTClaimValidationFailed)
    return new AuthError('auth.invalid', `the token's ${error.claim} claim is not acceptable`);
  if (error instanceof errors.JOSEAlgNotAllowed)
    return new AuthError('auth.invalid', 'the token is signed with an algorithm this server does not accept');
  if (error instanceof errors.JWSSignatureVerificationFailed) return new AuthError('auth.invalid', 'the token signature does not verify');
  if (error instanceof errors.JWKSNoMatchingKey) return new AuthError('auth.invalid', 'no key of the issuer matches the token');
  if (error instanceof errors.JOSEError) return new AuthError('auth.invalid', `the token is not valid (${error.code})`);
  return new AuthError('auth.invalid', 'the token is not valid');
}

/** Reads roles from a dotted claim path; the value may be an array or a space-separated string. */
export function rolesFrom(payload: JWTPayload, claimPath: string): Role[] {
  let value: unknown = payload;
  for (const part of claimPath.split('.')) {
    if (value === null || typeof value !== 'object') return [];
    value = (value as Record<string, unknown>)[part];
  }
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/\s+/) : [];
  return [...new Set(list.filter((r): r is Role => typeof r === 'string' && (knownRoles as readonly string[]).includes(r)))];
}
