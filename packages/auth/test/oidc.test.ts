// OIDC mode against a real HTTP identity provider (test/oidc-provider.ts): discovery, JWKS
// fetching, caching and rotation, pinned algorithms.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type CryptoKey, exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Authenticator, type AuthenticatorOptions } from '../src/authenticator.ts';
import { type DevKeys, loadDevKeys } from '../src/dev-keys.ts';
import { signDevToken } from '../src/dev-token.ts';
import { OidcProvider } from './oidc-provider.ts';
import { b64, rejection } from './rejection.ts';

const audience = 'vought';
let dir: string;
let keys: DevKeys;
type Pair = { privateKey: CryptoKey; publicKey: CryptoKey; jwk: JWK; alg: string; kid: string };
const pairs: Record<string, Pair> = {};
const providers: OidcProvider[] = [];

async function pair(alg: string, kid: string): Promise<Pair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }, alg, kid };
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vought-oidc-'));
  keys = await loadDevKeys(path.join(dir, 'keys'));
  for (const [alg, kid] of [
    ['RS256', 'rsa-1'],
    ['ES256', 'ec-1'],
    ['EdDSA', 'ed-1'],
    ['PS256', 'ps-1'],
    ['RS384', 'rs384-1'],
    ['RS256', 'rsa-2'],
  ] as const)
    pairs[kid] = await pair(alg, kid);
}, 30_000);
afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.close()));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** A provider publishing the given keys. */
async function provider(...kids: string[]): Promise<OidcProvider> {
  const p = await OidcProvider.start();
  providers.push(p);
  p.jwks = { keys: kids.map((kid) => (pairs[kid] as Pair).jwk) };
  return p;
}

const sso = (p: OidcProvider, extra: Partial<AuthenticatorOptions> = {}) =>
  Authenticator.create({ issuer: 'vought', audience, oidcIssuer: p.issuer, rolesClaim: 'realm_access.roles', keys, ...extra });

/** A Keycloak-like access token. */
function mint(p: OidcProvider, kid: string, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) {
  const k = pairs[kid] as Pair;
  const payload = {
    realm_access: { roles: ['offline_access', 'editor'] },
    iss: p.issuer,
    aud: audience,
    sub: 'sso-user',
    exp: Math.floor(Date.now() / 1000) + 600,
    ...claims,
  };
  return new SignJWT(payload).setProtectedHeader({ alg: k.alg, kid, typ: 'JWT', ...header }).sign(k.privateKey);
}

