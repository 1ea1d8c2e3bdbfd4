import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { calculateJwkThumbprint } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejection } from '../test/rejection.ts';
import { loadDevKeys, playbackJwks } from './dev-keys.ts';
import { PlaybackVerifier, signPlaybackToken } from './playback-tokens.ts';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vought-dev-keys-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const modeOf = async (p: string) => (await fs.stat(p)).mode & 0o777;
const keyDir = (name: string) => path.join(dir, name, 'keys');

describe('loadDevKeys', () => {
  it('generates keys at first start, owner-only, and loads the same keys later', async () => {
    const where = keyDir('persist');
    const first = await loadDevKeys(where);
    expect(await modeOf(where)).toBe(0o700);
    expect(await modeOf(path.join(where, 'keys.json'))).toBe(0o600);
    expect(first.devSecret.length).toBe(32);

    const second = await loadDevKeys(where);
    expect(second.kid).toBe(first.kid);
    expect(Buffer.from(second.devSecret).equals(Buffer.from(first.devSecret))).toBe(true);
    // The private key survives the round trip: a token signed after reloading verifies with the
    // public key of the first load.
    const { token } = await signPlaybackToken(second, { videoId: 'v1', ttlSeconds: 60 });
    await expect(PlaybackVerifier.fromKeys(first).verify(token, 'v1')).resolves.toMatchObject({ videoId: 'v1' });
  });

  it('names the playback key by its RFC 7638 thumbprint and publishes only public members', async () => {
    const keys = await loadDevKeys(keyDir('jwks'));
    const jwks = playbackJwks(keys);
    expect(jwks.keys).toHaveLength(1);
    const [jwk] = jwks.keys;
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: keys.kid });
    expect(Object.keys(jwk ?? {}).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    expect(await calculateJwkThumbprint(jwk ?? {})).toBe(keys.kid);
  });

  it('generates one key set when several processes start at once', async () => {
    const where = keyDir('race');
    const module = fileURLToPath(new URL('./dev-keys.ts', import.meta.url));
    // Each process boots, says it is ready, and loads only on "go", so that the loads overlap
    // instead of the first process finishing before the last one has started.
    const script = [
      `import { loadDevKeys } from ${JSON.stringify(module)};`,
      `process.stdout.write('ready\\n');`,
      `await new Promise((resolve) => process.stdin.once('data', resolve));`,
      `const k = await loadDevKeys(${JSON.stringify(where)});`,
      `process.stdout.write(k.kid); process.stdin.destroy();`,
    ].join('\n');
    const children = [1, 2, 3, 4].map(() => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      const ready = new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d) => {
          out += d;
          if (out.startsWith('ready\n')) resolve();
        });
        child.on('exit', (code) => reject(new Error(`loadDevKeys process exited ${code} before it was ready: ${err}`)));
      });
      const kid = new Promise<string>((resolve, reject) => {
        child.stderr.on('data', (d) => {
          err += d;
        });
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve(out.slice('ready\n'.length)) : reject(new Error(`exited ${code}: ${err}`))));
      });
      return { child, ready, kid };
    });
    try {
      await Promise.all(children.map((c) => c.ready));
      for (const { child } of children) child.stdin.write('go\n');
      // Three loads in this process join the race.
      const kids = await Promise.all([...children.map((c) => c.kid), ...[1, 2, 3].map(async () => (await loadDevKeys(where)).kid)]);
      expect(kids.every((kid) => kid.length === 43)).toBe(true);
      expect(new Set(kids).size).toBe(1);
      expect((await loadDevKeys(where)).kid).toBe(kids[0]);
      // Every loser removed its candidate.
      expect(await fs.readdir(where)).toEqual(['keys.json']);
    } finally {
      for (const { child } of children) if (child.exitCode === null) child.kill();
    }
  }, 60_000);

  it('tightens a key directory and key file that others can read', async () => {
    const where = keyDir('loose');
    await fs.mkdir(where, { recursive: true, mode: 0o755 });
    await fs.chmod(where, 0o755);
    await loadDevKeys(where);
    expect(await modeOf(where)).toBe(0o700);
    await fs.chmod(path.join(where, 'keys.json'), 0o644);
    await loadDevKeys(where);
    expect(await modeOf(path.join(where, 'keys.json'))).toBe(0o600);
  });

  it('refuses a damaged key file with a message naming it, instead of replacing the keys', async () => {
    const where = keyDir('damaged');
    const good = await loadDevKeys(where);
    const file = path.join(where, 'keys.json');
    const text = await fs.readFile(file, 'utf8');

    const parsed = JSON.parse(text);
    parsed.playback.kid = 'someone-elses-kid';
    await fs.writeFile(file, JSON.stringify(parsed));
    const edited = await rejection(loadDevKeys(where));
    expect(edited.code).toBe('auth.misconfigured');
    expect(edited.message).toContain(file);
    expect(edited.message).toMatch(/thumbprint/);

    await fs.writeFile(file, text.slice(0, 40));
    expect((await rejection(loadDevKeys(where))).message).toMatch(/not valid JSON/);

    parsed.playback.kid = good.kid;
    parsed.devSecret = 'c2hvcnQ';
    await fs.writeFile(file, JSON.stringify(parsed));
    expect((await rejection(loadDevKeys(where))).message).toMatch(/shorter than 32 bytes/);
    // Nothing was overwritten: the operator decides.
    expect(JSON.parse(await fs.readFile(file, 'utf8')).devSecret).toBe('c2hvcnQ');
  });

  it('refuses a key directory that is a file', async () => {
    const file = path.join(dir, 'not-a-dir');
    await fs.writeFile(file, '');
    expect((await rejection(loadDevKeys(file))).code).toBe('auth.misconfigured');
  });
});
