// npm run bench -w edge: (1) a hot segment through the edge (cache HIT) against the same segment
// from the origin's own hot path, measured in the same run with wrk over loopback; (2) the time
// from an invalidation published on real NATS to its effect on three edges (p50/p99 of the
// slowest edge, 100 rounds; target p99 < 50 ms). Needs wrk, ffmpeg and NATS on 127.0.0.1:4222.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { NatsBus } from '@vought/bus';
import { createLogger } from '@vought/observability';
import { makeReadyVideo, startTestOrigin } from '../../origin/test/harness.ts';
import { startEdge } from '../src/edge-service.ts';

const run = promisify(execFile);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const logger = createLogger({ service: 'edge-bench', level: 'silent' });

async function wrk(url: string): Promise<{ rps: number; p99: string }> {
  const { stdout } = await run('wrk', ['-t1', '-c32', `-d${SECONDS}s`, '--latency', url], { maxBuffer: 1 << 20 });
  if (/Non-2xx/.test(stdout)) throw new Error(`failed responses from ${url}`);
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? 0), p99: /99%\s+(\S+)/.exec(stdout)?.[1] ?? '?' };
}

const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vought-edgebench-'));
const lines: string[] = [
  `vought edge benchmark — ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${os.cpus()[0]?.model}, Node ${process.version}, wrk -t1 -c32 -d${SECONDS}s, loopback`,
];
try {
  // (1) throughput: origin in its own process, edge in this one
  const t = await startTestOrigin({}, dataDir);
  const id = await makeReadyVideo(t, { seconds: 8 });
  const config = t.config;
  await t.close();
  const port = 20000 + Math.floor(Math.random() * 20000);
  const origin = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, '../../origin/src/main.ts')], {
    stdio: 'ignore',
    env: { ...process.env, PORT: String(port), VOUGHT_DATA_DIR: dataDir, VOUGHT_LOG_LEVEL: 'silent', VOUGHT_HOST: '127.0.0.1' },
  });
  try {
    for (
      let i = 0;
      i < 100 &&
      !(await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      ));
      i++
    )
      await new Promise((r) => setTimeout(r, 100));
    const edge = await startEdge({ ...config, log: { level: 'silent' } }, { logger, port: 0, upstreams: [`http://127.0.0.1:${port}`] });
    const segment = `/v1/videos/${id}/v360/s4000/61440.m4s`;
    await fetch(`http://127.0.0.1:${port}${segment}`);
    await fetch(`${edge.url}${segment}`);
    const viaOrigin = await wrk(`http://127.0.0.1:${port}${segment}`);
    const viaEdge = await wrk(`${edge.url}${segment}`);
    lines.push(
      `hot segment: origin (hot path) ${Math.round(viaOrigin.rps)} req/s p99 ${viaOrigin.p99}; through the edge (HIT) ${Math.round(viaEdge.rps)} req/s p99 ${viaEdge.p99}; edge / origin = ${(viaEdge.rps / viaOrigin.rps).toFixed(2)}`,
    );
    await edge.stop();
  } finally {
    origin.kill('SIGTERM');
  }

  // (2) invalidation over real NATS to three edges
  const upstream = http.createServer((_req, res) => {
    res.writeHead(200, { 'cache-control': 'public, max-age=3600', 'surrogate-key': 'video-bench', 'content-type': 'text/plain' });
    res.end('cacheable');
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const buses = await Promise.all([0, 1, 2, 3].map((i) => NatsBus.connect({ servers: 'nats://127.0.0.1:4222', name: `edge-bench-${i}` })));
  const edges = await Promise.all(
    [0, 1, 2].map((i) =>
      startEdge({ ...config, log: { level: 'silent' } }, { logger, bus: buses[i] as NatsBus, port: 0, upstreams: [upstreamUrl] }),
    ),
  );
  const publisher = buses[3] as NatsBus;
  const slowest: number[] = [];
  for (let round = 0; round < 100; round++) {
    for (const e of edges) await (await fetch(`${e.url}/object`)).text();
    const t0 = performance.now();
    await publisher.publish('cdn.invalidate', { type: 'invalidate', version: 1, keys: ['video-bench'] });
    // each edge's cache is watched from this process until the object is gone
    await Promise.all(
      edges.map(async (e) => {
        while (e.cache.objects.has('/object')) await new Promise((r) => setImmediate(r));
      }),
    );
    slowest.push(performance.now() - t0);
  }
  slowest.sort((a, b) => a - b);
  const pct = (p: number) => slowest[Math.min(slowest.length - 1, Math.floor((p / 100) * slowest.length))]?.toFixed(2);
  lines.push(
    `invalidation to effect on 3 edges over NATS (100 rounds, slowest edge): p50 ${pct(50)} ms, p99 ${pct(99)} ms (target p99 < 50 ms)`,
  );
  for (const e of edges) await e.stop();
  for (const b of buses) await b.close();
  upstream.close();
} finally {
  await fs.rm(dataDir, { recursive: true, force: true });
}
process.stdout.write(`${lines.join('\n')}\n`);
process.exit(0);
