// An edge's view: it knows only the origin's JWKS URL, fetched over real HTTP.
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError } from '../src/auth-error.ts';
import { type DevKeys, loadDevKeys, playbackJwks } from '../src/dev-keys.ts';
import { PlaybackVerifier, signPlaybackToken } from '../src/playback-tokens.ts';
import { rejection } from './rejection.ts';

let dir: string;
let keys: DevKeys;
let nextKeys: DevKeys;
let server: http.Server;
let url: string;
/** What the "origin" serves at /.well-known/jwks.json, and its status. */
const origin = { keys: undefined as DevKeys | undefined, status: 200, hits: 0 };

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vought-playback-jwks-'));
  keys = await loadDevKeys(path.join(dir, 'keys'));
  nextKeys = await loadDevKeys(path.join(dir, 'next-keys'));
  origin.keys = keys;
  server = http.createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json' || !origin.keys) {
      res.statusCode = 404;
      return res.end();
    }
    origin.hits++;
    res.statusCode = origin.status;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(origin.status === 200 ? playbackJwks(origin.keys) : {}));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await fs.rm(dir, { recursive: true, force: true });
});

describe('PlaybackVerifier.fromJwksUrl', () => {
  it('verifies the origin’s tokens for their video only, fetching the JWKS once', async () => {
    origin.hits = 0;
    const verifier = PlaybackVerifier.fromJwksUrl(url);
    const { token } = await signPlaybackToken(keys, { videoId: 'abc', ttlSeconds: 60 });
    expect((await verifier.verify(token, 'abc')).videoId).toBe('abc');
    expect((await verifier.verify(token, 'abc')).videoId).toBe('abc');
    expect((await rejection(verifier.verify(token, 'xyz'))).code).toBe('auth.invalid');
    const expired = await signPlaybackToken(keys, { videoId: 'abc', ttlSeconds: 60, now: Date.now() - 600_000 });
    expect((await rejection(verifier.verify(expired.token, 'abc'))).code).toBe('auth.expired');
    expect(origin.hits).toBe(1);
  });

  it('picks up the origin’s new key when a token names it', async () => {
    const verifier = PlaybackVerifier.fromJwksUrl(url, { cooldownSeconds: 0 });
    origin.keys = keys;
    await verifier.verify((await signPlaybackToken(keys, { videoId: 'abc', ttlSeconds: 60 })).token, 'abc');
    origin.keys = nextKeys;
    try {
      const { token } = await signPlaybackToken(nextKeys, { videoId: 'abc', ttlSeconds: 60 });
      expect((await verifier.verify(token, 'abc')).videoId).toBe('abc');
    } finally {
      origin.keys = keys;
    }
  });

  it('says auth.unavailable when the JWKS cannot be fetched, and misconfigured for a bad URL', async () => {
    origin.status = 500;
    try {
      const verifier = PlaybackVerifier.fromJwksUrl(url);
      const { token } = await signPlaybackToken(keys, { videoId: 'abc', ttlSeconds: 60 });
      expect((await rejection(verifier.verify(token, 'abc'))).code).toBe('auth.unavailable');
    } finally {
      origin.status = 200;
    }
    expect(() => PlaybackVerifier.fromJwksUrl('not a url')).toThrow(AuthError);
  });
});
