// Bearer JWT verification. Development: HS256 with the data directory's secret. SSO: any OIDC
// provider (Keycloak, Auth0, Okta, Entra ID, Google): its JWKS is found by discovery and cached by
// jose. Algorithms are pinned per mode (never `none`, never an HS* token against a public key:
// RFC 8725 §3.1 and §2.1), and iss/aud/exp/nbf are checked with a bounded clock tolerance.
import { createRemoteJWKSet, customFetch, errors, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions, jwtVerify } from 'jose';
import { AuthError } from './auth-error.ts';
import type { DevKeys } from './dev-keys.ts';
import { highestRole, isRole, type Principal, type Role, roles as roleOrder } from './roles.ts';

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface AuthenticatorOptions {
  /** Expected `iss` of development tokens (OIDC tokens must carry the provider's issuer). */
  issuer: string;
  /** Expected `aud` (one of the token's audiences). */
  audience: string;
  /** OIDC issuer URL; unset or empty: development HS256 tokens. */
  oidcIssuer?: string | undefined;
  /** Claim holding roles: a name (`roles`, `https://vought.example/roles`) or a dotted path (`realm_access.roles`). */
  rolesClaim: string;
  keys: DevKeys;
  /** Seconds of clock skew accepted on exp/nbf (default 30, at most 300). */
  clockToleranceSeconds?: number;
  /**
   * After a token names an unknown `kid`, the JWKS is fetched again at most this often (default 30),
   * so a stream of made-up kids cannot turn into a stream of requests to the provider.
   */
  jwksCooldownSeconds?: number;
  /** fetch used for discovery and the JWKS (tests, proxies); default: global fetch. */
  fetch?: FetchLike;
}

/** Asymmetric algorithms accepted from an identity provider. HS* is never accepted with a JWKS. */
export const OIDC_ALGORITHMS = ['RS256', 'ES256', 'EdDSA', 'PS256'] as const;
/** Development tokens are HS256 with the data directory's secret, nothing else. */
export const DEV_ALGORITHMS = ['HS256'] as const;

const DEFAULT_CLOCK_TOLERANCE = 30;
const MAX_CLOCK_TOLERANCE = 300;
const DISCOVERY_TIMEOUT_MS = 5000;
const JWKS_TIMEOUT_MS = 5000;
const JWKS_MAX_AGE_MS = 10 * 60_000;
// Far above any real token (Keycloak's with many groups run to a few KiB); refuses absurd input
// before any parsing or crypto.
const MAX_TOKEN_LENGTH = 16 * 1024;

interface Mode {
  kind: 'dev' | 'oidc';
  key: Uint8Array | JWTVerifyGetKey;
  algorithms: string[];
  issuer: string;
}

export class Authenticator {
  private readonly verifyOptions: JWTVerifyOptions;

  private constructor(
    private readonly options: AuthenticatorOptions,
    private readonly mode: Mode,
    clockTolerance: number,
  ) {
    this.verifyOptions = {
      algorithms: mode.algorithms,
      issuer: mode.issuer,
      audience: options.audience,
      clockTolerance,
      requiredClaims: ['exp', 'sub'],
    };
  }

  /** Development mode at once; OIDC mode after discovery (fails here if the provider cannot be used). */
  static async create(options: AuthenticatorOptions): Promise<Authenticator> {
    const clockTolerance = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE;
    if (!Number.isFinite(clockTolerance) || clockTolerance < 0 || clockTolerance > MAX_CLOCK_TOLERANCE)
      throw new AuthError('auth.misconfigured', `clock tolerance must be 0 to ${MAX_CLOCK_TOLERANCE} seconds (got ${clockTolerance})`);
    if (!options.audience) throw new AuthError('auth.misconfigured', 'an audience is required');
    if (!options.rolesClaim) throw new AuthError('auth.misconfigured', 'a roles claim is required');
    if (!options.oidcIssuer) {
      if (!options.issuer) throw new AuthError('auth.misconfigured', 'an issuer is required');
      const mode: Mode = { kind: 'dev', key: options.keys.devSecret, algorithms: [...DEV_ALGORITHMS], issuer: options.issuer };
      return new Authenticator(options, mode, clockTolerance);
    }
    const { issuer, jwksUri } = await discover(options.oidcIssuer, options.fetch);
    const cooldown = options.jwksCooldownSeconds ?? 30;
    if (!Number.isFinite(cooldown) || cooldown < 0)
      throw new AuthError('auth.misconfigured', `JWKS cooldown must be a non-negative number of seconds (got ${cooldown})`);
    const remote = createRemoteJWKSet(jwksUri, {
      cooldownDuration: cooldown * 1000,
      cacheMaxAge: JWKS_MAX_AGE_MS,
      timeoutDuration: JWKS_TIMEOUT_MS,
      ...(options.fetch ? { [customFetch]: options.fetch } : {}),
    });
    return new Authenticator(
      options,
      { kind: 'oidc', key: unavailableAware(remote, jwksUri), algorithms: [...OIDC_ALGORITHMS], issuer },
      clockTolerance,
    );
  }

