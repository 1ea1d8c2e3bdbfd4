// The production build (deploy/build/bundle.mjs): bundles the services into the tree
// (<service>/dist/main.js, what `npm run build` makes and the image ships), checks that a bundle
// imports only Node built-ins and npm packages (no TypeScript, no tsx), starts the built origin
// on embedded defaults in a temporary data directory and checks /healthz, and prints start-up
// time and RSS of the built origin next to the tsx one (the figures in docs/deploy.md).
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, watchChild } from '@vought/observability/test/required-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '../..');
const services = ['origin', 'encoder', 'edge', 'cli'] as const;

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** Starts an origin with `args`, waits for /healthz; returns ms to the first 200 and RSS then. */
async function startOrigin(args: string[]): Promise<{ ms: number; rssMiB: number; stop: () => Promise<number | null> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vought-build-'));
  dirs.push(dir);
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: repo,
    env: { ...process.env, VOUGHT_DATA_DIR: dir, PORT: String(port), VOUGHT_HOST: '127.0.0.1', VOUGHT_LOG_LEVEL: 'warn', NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const watched = watchChild(child);
  const exited = watched.exited;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`origin exited ${child.exitCode}:\n${watched.log()}`);
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) break;
    if (performance.now() - started > 60_000) throw new Error(`origin did not answer /healthz:\n${watched.log()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const ms = performance.now() - started;
  await new Promise((resolve) => setTimeout(resolve, 1000)); // settled (the console bundle is built at start)
  const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return {
    ms,
    rssMiB: rssKiB / 1024,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

describe('production build', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    const { bundleService } = (await import(path.join(repo, 'deploy/build/bundle.mjs'))) as {
      bundleService: (dir: string) => Promise<{ file: string }>;
    };
    for (const service of services) await bundleService(path.join(repo, service));
  });

  it('bundles each service into one ES module that imports only built-ins and npm packages', () => {
    for (const service of services) {
      const file = path.join(repo, service, 'dist', 'main.js');
      const code = fs.readFileSync(file, 'utf8');
      expect(fs.existsSync(`${file}.map`)).toBe(true);
      const specifiers = [...code.matchAll(/^\s*import\s[^'"]*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm)].map(
        (m) => m[1] ?? m[2],
      );
      for (const specifier of specifiers) {
        expect(specifier, `${service}: ${specifier}`).not.toMatch(/^\.|\.ts$|^@vought\/|^tsx/);
      }
    }
  });

  it('starts the built origin with node alone (no tsx) on embedded defaults; /healthz answers, SIGTERM exits 0', async () => {
    const built = await startOrigin(['origin/dist/main.js']);
    const mapped = await startOrigin(['--enable-source-maps', 'origin/dist/main.js']);
    const withTsx = await startOrigin(['--import', 'tsx', 'origin/src/main.ts']);
    console.warn(
      [
        'origin start-up to the first /healthz 200, and RSS 1 s later:',
        `  node origin/dist/main.js              ${Math.round(built.ms)} ms, ${built.rssMiB.toFixed(0)} MiB`,
        `  node --enable-source-maps (the image) ${Math.round(mapped.ms)} ms, ${mapped.rssMiB.toFixed(0)} MiB`,
        `  node --import tsx origin/src/main.ts  ${Math.round(withTsx.ms)} ms, ${withTsx.rssMiB.toFixed(0)} MiB`,
      ].join('\n'),
    );
    expect(await built.stop()).toBe(0);
    expect(await mapped.stop()).toBe(0);
    expect(await withTsx.stop()).toBe(0);
  });
});
