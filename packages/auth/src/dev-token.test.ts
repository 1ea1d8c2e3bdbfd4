import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError } from './auth-error.ts';
import { type DevKeys, loadDevKeys } from './dev-keys.ts';
import { signDevToken } from './dev-token.ts';
import type { Role } from './roles.ts';

let dir: string;
let keys: DevKeys;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vought-dev-token-'));
  keys = await loadDevKeys(path.join(dir, 'keys'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const base = { issuer: 'vought', audience: 'vought' };

describe('signDevToken', () => {
  it('signs HS256 with the role, a default subject and a 12 hour lifetime', async () => {
    const token = await signDevToken(keys, { ...base, role: 'viewer' });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ sub: 'dev-viewer', iss: 'vought', aud: 'vought', roles: ['viewer'] });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(12 * 3600);
  });

  it('nests the role under a dotted claim path and keeps a namespaced claim flat', async () => {
    const nested = decodeJwt(
      await signDevToken(keys, { ...base, role: 'admin', sub: 'ops', ttlSeconds: 60, rolesClaim: 'realm_access.roles' }),
    );
    expect(nested).toMatchObject({ sub: 'ops', realm_access: { roles: ['admin'] } });
    expect((nested.exp ?? 0) - (nested.iat ?? 0)).toBe(60);
    const flat = decodeJwt(await signDevToken(keys, { ...base, role: 'admin', rolesClaim: 'https://vought.example/roles' }));
    expect(flat['https://vought.example/roles']).toEqual(['admin']);
  });

  it.each([
    [{ role: 'root' as Role }, /role must be one of admin, editor, viewer/],
    [{ role: 'viewer' as Role, ttlSeconds: 0 }, /ttlSeconds/],
    [{ role: 'viewer' as Role, ttlSeconds: 1.5 }, /ttlSeconds/],
    [{ role: 'viewer' as Role, sub: ' ' }, /sub/],
    [{ role: 'viewer' as Role, rolesClaim: 'a..b' }, /empty path part/],
  ])('refuses %j', async (options, message) => {
    const error = await signDevToken(keys, { ...base, ...options }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).code).toBe('auth.invalid_argument');
    expect((error as AuthError).message).toMatch(message);
  });
});
