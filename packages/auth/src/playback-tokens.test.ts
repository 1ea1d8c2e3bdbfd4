import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { decodeProtectedHeader, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { b64, rejection } from '../test/rejection.ts';
import { type DevKeys, loadDevKeys } from './dev-keys.ts';
import { signDevToken } from './dev-token.ts';
import { PLAYBACK_AUDIENCE, PlaybackVerifier, signPlaybackToken, verifyPlaybackToken } from './playback-tokens.ts';

let dir: string;
let keys: DevKeys;
let otherKeys: DevKeys;
let verifier: PlaybackVerifier;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vought-playback-'));
  keys = await loadDevKeys(path.join(dir, 'keys'));
  otherKeys = await loadDevKeys(path.join(dir, 'other'));
  verifier = PlaybackVerifier.fromKeys(keys);
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('playback tokens', () => {
  it('open the one video they were signed for, until they expire', async () => {
    const { token, expiresAt } = await signPlaybackToken(keys, { videoId: 'v1', ttlSeconds: 120, sub: 'alice' });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', kid: keys.kid, typ: 'JWT' });
    expect(await verifier.verify(token, 'v1')).toEqual({ videoId: 'v1', expiresAt, sub: 'alice' });
    expect(await verifyPlaybackToken(keys, token, 'v1')).toMatchObject({ videoId: 'v1' });

    const other = await rejection(verifier.verify(token, 'v2'));
    expect([other.code, other.message]).toEqual(['auth.invalid', 'the playback token is for another video']);
    expect((await rejection(verifier.verify(undefined, 'v1'))).code).toBe('auth.missing');
    expect((await rejection(verifier.verify('', 'v1'))).code).toBe('auth.missing');

    const old = await signPlaybackToken(keys, { videoId: 'v1', ttlSeconds: 60, now: Date.now() - 3600_000 });
    expect((await rejection(verifier.verify(old.token, 'v1'))).code).toBe('auth.expired');
  });

  it('refuse an edited video id, another origin’s key, dev tokens and alg:none', async () => {
    const { token } = await signPlaybackToken(keys, { videoId: 'v1', ttlSeconds: 60 });
    const [h, p, s] = token.split('.') as [string, string, string];
    const edited = `${h}.${b64({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), vid: 'v2' })}.${s}`;
    expect((await rejection(verifier.verify(edited, 'v2'))).message).toMatch(/signature/);

    const foreign = await signPlaybackToken(otherKeys, { videoId: 'v1', ttlSeconds: 60 });
    expect((await rejection(verifier.verify(foreign.token, 'v1'))).code).toBe('auth.invalid');
    // Even when it claims our kid.
    const impostor = await new SignJWT({ vid: 'v1' })
      .setProtectedHeader({ alg: 'ES256', kid: keys.kid })
      .setIssuer('vought')
      .setAudience(PLAYBACK_AUDIENCE)
      .setExpirationTime('1m')
      .sign(otherKeys.playbackPrivateKey);
    expect((await rejection(verifier.verify(impostor, 'v1'))).message).toMatch(/signature/);

    const dev = await signDevToken(keys, { role: 'admin', issuer: 'vought', audience: 'vought' });
    expect((await rejection(verifier.verify(dev, 'v1'))).code).toBe('auth.invalid');
    const none = `${b64({ alg: 'none', kid: keys.kid })}.${b64({ vid: 'v1', iss: 'vought', aud: PLAYBACK_AUDIENCE, exp: 9999999999 })}.`;
    expect((await rejection(verifier.verify(none, 'v1'))).code).toBe('auth.invalid');
  });

  it('refuse a token signed with the playback key for another audience', async () => {
    const apiAudience = await new SignJWT({ vid: 'v1' })
      .setProtectedHeader({ alg: 'ES256', kid: keys.kid })
      .setIssuer('vought')
      .setAudience('vought')
      .setExpirationTime('1m')
      .sign(keys.playbackPrivateKey);
    expect((await rejection(verifier.verify(apiAudience, 'v1'))).message).toMatch(/not meant for vought-playback/);
  });

  it.each([
    [{ videoId: '', ttlSeconds: 60 }, /videoId/],
    [{ videoId: 'a b', ttlSeconds: 60 }, /videoId/],
    [{ videoId: 'v'.repeat(300), ttlSeconds: 60 }, /videoId/],
    [{ videoId: 'v1', ttlSeconds: 0 }, /ttlSeconds/],
    [{ videoId: 'v1', ttlSeconds: 2.5 }, /ttlSeconds/],
    [{ videoId: 'v1', ttlSeconds: 365 * 24 * 3600 }, /ttlSeconds/],
    [{ videoId: 'v1', ttlSeconds: 60, sub: '' }, /sub/],
  ])('refuse to sign %j', async (options, message) => {
    const error = await rejection(signPlaybackToken(keys, options));
    expect(error.code).toBe('auth.invalid_argument');
    expect(error.message).toMatch(message);
  });
});
