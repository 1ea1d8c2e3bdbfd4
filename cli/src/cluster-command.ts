// `npm run cluster`: the distributed system on one machine, on the real engines. It makes sure
// Redis, NATS (JetStream), PostgreSQL are up (starting the ones that are not, with the machine's own
// commands), starts an S3 server (s3rver) in the data directory, then 2 origins (each forking its
// workers), 2 encoders, a shield edge in front of both origins and 2 edges behind the shield.
// Every URL is printed and written to ${VOUGHT_DATA_DIR}/cluster.json; Ctrl-C stops all it started.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '@vought/config';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

export interface ClusterProcess {
  name: string;
  role: 'origin' | 'encoder' | 'edge' | 's3';
  pid: number;
  url: string;
}

export interface ClusterOptions {
  /** First port; each process takes the next ones (default 9100). */
  basePort?: number;
  /** Origin worker processes each (default 2). */
  originWorkers?: number;
  /** Database name on the local PostgreSQL (created when missing). */
  database?: string;
  /** Extra environment for every service (tests: shorter timeouts). */
  env?: Record<string, string>;
  log?: (line: string) => void;
}

export interface RunningCluster {
  processes: ClusterProcess[];
  dataDir: string;
  /** Environment every service of the cluster runs with (URLs of the real engines). */
  env: Record<string, string>;
  child(name: string): ChildProcess | undefined;
  /** Starts one named process again (after a fault test killed it). */
  restart(name: string): Promise<void>;
  stop(): Promise<void>;
}

export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitPort(port: number, what: string, seconds = 30): Promise<void> {
  for (let i = 0; i < seconds * 10; i++) {
    if (await portOpen(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come up on port ${port}`);
}

async function waitHealthy(url: string, what: string, seconds = 60): Promise<void> {
  for (let i = 0; i < seconds * 10; i++) {
    const ok = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} (${url}) did not become healthy`);
}

/** Starts the local engines that are not running, with the commands this machine's services use. */
export async function ensureEngines(log: (line: string) => void): Promise<void> {
  if (!(await portOpen(5432))) {
    log('starting PostgreSQL');
    const versions = await fs.readdir('/etc/postgresql').catch(() => [] as string[]);
    await run('pg_ctlcluster', ['--skip-systemctl-redirect', versions[0] ?? '15', 'main', 'start']).catch(() => undefined);
    await waitPort(5432, 'PostgreSQL');
  }
  if (!(await portOpen(6379))) {
    log('starting Redis');
    await run('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', '6379', '--save', '', '--appendonly', 'no']);
    await waitPort(6379, 'Redis');
  }
  if (!(await portOpen(4222))) {
    log('starting NATS');
    await fs.mkdir('/var/lib/nats-server', { recursive: true }).catch(() => undefined);
    await run('start-stop-daemon', [
      ...['--start', '--oknodo', '--background', '--exec', '/usr/sbin/nats-server', '--'],
      ...['-a', '127.0.0.1', '-p', '4222', '-js', '-sd', '/var/lib/nats-server'],
    ]);
    await waitPort(4222, 'NATS');
  }
}

async function ensureDatabase(name: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
  } finally {
    await client.end();
  }
}

