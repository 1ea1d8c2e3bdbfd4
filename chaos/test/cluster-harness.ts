// What the fault tests share: a cluster of real processes on the real engines (the layout of
// `npm run cluster`), tokens, uploads, bounded load loops, and the machine's service commands.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadDevKeys, signDevToken } from '@vought/auth';
import { type RunningCluster, startCluster } from '../../cli/src/cluster-command.ts';
import { sourceFile } from '../../origin/test/harness.ts';

export const run = promisify(execFile);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startTestCluster(
  basePort: number,
): Promise<RunningCluster & { token(role: 'admin' | 'editor', sub?: string): Promise<string> }> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vought-chaos-'));
  process.env.VOUGHT_DATA_DIR = dataDir;
  const cluster = await startCluster({
    basePort,
    originWorkers: 1,
    database: `vought_chaos_${process.pid}`,
    env: { VOUGHT_LOG_LEVEL: 'info', VOUGHT_RATE_LIMIT: '0' },
    log: () => undefined,
  });
  const keys = await loadDevKeys(path.join(dataDir, 'keys'));
  return Object.assign(cluster, {
    token: (role: 'admin' | 'editor', sub?: string) =>
      signDevToken(keys, { role, issuer: 'vought', audience: 'vought', ...(sub ? { sub } : {}) }),
  });
}

export function urlOf(cluster: RunningCluster, name: string): string {
  const p = cluster.processes.find((x) => x.name === name);
  if (!p) throw new Error(`no process ${name}`);
  return p.url;
}

/** A source of `seconds` (H.264 + AAC 640x360), made once per length: the origin tests' maker. */
export const source = (seconds: number): Promise<Buffer> => sourceFile(seconds);

export async function upload(origin: string, token: string, seconds: number, visibility = 'public'): Promise<string> {
  const created = await fetch(`${origin}/v1/videos`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title: `chaos ${seconds}s`, visibility }),
  });
  if (created.status !== 201) throw new Error(`create: ${created.status} ${await created.text()}`);
  const { id } = (await created.json()) as { id: string };
  const put = await fetch(`${origin}/v1/videos/${id}/source`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}` },
    body: new Uint8Array(await source(seconds)),
  });
  if (put.status !== 202) throw new Error(`upload: ${put.status} ${await put.text()}`);
  return id;
}

export async function statusOf(origin: string, id: string, token: string): Promise<string> {
  const res = await fetch(`${origin}/v1/videos/${id}`, { headers: { authorization: `Bearer ${token}` } }).catch(() => null);
  if (!res?.ok) return `http ${res?.status ?? 'down'}`;
  return ((await res.json()) as { status: string }).status;
}

export async function waitStatus(origins: string[], id: string, token: string, wanted: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    for (const origin of origins) if ((await statusOf(origin, id, token)) === wanted) return Date.now() - started;
    if (Date.now() - started > timeoutMs)
      throw new Error(`video ${id} not ${wanted} after ${timeoutMs} ms (${await statusOf(origins[0] as string, id, token)})`);
    await sleep(250);
  }
}

export interface LoadResult {
  requests: number;
  failures: Array<{ url: string; status: number | string }>;
}

/** `concurrency` loops fetching `urls` in turn until `stop` resolves; every body is read whole. */
export async function load(urls: string[], concurrency: number, stop: Promise<unknown>): Promise<LoadResult> {
  let done = false;
  void stop.then(() => {
    done = true;
  });
  const result: LoadResult = { requests: 0, failures: [] };
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (!done) {
        const url = urls[next++ % urls.length] as string;
        result.requests++;
        try {
          const res = await fetch(url, { signal: AbortSignal.timeout(15_000) });
          await res.arrayBuffer();
          if (res.status >= 400) result.failures.push({ url, status: res.status });
        } catch (error) {
          result.failures.push({ url, status: (error as Error).message });
        }
      }
    }),
  );
  return result;
}

/** Pids of a process group (a service and its workers, ffmpeg, ...). */
export async function groupPids(pgid: number): Promise<number[]> {
  const { stdout } = await run('pgrep', ['-g', String(pgid)]).catch(() => ({ stdout: '' }));
  return stdout.split('\n').filter(Boolean).map(Number);
}

export async function ffmpegPids(): Promise<number[]> {
  const { stdout } = await run('pgrep', ['-x', 'ffmpeg']).catch(() => ({ stdout: '' }));
  return stdout.split('\n').filter(Boolean).map(Number);
}

/** A process that has exited but not been reaped yet (its parent gone, init collects it later). */
export async function isZombie(pid: number): Promise<boolean> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat === '' || stat.split(') ')[1]?.[0] === 'Z';
}

export async function parentOf(pid: number): Promise<number> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return Number(stat.split(') ')[1]?.split(' ')[1] ?? 0);
}

/** The machine's own service commands (the ones .ci/run uses). */
export const engines = {
  async stopRedis() {
    await run('redis-cli', ['-p', '6379', 'shutdown', 'nosave']).catch(() => undefined);
  },
  async startRedis() {
    await run('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', '6379', '--save', '', '--appendonly', 'no']);
  },
  async stopNats() {
    await run('pkill', ['-x', 'nats-server']).catch(() => undefined);
    for (
      let i = 0;
      i < 50 &&
      (await run('pgrep', ['-x', 'nats-server']).then(
        () => true,
        () => false,
      ));
      i++
    )
      await sleep(100);
  },
  async startNats() {
    await run('start-stop-daemon', [
      ...['--start', '--oknodo', '--background', '--exec', '/usr/sbin/nats-server', '--'],
      ...['-a', '127.0.0.1', '-p', '4222', '-js', '-sd', '/var/lib/nats-server'],
    ]);
  },
  async postgres(action: 'stop' | 'start') {
    const versions = await fs.readdir('/etc/postgresql');
    await run('pg_ctlcluster', ['--skip-systemctl-redirect', versions[0] ?? '15', 'main', action]);
  },
};

export { portOpen } from '../../cli/src/cluster-command.ts';
