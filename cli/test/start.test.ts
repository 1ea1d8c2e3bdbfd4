// `npm start` as a user runs it: the whole system on embedded defaults from one command, and a bad
// setting stopping start-up with one line naming the variable.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const main = path.resolve(import.meta.dirname, '../src/main.ts');

function start(env: Record<string, string>, args = ['start']) {
  const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], {
    env: { ...process.env, VOUGHT_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => out, err: () => err };
}

const port = () => 30000 + Math.floor(Math.random() * 20000);

describe('vought start', { timeout: 60_000 }, () => {
  it('runs origin, encoder and edge on the embedded defaults, prints their URLs, and stops on SIGTERM', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vought-start-'));
    const p = port();
    const run = start({
      VOUGHT_DATA_DIR: dir,
      PORT: String(p),
      EDGE_PORT: String(p + 1),
      ENCODER_PORT: String(p + 2),
      VOUGHT_HOST: '127.0.0.1',
    });
    const deadline = Date.now() + 40_000;
    while (!run.out().includes('vought is running') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(run.out()).toContain(`origin   http://127.0.0.1:${p}`);
    expect(run.out()).toContain('storage fs, cache memory, bus memory, catalog sqlite');
    for (const port of [p, p + 1, p + 2]) expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${p}/readyz`)).status).toBe(200);
    // the edge reaches the origin
    expect((await fetch(`http://127.0.0.1:${p + 1}/openapi.json`)).status).toBe(200);
    // the data directory holds the embedded state and a generated key, nothing else is needed
    expect((await fs.readdir(dir)).sort()).toEqual(expect.arrayContaining(['catalog.sqlite', 'keys']));
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('stops with one line naming the variable when a setting is bad or a server is unreachable', async () => {
    for (const [env, variable] of [
      [{ VOUGHT_STORAGE: 'ftp' }, 'VOUGHT_STORAGE'],
      [{ VOUGHT_REDIS_URL: 'redis://127.0.0.1:1' }, 'VOUGHT_REDIS_URL'],
      [{ VOUGHT_NATS_URL: 'nats://127.0.0.1:1' }, 'VOUGHT_NATS_URL'],
      [{ VOUGHT_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x' }, 'VOUGHT_DATABASE_URL'],
    ] as const) {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vought-start-'));
      const run = start({ VOUGHT_DATA_DIR: dir, PORT: String(port()), ...env });
      expect(await run.exited).toBe(1);
      const lines = run
        .err()
        .trim()
        .split('\n')
        .filter((l) => l.includes('configuration error'));
      expect(lines, run.err()).toHaveLength(1);
      expect(lines[0]).toContain(`${variable}:`);
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('prints a development token that the origin accepts', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vought-token-'));
    const run = start({ VOUGHT_DATA_DIR: dir }, ['token', '--role', 'editor', '--sub', 'alice']);
    expect(await run.exited).toBe(0);
    const token = run.out().trim();
    expect(token.split('.')).toHaveLength(3);
    const payload = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString());
    expect(payload).toMatchObject({ sub: 'alice', roles: ['editor'], iss: 'vought', aud: 'vought' });
    const bad = start({ VOUGHT_DATA_DIR: dir }, ['token', '--role', 'king']);
    expect(await bad.exited).toBe(2);
    await fs.rm(dir, { recursive: true, force: true });
  });
});