export async function startCluster(options: ClusterOptions = {}): Promise<RunningCluster> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const config = loadConfig();
  const dataDir = config.dataDir;
  await fs.mkdir(dataDir, { recursive: true });
  await ensureEngines(log);
  const database = options.database ?? 'vought';
  await ensureDatabase(database);
  let port = options.basePort ?? 9100;
  const specs: Array<{ name: string; role: ClusterProcess['role']; script: string; env: Record<string, string>; url: string }> = [];
  const add = (name: string, role: ClusterProcess['role'], script: string, portVar: string, extra: Record<string, string> = {}) => {
    const p = port++;
    specs.push({ name, role, script, env: { [portVar]: String(p), ...extra }, url: `http://127.0.0.1:${p}` });
    return `http://127.0.0.1:${p}`;
  };
  const s3 = add('s3', 's3', path.join(root, 'cli/src/s3-server.ts'), 'S3_PORT', { S3_DIR: path.join(dataDir, 's3'), S3_BUCKET: 'vought' });
  const env: Record<string, string> = {
    VOUGHT_DATA_DIR: dataDir,
    VOUGHT_HOST: '127.0.0.1',
    VOUGHT_REDIS_URL: 'redis://127.0.0.1:6379',
    VOUGHT_NATS_URL: 'nats://127.0.0.1:4222',
    VOUGHT_DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${database}`,
    VOUGHT_STORAGE: 's3',
    VOUGHT_S3_ENDPOINT: s3,
    VOUGHT_S3_BUCKET: 'vought',
    VOUGHT_S3_ACCESS_KEY: 'S3RVER',
    VOUGHT_S3_SECRET_KEY: 'S3RVER',
    VOUGHT_LOG_LEVEL: process.env.VOUGHT_LOG_LEVEL ?? 'warn',
    ...options.env,
  };
  const workers = String(options.originWorkers ?? 2);
  const origin1 = add('origin-1', 'origin', path.join(root, 'origin/src/main.ts'), 'PORT', { VOUGHT_WORKERS: workers });
  const origin2 = add('origin-2', 'origin', path.join(root, 'origin/src/main.ts'), 'PORT', { VOUGHT_WORKERS: workers });
  add('encoder-1', 'encoder', path.join(root, 'encoder/src/main.ts'), 'ENCODER_PORT');
  add('encoder-2', 'encoder', path.join(root, 'encoder/src/main.ts'), 'ENCODER_PORT');
  const shield = add('shield', 'edge', path.join(root, 'edge/src/main.ts'), 'EDGE_PORT', { VOUGHT_EDGE_UPSTREAM: `${origin1},${origin2}` });
  add('edge-1', 'edge', path.join(root, 'edge/src/main.ts'), 'EDGE_PORT', { VOUGHT_EDGE_UPSTREAM: shield });
  add('edge-2', 'edge', path.join(root, 'edge/src/main.ts'), 'EDGE_PORT', { VOUGHT_EDGE_UPSTREAM: shield });

  const children = new Map<string, ChildProcess>();
  const logDir = path.join(dataDir, 'logs');
  await fs.mkdir(logDir, { recursive: true });

  async function launch(spec: (typeof specs)[number]): Promise<void> {
    const out = await fs.open(path.join(logDir, `${spec.name}.log`), 'a');
    const child = spawn(process.execPath, ['--import', 'tsx', spec.script], {
      cwd: root,
      env: { ...process.env, ...env, ...spec.env, OTEL_SERVICE_NAME: `vought-${spec.name}` },
      stdio: ['ignore', out.fd, out.fd],
      // its own process group: stopping it stops its workers and ffmpeg children too
      detached: true,
    });
    child.once('exit', () => void out.close().catch(() => undefined));
    children.set(spec.name, child);
    if (spec.role === 's3') await waitPort(Number(spec.env.S3_PORT), 'the S3 server');
    else await waitHealthy(spec.url, spec.name);
  }

  for (const spec of specs) await launch(spec);

  const processes = (): ClusterProcess[] =>
    specs.map((s) => ({ name: s.name, role: s.role, pid: children.get(s.name)?.pid ?? 0, url: s.url }));
  const writeState = () =>
    fs.writeFile(
      path.join(dataDir, 'cluster.json'),
      `${JSON.stringify(
        processes().filter((p) => p.role !== 's3'),
        null,
        2,
      )}\n`,
    );
  await writeState();

  const kill = (child: ChildProcess | undefined, signal: NodeJS.Signals) => {
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      child.kill(signal);
    }
  };
  const exited = (child: ChildProcess | undefined) =>
    new Promise<void>((resolve) => {
      if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
    });

  return {
    get processes() {
      return processes();
    },
    dataDir,
    env,
    child: (name) => children.get(name),
    async restart(name) {
      const spec = specs.find((s) => s.name === name);
      if (!spec) throw new Error(`no process ${name}`);
      kill(children.get(name), 'SIGKILL');
      await exited(children.get(name));
      await launch(spec);
      await writeState();
    },
    async stop() {
      // services first, the S3 server last
      const services = specs.filter((s) => s.role !== 's3').map((s) => children.get(s.name));
      for (const child of services) kill(child, 'SIGTERM');
      const timer = setTimeout(() => {
        for (const child of children.values()) kill(child, 'SIGKILL');
      }, 10_000);
      await Promise.all(services.map(exited));
      kill(children.get('s3'), 'SIGTERM');
      await exited(children.get('s3'));
      clearTimeout(timer);
    },
  };
}

/** The command: start, print, wait for Ctrl-C. */
export async function runCluster(): Promise<void> {
  const cluster = await startCluster();
  const lines = ['', 'vought cluster is running (Ctrl-C stops it)'];
  for (const p of cluster.processes) lines.push(`  ${p.name.padEnd(10)} ${p.role.padEnd(8)} pid ${String(p.pid).padEnd(8)} ${p.url}`);
  lines.push(`  state in ${path.join(cluster.dataDir, 'cluster.json')}, logs in ${path.join(cluster.dataDir, 'logs')}`, '');
  process.stdout.write(`${lines.join('\n')}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stdout.write('stopping the cluster\n');
  await cluster.stop();
}
