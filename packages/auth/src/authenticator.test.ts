// Development-mode verification and claim reading. The OIDC mode, which needs HTTP, is tested
// against a real provider in test/oidc.test.ts.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { b64, rejection } from '../test/rejection.ts';
import { Authenticator, rolesFrom } from './authenticator.ts';
import { type DevKeys, loadDevKeys } from './dev-keys.ts';
import { signDevToken } from './dev-token.ts';
import { signPlaybackToken } from './playback-tokens.ts';

let dir: string;
let keys: DevKeys;
let auth: Authenticator;
const issuer = 'vought';
const audience = 'vought';
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vought-authenticator-'));
  keys = await loadDevKeys(path.join(dir, 'keys'));
  auth = await Authenticator.create({ issuer, audience, rolesClaim: 'roles', keys });
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const claims = (extra: Record<string, unknown> = {}) => ({
  sub: 'alice',
  iss: issuer,
  aud: audience,
  exp: now() + 600,
  roles: ['admin'],
  ...extra,
});
const hs256 = (payload: Record<string, unknown>, alg = 'HS256', secret = keys.devSecret) =>
  new SignJWT(payload).setProtectedHeader({ alg }).sign(secret);

describe('development tokens', () => {
  it('turns a valid dev token into a principal', async () => {
    const token = await signDevToken(keys, { role: 'editor', sub: 'alice', issuer, audience });
    expect(await auth.authenticate(`Bearer ${token}`)).toEqual({ sub: 'alice', roles: ['editor'], role: 'editor' });
    // RFC 7235: the scheme is case-insensitive.
    expect((await auth.authenticate(`bearer ${token}`)).sub).toBe('alice');
    expect(auth.kind).toBe('dev');
  });

  it('refuses a missing or non-Bearer Authorization header', async () => {
    expect((await rejection(auth.authenticate(undefined))).code).toBe('auth.missing');
    expect((await rejection(auth.authenticate(' '))).code).toBe('auth.missing');
    expect((await rejection(auth.authenticate('Basic YWxhZGRpbjpvcGVuc2VzYW1l'))).code).toBe('auth.invalid');
    expect((await rejection(auth.authenticate('Bearer'))).code).toBe('auth.invalid');
    expect((await rejection(auth.authenticate('Bearer not-a-jwt'))).message).toMatch(/not a JWT/);
    expect((await rejection(auth.authenticate('Bearer a.b.c.d.e'))).message).toMatch(/encrypted/);
    expect((await rejection(auth.authenticate(`Bearer ${'a'.repeat(20_000)}.b.c`))).message).toMatch(/longer/);
  });

  it('refuses a forged payload (signature no longer matches)', async () => {
    const good = await signDevToken(keys, { role: 'viewer', sub: 'mallory', issuer, audience });
    const [h, p, s] = good.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    const forged = `${h}.${b64({ ...payload, roles: ['admin'] })}.${s}`;
    const error = await rejection(auth.authenticate(`Bearer ${forged}`));
    expect(error.code).toBe('auth.invalid');
    expect(error.message).toMatch(/signature/);
    // Messages never echo the token.
    expect(error.message).not.toContain(s);
  });

  it('refuses an expired token as auth.expired, but accepts one within the 30 s clock tolerance', async () => {
    expect((await rejection(auth.verify(await hs256(claims({ exp: now() - 3600 }))))).code).toBe('auth.expired');
    expect((await rejection(auth.verify(await hs256(claims({ exp: now() - 90 }))))).code).toBe('auth.expired');
    expect((await auth.verify(await hs256(claims({ exp: now() - 5 })))).sub).toBe('alice');
  });

  it('refuses a token that is not valid yet (nbf beyond the tolerance)', async () => {
    const error = await rejection(auth.verify(await hs256(claims({ nbf: now() + 600 }))));
    expect(error.code).toBe('auth.invalid');
    expect(error.message).toMatch(/not valid yet/);
    expect((await auth.verify(await hs256(claims({ nbf: now() + 5 })))).sub).toBe('alice');
  });

  it('refuses alg:none, crafted by hand', async () => {
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`;
    const error = await rejection(auth.authenticate(`Bearer ${none}`));
    expect(error.code).toBe('auth.invalid');
    expect(error.message).toMatch(/algorithm/);
  });

  it('accepts HS256 only: HS512 with the same secret is refused', async () => {
    expect((await rejection(auth.verify(await hs256(claims(), 'HS512')))).message).toMatch(/algorithm/);
  });

  it('refuses a wrong audience, a wrong issuer, and another data directory’s key', async () => {
    const wrongAud = await rejection(auth.verify(await signDevToken(keys, { role: 'admin', issuer, audience: 'someone-else' })));
    expect([wrongAud.code, wrongAud.message]).toEqual(['auth.invalid', `the token is not meant for ${audience} (aud)`]);
    const wrongIss = await rejection(auth.verify(await signDevToken(keys, { role: 'admin', issuer: 'evil', audience })));
    expect([wrongIss.code, wrongIss.message]).toEqual(['auth.invalid', `the token was not issued by ${issuer}`]);
    const otherKeys = await loadDevKeys(path.join(dir, 'other-keys'));
    const wrongKey = await rejection(auth.verify(await signDevToken(otherKeys, { role: 'admin', issuer, audience })));
    expect(wrongKey.code).toBe('auth.invalid');
  });

  it('refuses a token without sub or exp', async () => {
    const { sub: _sub, ...noSub } = claims();
    expect((await rejection(auth.verify(await hs256(noSub)))).message).toMatch(/sub/);
    const { exp: _exp, ...noExp } = claims();
    expect((await rejection(auth.verify(await hs256(noExp)))).message).toMatch(/exp/);
  });

  it('refuses a playback token presented as an API token', async () => {
    const { token } = await signPlaybackToken(keys, { videoId: 'v1', ttlSeconds: 60 });
    expect((await rejection(auth.verify(token))).code).toBe('auth.invalid');
  });

  it('ignores unknown roles, lets the highest role win, and forbids a token with no vought role', async () => {
    const mixed = await hs256(claims({ roles: ['viewer', 'superuser', 'admin', 'editor'] }));
    expect(await auth.verify(mixed)).toEqual({ sub: 'alice', roles: ['admin', 'editor', 'viewer'], role: 'admin' });
    const error = await rejection(auth.verify(await hs256(claims({ roles: ['superuser'] }))));
    expect(error.code).toBe('auth.forbidden');
    expect(error.message).toMatch(/no vought role/);
  });

  it('reads roles where rolesClaim says, round-tripping with signDevToken', async () => {
    for (const rolesClaim of ['realm_access.roles', 'resource_access.vought.roles', 'https://vought.example/roles', 'scope']) {
      const custom = await Authenticator.create({ issuer, audience, rolesClaim, keys });
      const token = await signDevToken(keys, { role: 'editor', issuer, audience, rolesClaim });
      expect((await custom.verify(token)).role).toBe('editor');
      // The default claim no longer counts.
      const elsewhere = await signDevToken(keys, { role: 'editor', issuer, audience });
      expect((await rejection(custom.verify(elsewhere))).code).toBe('auth.forbidden');
    }
  });

  it('refuses out-of-range settings at creation', async () => {
    const error = await rejection(Authenticator.create({ issuer, audience, rolesClaim: 'roles', keys, clockToleranceSeconds: 3600 }));
    expect(error.code).toBe('auth.misconfigured');
    expect((await rejection(Authenticator.create({ issuer, audience: '', rolesClaim: 'roles', keys }))).code).toBe('auth.misconfigured');
  });
});

describe('rolesFrom', () => {
  it.each([
    ['roles', { roles: ['viewer', 'editor'] }, ['editor', 'viewer']],
    ['realm_access.roles', { realm_access: { roles: ['offline_access', 'viewer', 'uma_authorization'] } }, ['viewer']],
    ['resource_access.vought.roles', { resource_access: { vought: { roles: ['admin'] } } }, ['admin']],
    ['scope', { scope: 'openid profile editor' }, ['editor']],
    ['roles', { roles: 'viewer  admin' }, ['admin', 'viewer']],
    ['https://vought.example/roles', { 'https://vought.example/roles': ['editor'] }, ['editor']],
    ['roles', { roles: ['editor', 'editor', 7, null, { admin: true }] }, ['editor']],
    ['roles', { roles: { admin: true } }, []],
    ['missing.path', { roles: ['admin'] }, []],
    ['roles.admin', { roles: ['admin'] }, []],
    // Inherited properties are not claims.
    ['constructor.name', {}, []],
    ['__proto__', {}, []],
  ] as const)('%s in %j → %j', (claim, payload, expected) => {
    expect(rolesFrom(payload as Record<string, unknown>, claim)).toEqual(expected);
  });
});