  /** 'dev' (HS256 development tokens) or 'oidc' (an identity provider's tokens). */
  get kind(): 'dev' | 'oidc' {
    return this.mode.kind;
  }

  /** Verifies an `Authorization` header value (`Bearer <jwt>`) and returns who it is. */
  async authenticate(header: string | null | undefined): Promise<Principal> {
    if (header === undefined || header === null || header.trim() === '')
      throw new AuthError('auth.missing', 'an Authorization: Bearer token is required');
    // RFC 7235 §2.1: the auth scheme is case-insensitive; RFC 6750 §2.1: one b64token follows.
    const match = /^\s*Bearer +(\S+)\s*$/i.exec(header);
    if (!match?.[1]) throw new AuthError('auth.invalid', 'the Authorization header must be "Bearer <token>"');
    return this.verify(match[1]);
  }

  /** Verifies a bare JWT and returns who it is. */
  async verify(token: string): Promise<Principal> {
    checkShape(token);
    let payload: JWTPayload;
    try {
      payload =
        typeof this.mode.key === 'function'
          ? (await jwtVerify(token, this.mode.key, this.verifyOptions)).payload
          : (await jwtVerify(token, this.mode.key, this.verifyOptions)).payload;
    } catch (error) {
      throw translate(error, { issuer: this.mode.issuer, audience: this.options.audience, algorithms: this.mode.algorithms });
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') throw new AuthError('auth.invalid', 'the token has no subject (sub)');
    const list = rolesFrom(payload, this.options.rolesClaim);
    const role = highestRole(list);
    if (!role)
      throw new AuthError('auth.forbidden', `the token carries no vought role (${roleOrder.join(', ')}) in '${this.options.rolesClaim}'`, {
        claim: this.options.rolesClaim,
      });
    return { sub: payload.sub, roles: list, role };
  }
}

/** A compact JWS has three base64url parts; anything else is refused before parsing. */
export function checkShape(token: string): void {
  if (token.length > MAX_TOKEN_LENGTH) throw new AuthError('auth.invalid', `the token is longer than ${MAX_TOKEN_LENGTH} characters`);
  const parts = token.split('.');
  if (parts.length === 5) throw new AuthError('auth.invalid', 'encrypted tokens (JWE) are not accepted; send a signed JWT');
  if (parts.length !== 3 || !parts.every((part) => /^[A-Za-z0-9_-]*$/.test(part)))
    throw new AuthError('auth.invalid', 'the token is not a JWT (three base64url parts separated by dots)');
}

/** OIDC Discovery 1.0 §4: `{issuer}/.well-known/openid-configuration`, whose issuer must be the one asked for. */
async function discover(oidcIssuer: string, fetchImpl: FetchLike = fetch): Promise<{ issuer: string; jwksUri: URL }> {
  let base: URL;
  try {
    base = new URL(oidcIssuer);
  } catch {
    throw new AuthError('auth.misconfigured', `the OIDC issuer ${JSON.stringify(oidcIssuer)} is not a URL`);
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:')
    throw new AuthError('auth.misconfigured', `the OIDC issuer must be an http(s) URL (got ${base.protocol})`);
  const wanted = oidcIssuer.replace(/\/+$/, '');
  const url = `${wanted}/.well-known/openid-configuration`;
  let document: unknown;
  try {
    const response = await fetchImpl(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS) });
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      throw new AuthError(
        response.status >= 500 ? 'auth.unavailable' : 'auth.misconfigured',
        `OIDC discovery at ${url} answered ${response.status}`,
        {
          url,
          status: response.status,
        },
      );
    }
    document = await response.json();
  } catch (error) {
    if (error instanceof AuthError) throw error;
    const why = error instanceof SyntaxError ? 'did not answer JSON' : `failed: ${(error as Error).message}`;
    throw new AuthError(
      error instanceof SyntaxError ? 'auth.misconfigured' : 'auth.unavailable',
      `OIDC discovery at ${url} ${why}`,
      { url },
      { cause: error },
    );
  }
  const { issuer, jwks_uri: jwksUri } = (document ?? {}) as { issuer?: unknown; jwks_uri?: unknown };
  if (typeof issuer !== 'string' || typeof jwksUri !== 'string')
    throw new AuthError('auth.misconfigured', `OIDC discovery at ${url} has no issuer or jwks_uri`, { url });
  // OIDC Discovery §4.3: the issuer in the document must be identical to the one used to find it
  // (trailing slashes aside, which providers differ on); tokens must then carry exactly that issuer.
  if (issuer.replace(/\/+$/, '') !== wanted)
    throw new AuthError('auth.misconfigured', `OIDC issuer mismatch: configured ${wanted}, discovery says ${issuer}`, { url });
  let jwks: URL;
  try {
    jwks = new URL(jwksUri);
  } catch {
    throw new AuthError('auth.misconfigured', `OIDC discovery at ${url} has an invalid jwks_uri`, { url });
  }
  if (jwks.protocol !== 'https:' && jwks.protocol !== 'http:')
    throw new AuthError('auth.misconfigured', `OIDC jwks_uri must be an http(s) URL (got ${jwks.protocol})`, { url });
  return { issuer, jwksUri: jwks };
}

