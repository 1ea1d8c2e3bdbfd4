import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError } from './auth-error.ts';
import { Authenticator, rolesFrom } from './authenticator.ts';
import { type DevKeys, loadDevKeys } from './dev-keys.ts';
import { signDevToken } from './dev-token.ts';
import { PlaybackVerifier, signPlaybackToken } from './playback-tokens.ts';
import { type Action, authorize, type Role } from './roles.ts';

let dir: string;
let keys: DevKeys;
const issuer = 'vought';
const audience = 'vought';

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vought-auth-'));
  keys = await loadDevKeys(path.join(dir, 'keys'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError);
    return (error as AuthError).code;
  }
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('development tokens', () => {
  it('accepts a dev token and reads its role', async () => {
    const auth = await Authenticator.create({ issuer, audience, rolesClaim: 'roles', keys });
    const token = await signDevToken(keys, { role: 'editor', sub: 'alice', issuer, audience });
    expect(await auth.authenticate(`Bearer ${token}`)).toEqual({ sub: 'alice', roles: ['editor'], role: 'editor' });
  });

  it('refuses missing, malformed, forged, expired, alg:none, wrong-audience, wrong-issuer and wrong-key tokens', async () => {
    const auth = await Authenticator.create({ issuer, audience, rolesClaim: 'roles', keys });
    const good = await signDevToken(keys, { role: 'admin', issuer, audience });
    const [h, p, s] = good.split('.');
    expect(await codeOf(auth.authenticate(undefined))).toBe('auth.missing');
    expect(await codeOf(auth.authenticate('Basic abc'))).toBe('auth.invalid');
    const forged = `${h}.${b64({ ...JSON.parse(Buffer.from(p as string, 'base64url').toString()), roles: ['admin'], sub: 'mallory' })}.${s}`;
    expect(await codeOf(auth.authenticate(`Bearer ${forged}`))).toBe('auth.invalid');
    const expired = await new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject('x')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(keys.devSecret);
    expect(await codeOf(auth.authenticate(`Bearer ${expired}`))).toBe('auth.expired');
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ roles: ['admin'], sub: 'x', iss: issuer, aud: audience, exp: Math.floor(Date.now() / 1000) + 600 })}.`;
    expect(await codeOf(auth.authenticate(`Bearer ${none}`))).toBe('auth.invalid');
    const wrongAud = await signDevToken(keys, { role: 'admin', issuer, audience: 'someone-else' });
    expect(await codeOf(auth.authenticate(`Bearer ${wrongAud}`))).toBe('auth.invalid');
    const wrongIss = await signDevToken(keys, { role: 'admin', issuer: 'evil', audience });
    expect(await codeOf(auth.authenticate(`Bearer ${wrongIss}`))).toBe('auth.invalid');
    const otherKeys = await loadDevKeys(path.join(dir, 'other-keys'));
    const wrongKey = await signDevToken(otherKeys, { role: 'admin', issuer, audience });
    expect(await codeOf(auth.authenticate(`Bearer ${wrongKey}`))).toBe('auth.invalid');
    const noRole = await new SignJWT({ roles: ['superuser'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject('x')
      .setExpirationTime('1h')
      .sign(keys.devSecret);
    expect(await codeOf(auth.authenticate(`Bearer ${noRole}`))).toBe('auth.forbidden');
  });

  it('reads roles from a configurable claim path, array or space-separated', () => {
    expect(rolesFrom({ realm_access: { roles: ['viewer', 'offline_access', 'editor'] } }, 'realm_access.roles')).toEqual([
      'viewer',
      'editor',
    ]);
    expect(rolesFrom({ scope: 'openid admin' }, 'scope')).toEqual(['admin']);
    expect(rolesFrom({ roles: 'admin' }, 'missing.path')).toEqual([]);
  });
});

describe('OIDC (discovery + JWKS over real HTTP)', () => {
  let server: http.Server;
  let base: string;
  const jwks: { keys: JWK[] } = { keys: [] };
  let rsa: Awaited<ReturnType<typeof generateKeyPair>>;
  let ec: Awaited<ReturnType<typeof generateKeyPair>>;

  beforeAll(async () => {
    rsa = await generateKeyPair('RS256', { extractable: true });
    ec = await generateKeyPair('ES256', { extractable: true });
    jwks.keys.push({ ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' });
    jwks.keys.push({ ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' });
    server = http.createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/realms/vought/.well-known/openid-configuration')
        return res.end(JSON.stringify({ issuer: `${base}/realms/vought`, jwks_uri: `${base}/realms/vought/certs` }));
      if (req.url === '/realms/vought/certs') return res.end(JSON.stringify(jwks));
      res.statusCode = 404;
      res.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const sso = () => Authenticator.create({ issuer, audience, oidcIssuer: `${base}/realms/vought`, rolesClaim: 'realm_access.roles', keys });
  const mint = (key: Parameters<SignJWT['sign']>[0], alg: string, kid: string, claims: Record<string, unknown> = {}) =>
    new SignJWT({ realm_access: { roles: ['editor'] }, ...claims })
      .setProtectedHeader({ alg, kid })
      .setIssuer(`${base}/realms/vought`)
      .setAudience(audience)
      .setSubject('sso-user')
      .setExpirationTime('10m')
      .sign(key);

  it('verifies RS256 and ES256 tokens from the provider, roles from realm_access.roles', async () => {
    const auth = await sso();
    expect(await auth.authenticate(`Bearer ${await mint(rsa.privateKey, 'RS256', 'rsa-1')}`)).toMatchObject({
      sub: 'sso-user',
      role: 'editor',
    });
    expect(await auth.authenticate(`Bearer ${await mint(ec.privateKey, 'ES256', 'ec-1')}`)).toMatchObject({ role: 'editor' });
  });

  it('refuses HS256 signed with the RSA public key (algorithm confusion), dev tokens, and unknown keys', async () => {
    const auth = await sso();
    const pem = await exportSPKI(rsa.publicKey);
    const confused = await mint(new TextEncoder().encode(pem), 'HS256', 'rsa-1');
    expect(await codeOf(auth.authenticate(`Bearer ${confused}`))).toBe('auth.invalid');
    const dev = await signDevToken(keys, { role: 'admin', issuer: `${base}/realms/vought`, audience });
    expect(await codeOf(auth.authenticate(`Bearer ${dev}`))).toBe('auth.invalid');
    const stranger = await generateKeyPair('RS256');
    expect(await codeOf(auth.authenticate(`Bearer ${await mint(stranger.privateKey, 'RS256', 'rsa-9')}`))).toBe('auth.invalid');
  });

  it('picks up a rotated key (new kid) from the JWKS', async () => {
    const auth = await sso();
    const next = await generateKeyPair('RS256', { extractable: true });
    jwks.keys.push({ ...(await exportJWK(next.publicKey)), kid: 'rsa-2', alg: 'RS256', use: 'sig' });
    expect(await auth.authenticate(`Bearer ${await mint(next.privateKey, 'RS256', 'rsa-2')}`)).toMatchObject({ role: 'editor' });
  });

  it('fails to start when discovery fails', async () => {
    await expect(
      Authenticator.create({ issuer, audience, oidcIssuer: `${base}/realms/missing`, rolesClaim: 'roles', keys }),
    ).rejects.toThrow(/discovery/);
  });
});

describe('roles', () => {
  const principal = (role: Role, sub = 'me') => ({ sub, roles: [role], role });
  const mine = { owner: 'me' };
  const theirs = { owner: 'someone' };
  const table: Array<[Role, Action, { owner: string } | undefined, boolean]> = [
    ['admin', 'video.delete', theirs, true],
    ['admin', 'cache.purge', undefined, true],
    ['editor', 'video.create', undefined, true],
    ['editor', 'video.upload', mine, true],
    ['editor', 'video.upload', theirs, false],
    ['editor', 'video.update', theirs, false],
    ['editor', 'video.delete', mine, true],
    ['editor', 'cache.purge', undefined, false],
    ['viewer', 'video.read', theirs, true],
    ['viewer', 'video.list', undefined, true],
    ['viewer', 'video.create', undefined, false],
    ['viewer', 'video.upload', mine, false],
    ['viewer', 'playback-token.create', theirs, true],
  ];
  it.each(table)('%s %s %o → %s', (role, action, resource, allowed) => {
    const decision = authorize(principal(role), action, resource);
    expect(decision.allowed).toBe(allowed);
    if (!decision.allowed) expect(decision.reason).toContain(action);
  });
});

describe('playback tokens', () => {
  it('binds a token to one video and expires it', async () => {
    const verifier = PlaybackVerifier.fromKeys(keys);
    const { token } = await signPlaybackToken(keys, { videoId: 'v1', ttlSeconds: 60 });
    await verifier.verify(token, 'v1');
    expect(await codeOf(verifier.verify(token, 'v2'))).toBe('auth.invalid');
    expect(await codeOf(verifier.verify(undefined, 'v1'))).toBe('auth.missing');
    const old = await signPlaybackToken(keys, { videoId: 'v1', ttlSeconds: 60, now: Date.now() - 3600_000 });
    expect(await codeOf(verifier.verify(old.token, 'v1'))).toBe('auth.expired');
    const dev = await signDevToken(keys, { role: 'admin', issuer, audience });
    expect(await codeOf(verifier.verify(dev, 'v1'))).toBe('auth.invalid');
    expect(token.split('.')[0]).toBe(b64({ alg: 'ES256', kid: keys.kid, typ: 'JWT' }));
  });
});

describe('dev keys', () => {
  it('persist across loads and are generated once when several processes start together', async () => {
    const keyDir = path.join(dir, 'race');
    const script = `import { loadDevKeys } from ${JSON.stringify(path.resolve(__dirname, 'dev-keys.ts'))}; const k = await loadDevKeys(${JSON.stringify(keyDir)}); process.stdout.write(k.kid);`;
    const run = () =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
        });
        child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))));
      });
    const kids = await Promise.all([run(), run(), run(), run()]);
    expect(new Set(kids).size).toBe(1);
    expect((await loadDevKeys(keyDir)).kid).toBe(kids[0]);
    const stat = await fs.stat(path.join(keyDir, 'keys.json'));
    expect(stat.mode & 0o777).toBe(0o600);
    expect((await fs.readdir(keyDir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 60_000);
});