describe('OIDC tokens', () => {
  it('verifies RS256, ES256, EdDSA and PS256 tokens, roles from realm_access.roles', async () => {
    const p = await provider('rsa-1', 'ec-1', 'ed-1', 'ps-1');
    const auth = await sso(p);
    expect(auth.kind).toBe('oidc');
    for (const kid of ['rsa-1', 'ec-1', 'ed-1', 'ps-1'])
      expect(await auth.authenticate(`Bearer ${await mint(p, kid)}`)).toEqual({ sub: 'sso-user', roles: ['editor'], role: 'editor' });
  });

  it('refuses HS256 signed with the RSA public key (algorithm confusion), alg:none, RS384 and dev tokens', async () => {
    const p = await provider('rsa-1', 'rs384-1');
    const auth = await sso(p);
    const rsa = pairs['rsa-1'] as Pair;
    const now = Math.floor(Date.now() / 1000);
    const payload = { realm_access: { roles: ['admin'] }, iss: p.issuer, aud: audience, sub: 'mallory', exp: now + 600 };
    for (const secret of [await exportSPKI(rsa.publicKey), JSON.stringify(rsa.jwk)]) {
      const confused = await new SignJWT(payload).setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' }).sign(new TextEncoder().encode(secret));
      const error = await rejection(auth.authenticate(`Bearer ${confused}`));
      expect([error.code, error.message]).toEqual([
        'auth.invalid',
        "the token's signing algorithm is not accepted here (accepted: RS256, ES256, EdDSA, PS256)",
      ]);
    }
    const none = `${b64({ alg: 'none', kid: 'rsa-1' })}.${b64(payload)}.`;
    expect((await rejection(auth.verify(none))).message).toMatch(/algorithm/);
    expect((await rejection(auth.verify(await mint(p, 'rs384-1')))).message).toMatch(/algorithm/);
    const dev = await signDevToken(keys, { role: 'admin', issuer: p.issuer, audience, rolesClaim: 'realm_access.roles' });
    expect((await rejection(auth.verify(dev))).code).toBe('auth.invalid');
  });

  it('refuses a wrong issuer, a wrong audience, an expired token and a key the provider does not publish', async () => {
    const p = await provider('rsa-1');
    const auth = await sso(p);
    expect((await rejection(auth.verify(await mint(p, 'rsa-1', { iss: 'https://evil.example' })))).message).toBe(
      `the token was not issued by ${p.issuer}`,
    );
    expect((await rejection(auth.verify(await mint(p, 'rsa-1', { aud: 'account' })))).code).toBe('auth.invalid');
    expect((await rejection(auth.verify(await mint(p, 'rsa-1', { exp: Math.floor(Date.now() / 1000) - 600 })))).code).toBe('auth.expired');
    // Signed by an unpublished key that claims a published kid: the signature fails.
    const stranger = await generateKeyPair('RS256');
    const claimsKid = await new SignJWT({ realm_access: { roles: ['admin'] } })
      .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' })
      .setIssuer(p.issuer)
      .setAudience(audience)
      .setSubject('x')
      .setExpirationTime('1m')
      .sign(stranger.privateKey);
    expect((await rejection(auth.verify(claimsKid))).message).toMatch(/signature/);
    // A kid nobody published.
    expect((await rejection(auth.verify(await mint(p, 'rsa-2')))).message).toMatch(/no signing key/);
    expect((await rejection(auth.verify(await mint(p, 'rsa-1', { realm_access: { roles: ['uma_authorization'] } })))).code).toBe(
      'auth.forbidden',
    );
  });

  it('fetches the JWKS once, and not again for made-up kids within the cooldown', async () => {
    const p = await provider('rsa-1');
    const auth = await sso(p);
    for (let i = 0; i < 3; i++) await auth.verify(await mint(p, 'rsa-1'));
    expect(p.hitsOf('/realms/vought/certs')).toBe(1);
    for (let i = 0; i < 5; i++) expect((await rejection(auth.verify(await mint(p, 'rsa-2')))).code).toBe('auth.invalid');
    expect(p.hitsOf('/realms/vought/certs')).toBe(1);
  });

  it('picks up a rotated key (new kid) and stops accepting a retired one', async () => {
    const p = await provider('rsa-1');
    const auth = await sso(p, { jwksCooldownSeconds: 0 });
    await auth.verify(await mint(p, 'rsa-1'));
    p.jwks = { keys: [(pairs['rsa-2'] as Pair).jwk] };
    expect((await auth.verify(await mint(p, 'rsa-2'))).role).toBe('editor');
    expect(p.hitsOf('/realms/vought/certs')).toBe(2);
    expect((await rejection(auth.verify(await mint(p, 'rsa-1')))).message).toMatch(/no signing key/);
  });

  it('answers auth.unavailable (not a 401) while the JWKS cannot be fetched', async () => {
    const p = await provider('rsa-1');
    p.jwksStatus = 503;
    const auth = await sso(p);
    const error = await rejection(auth.verify(await mint(p, 'rsa-1')));
    expect(error.code).toBe('auth.unavailable');
    expect(error.message).toContain(`${p.issuer}/certs`);
    p.jwksStatus = 200;
    expect((await auth.verify(await mint(p, 'rsa-1'))).sub).toBe('sso-user');
  });

  it('uses the fetch it is given, for discovery and the JWKS', async () => {
    const p = await provider('ec-1');
    const seen: string[] = [];
    const auth = await sso(p, {
      fetch: (url, init) => {
        seen.push(new URL(url).pathname);
        return fetch(url, init);
      },
    });
    await auth.verify(await mint(p, 'ec-1'));
    expect(seen).toEqual(['/realms/vought/.well-known/openid-configuration', '/realms/vought/certs']);
  });
});

describe('OIDC discovery', () => {
  it('accepts an issuer with a trailing slash, and requires tokens to carry it exactly', async () => {
    const p = await provider('rsa-1');
    p.discovery = { issuer: `${p.issuer}/` };
    const auth = await sso(p);
    expect((await auth.verify(await mint(p, 'rsa-1', { iss: `${p.issuer}/` }))).sub).toBe('sso-user');
    expect((await rejection(auth.verify(await mint(p, 'rsa-1')))).message).toMatch(/not issued by/);
  });

  it.each([
    ['another issuer', { issuer: 'https://elsewhere.example' }, 200, 'auth.misconfigured', /issuer mismatch/],
    ['no jwks_uri', { jwks_uri: undefined }, 200, 'auth.misconfigured', /no issuer or jwks_uri/],
    ['a jwks_uri that is not http', { jwks_uri: 'file:///etc/passwd' }, 200, 'auth.misconfigured', /http\(s\)/],
    ['a 404', {}, 404, 'auth.misconfigured', /answered 404/],
    ['a 502', {}, 502, 'auth.unavailable', /answered 502/],
  ] as const)('fails at start on %s', async (_name, discovery, status, code, message) => {
    const p = await provider('rsa-1');
    p.discovery = { ...discovery };
    p.discoveryStatus = status;
    const error = await rejection(sso(p));
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });

  it('fails at start with auth.unavailable when the provider cannot be reached', async () => {
    const p = await provider();
    const issuer = p.issuer;
    await p.close();
    providers.splice(providers.indexOf(p), 1);
    const error = await rejection(Authenticator.create({ issuer: 'vought', audience, oidcIssuer: issuer, rolesClaim: 'roles', keys }));
    expect(error.code).toBe('auth.unavailable');
    expect(error.message).toContain(`${issuer}/.well-known/openid-configuration`);
  });

  it('refuses an issuer that is not an http(s) URL', async () => {
    for (const oidcIssuer of ['keycloak', 'ftp://idp.example'])
      expect((await rejection(Authenticator.create({ issuer: 'vought', audience, oidcIssuer, rolesClaim: 'roles', keys }))).code).toBe(
        'auth.misconfigured',
      );
  });
});
