// The image and the compose file: static checks of the Dockerfile always; where a Docker engine
// answers (`docker info`), a real build and start of the whole compose project.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const deploy = path.resolve(import.meta.dirname, '..');
const repo = path.resolve(deploy, '..');
const dockerfile = fs.readFileSync(path.join(deploy, 'docker/Dockerfile'), 'utf8');

interface Stage {
  name: string;
  from: string;
  /** Instructions with continuation lines joined, comments dropped. */
  lines: string[];
}

function stages(text: string): Stage[] {
  const joined = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ');
  const out: Stage[] = [];
  for (const line of joined.split('\n').map((l) => l.trim())) {
    if (!line) continue;
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) out.push({ from: from[1] as string, name: from[2] ?? String(out.length), lines: [] });
    else out.at(-1)?.lines.push(line);
  }
  return out;
}

const all = stages(dockerfile);
const stage = (name: string): Stage => {
  const found = all.find((s) => s.name === name);
  if (!found) throw new Error(`no stage ${name} in the Dockerfile`);
  return found;
};
/** The USER in effect at the end of a stage, following FROM <earlier stage>. */
function finalUser(name: string): string | undefined {
  const s = stage(name);
  const own = s.lines.filter((l) => /^USER\s/i.test(l)).at(-1);
  if (own) return own.split(/\s+/)[1];
  return all.some((o) => o.name === s.from) ? finalUser(s.from) : undefined;
}