/**
 * Turns failures to fetch the JWKS (network, timeout, non-200, not a JWKS) into auth.unavailable:
 * the token may be fine, the provider is not, and a 401 would tell the client the wrong thing.
 */
export function unavailableAware(remote: JWTVerifyGetKey, url: URL): JWTVerifyGetKey {
  return async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      // What the fetch can throw: the network's errors (not jose's), a timeout, jose's generic
      // error for a non-200 or non-JSON answer, or JWKSInvalid. Errors about the token itself
      // (no matching key, ...) are jose subclasses and pass through.
      const fetching =
        !(error instanceof errors.JOSEError) ||
        error instanceof errors.JWKSTimeout ||
        error instanceof errors.JWKSInvalid ||
        error.constructor === errors.JOSEError;
      if (!fetching) throw error;
      throw new AuthError(
        'auth.unavailable',
        `the signing keys at ${url.href} cannot be fetched: ${(error as Error).message}`,
        { url: url.href },
        { cause: error },
      );
    }
  };
}

interface Expected {
  issuer: string;
  audience: string;
  algorithms: readonly string[];
}

/** Maps jose's errors to AuthError; messages name the failed check, never the token or a key. */
export function translate(error: unknown, expected: Expected): AuthError {
  if (error instanceof AuthError) return error;
  const wrap = (code: 'auth.invalid' | 'auth.expired', message: string, detail: Record<string, unknown> = {}) =>
    new AuthError(code, message, detail, { cause: error });
  if (error instanceof errors.JWTExpired) return wrap('auth.expired', 'the token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    const claim = error.claim;
    if (error.reason === 'missing') return wrap('auth.invalid', `the token has no ${claim} claim`, { claim });
    switch (claim) {
      case 'iss':
        return wrap('auth.invalid', `the token was not issued by ${expected.issuer}`, { claim });
      case 'aud':
        return wrap('auth.invalid', `the token is not meant for ${expected.audience} (aud)`, { claim });
      case 'nbf':
        return wrap('auth.invalid', 'the token is not valid yet (nbf)', { claim });
      default:
        return wrap('auth.invalid', `the token's ${claim} claim is not acceptable`, { claim });
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed)
    return wrap('auth.invalid', `the token's signing algorithm is not accepted here (accepted: ${expected.algorithms.join(', ')})`);
  if (error instanceof errors.JWSSignatureVerificationFailed) return wrap('auth.invalid', 'the token signature does not verify');
  if (error instanceof errors.JWKSNoMatchingKey) return wrap('auth.invalid', 'no signing key of the issuer matches the token (kid, alg)');
  if (error instanceof errors.JWKSMultipleMatchingKeys)
    return wrap('auth.invalid', 'several signing keys match the token and none verifies it');
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return wrap('auth.invalid', 'the token is malformed');
  if (error instanceof errors.JOSENotSupported) return wrap('auth.invalid', 'the token uses a feature this server does not support');
  if (error instanceof errors.JOSEError) return wrap('auth.invalid', `the token is not valid (${error.code})`);
  // A key import failure or similar: still the token's fault as far as the caller can tell.
  return wrap('auth.invalid', 'the token is not valid');
}

/**
 * Reads roles from a claim: first as a claim named exactly `claim` (Auth0 namespaces roles as
 * `https://example.com/roles`), else as a dotted path (`realm_access.roles`,
 * `resource_access.vought.roles`). The value may be an array or a space-separated string (RFC 8693
 * §4.2 `scope` style). Unknown roles are ignored; the result is deduplicated, highest first.
 */
export function rolesFrom(payload: JWTPayload, claim: string): Role[] {
  let value: unknown;
  if (Object.hasOwn(payload, claim)) value = payload[claim];
  else {
    value = payload;
    for (const part of claim.split('.')) {
      if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, part)) return [];
      value = (value as Record<string, unknown>)[part];
    }
  }
  const list: unknown[] = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/\s+/) : [];
  const found = new Set(list.filter(isRole));
  return roleOrder.filter((role) => found.has(role));
}