describe('Dockerfile', () => {
  it('builds on node:20-bookworm-slim in stages: npm ci to build, npm ci --omit=dev for the image', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    expect(stage('base').from).toBe(['$', '{NODE_IMAGE}'].join(''));
    expect(all.map((s) => s.name)).toEqual(expect.arrayContaining(['build', 'runtime', 'encoder', 'service']));
    const build = stage('build').lines.join('\n');
    expect(build).toMatch(/npm ci(?! --omit)/);
    expect(build).toContain('npm run build');
    const runtime = stage('runtime').lines.join('\n');
    expect(runtime).toMatch(/npm ci --omit=dev/);
    expect(runtime).not.toMatch(/npm ci(?! --omit=dev)/);
    // the image takes the collected runtime from the build stage, not the build's node_modules
    expect(runtime).toContain('COPY --from=build /runtime/ ./');
    expect(runtime).not.toMatch(/COPY --from=build \S*node_modules/);
  });

  it('runs as a numeric non-root user in every image target', () => {
    for (const target of ['runtime', 'encoder', 'service']) {
      const user = finalUser(target);
      expect(user, target).toBeDefined();
      expect(user, target).toMatch(/^\d+(:\d+)?$/);
      expect(user?.split(':')[0], target).not.toBe('0');
    }
  });

  it('picks the service by command, checks /healthz on that service port, and carries OCI labels', () => {
    const runtime = stage('runtime').lines.join('\n');
    expect(runtime).toContain('ENTRYPOINT ["/usr/local/bin/vought"]');
    expect(runtime).toMatch(/HEALTHCHECK .*CMD \["node", "-e", ".*\/healthz/);
    for (const v of ['PORT', 'EDGE_PORT', 'ENCODER_PORT']) expect(runtime).toContain(`e.${v}`);
    for (const label of ['title', 'description', 'source', 'version', 'revision', 'created', 'base.name'])
      expect(runtime).toContain(`org.opencontainers.image.${label}=`);
    expect(stage('encoder').lines.join('\n')).toMatch(/apt-get install -y --no-install-recommends ffmpeg/);
    expect(stage('encoder').lines).toContain('CMD ["encoder"]');
    // the entrypoint runs the production build, never tsx
    const entry = fs.readFileSync(path.join(deploy, 'docker/vought.sh'), 'utf8');
    expect(entry).toContain('exec node "$command/dist/main.js"');
    expect(entry).toContain('exec node cli/dist/main.js token');
    expect(entry).not.toContain('tsx');
    expect(runtime).toContain('NODE_OPTIONS=--enable-source-maps');
    expect(fs.statSync(path.join(deploy, 'docker/vought.sh')).mode & 0o111).not.toBe(0);
  });

  it('keeps modules, VCS data and secrets out of the build context', () => {
    const ignore = fs.readFileSync(path.join(deploy, 'docker/Dockerfile.dockerignore'), 'utf8').split('\n');
    for (const entry of ['**/node_modules', '.git', '.env', '**/data', '**/dist']) expect(ignore).toContain(entry);
  });

  it('collect-runtime.mjs ships the dist/ bundles and the console app, no sources, no tsx', async () => {
    const { bundleService } = (await import(path.join(repo, 'deploy/build/bundle.mjs'))) as {
      bundleService: (dir: string) => Promise<unknown>;
    };
    for (const service of ['origin', 'encoder', 'edge', 'cli']) await bundleService(path.join(repo, service));
    const out = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? '/tmp'), 'vought-collect-'));
    try {
      execFileSync(process.execPath, [path.join(deploy, 'docker/collect-runtime.mjs'), out], { cwd: repo, stdio: 'pipe' });
      for (const s of ['origin', 'encoder', 'edge', 'cli']) expect(fs.existsSync(path.join(out, s, 'dist/main.js')), s).toBe(true);
      expect(fs.existsSync(path.join(out, 'console/src/app/main.ts'))).toBe(true);
      expect(fs.existsSync(path.join(out, 'node_modules'))).toBe(false);
      const sources = fs
        .readdirSync(out, { recursive: true })
        .map(String)
        .filter((f) => f.endsWith('.ts') && !f.startsWith(path.join('console', 'src', 'app')));
      expect(sources).toEqual([]);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('compose.yaml', () => {
  const compose = parse(fs.readFileSync(path.join(deploy, 'compose.yaml'), 'utf8'), { merge: true }) as {
    services: Record<string, { build?: { context: string; dockerfile: string; target: string }; image?: string; volumes?: string[] }>;
  };

  it('runs the three services from the image, next to Redis, NATS, PostgreSQL, MinIO, Prometheus and Grafana', () => {
    const names = Object.keys(compose.services);
    expect(names).toEqual(
      expect.arrayContaining(['origin', 'encoder', 'edge', 'redis', 'nats', 'postgres', 'minio', 'prometheus', 'grafana']),
    );
    expect(compose.services.origin?.build).toMatchObject({ context: '..', dockerfile: 'deploy/docker/Dockerfile', target: 'service' });
    expect(compose.services.encoder?.build).toMatchObject({ dockerfile: 'deploy/docker/Dockerfile', target: 'encoder' });
    expect(compose.services.edge?.image).toBe(compose.services.origin?.image);
  });

  it('mounts files that exist', () => {
    for (const [name, service] of Object.entries(compose.services))
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0] as string;
        if (source.startsWith('.')) expect(fs.existsSync(path.resolve(deploy, source)), `${name}: ${source}`).toBe(true);
      }
  });
});

const engine = spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 15_000 }).status === 0;
const noEngine = engine ? '' : ' (skipped: no Docker engine here, `docker info` failed)';

describe('images and compose on a Docker engine', () => {
  const compose = (...args: string[]) =>
    execFileSync('docker', ['compose', '-f', path.join(deploy, 'compose.yaml'), '-p', 'vought-test', ...args], {
      cwd: repo,
      stdio: 'pipe',
      timeout: 900_000,
    }).toString();

  it.skipIf(!engine)(
    `builds both targets, starts the project, and every service turns healthy${noEngine}`,
    { timeout: 1_200_000 },
    async () => {
      try {
        compose('build');
        compose('up', '-d', '--wait', '--wait-timeout', '180');
        for (const port of [8080, 8081]) {
          const res = await fetch(`http://127.0.0.1:${port}/readyz`);
          expect(res.status, `port ${port}`).toBe(200);
        }
        const ps = JSON.parse(`[${compose('ps', '--format', 'json').trim().split('\n').join(',')}]`) as Array<{
          Service: string;
          Health: string;
        }>;
        for (const service of ['origin', 'encoder', 'edge']) expect(ps.find((p) => p.Service === service)?.Health, service).toBe('healthy');
        // the image user is not root
        expect(compose('exec', '-T', 'origin', 'id', '-u').trim()).not.toBe('0');
      } finally {
        compose('down', '-v', '--remove-orphans');
      }
    },
  );
});
