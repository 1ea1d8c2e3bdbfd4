// npm run soak: ten minutes (SOAK_SECONDS) of mixed load on a cluster of real processes: uploads,
// playback through the edges, API reads and writes, a purge every few seconds. Prints failed
// requests, stuck jobs, p99 latency per kind, and every process's RSS with its slope after warm-up
// (a leak shows as a slope well above zero). Not part of `npm test`.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { sleep, startTestCluster, upload, urlOf } from './test/cluster-harness.ts';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const WARMUP = Math.min(120, SECONDS / 4);

function rssMb(pid: number): number {
  // the process and its children (origin workers, ffmpeg)
  let children: number[] = [];
  try {
    children = execFileSync('pgrep', ['-P', String(pid)])
      .toString()
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    // none
  }
  let kb = 0;
  for (const p of [pid, ...children]) {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return kb / 1024;
}

function slope(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den ? num / den : 0;
}

const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)] ?? 0;

async function main(): Promise<void> {
  const cluster = await startTestCluster(29100);
  const editor = await cluster.token('editor', 'soak');
  const admin = await cluster.token('admin');
  const origins = [urlOf(cluster, 'origin-1'), urlOf(cluster, 'origin-2')];
  const edges = [urlOf(cluster, 'edge-1'), urlOf(cluster, 'edge-2')];
  const latencies: Record<string, number[]> = { playback: [], api: [], upload: [], purge: [] };
  const failures: string[] = [];
  const videos: string[] = [];
  const started = Date.now();
  const ends = started + SECONDS * 1000;
  const timed = async (kind: string, f: () => Promise<Response>) => {
    const t0 = performance.now();
    try {
      const res = await f();
      await res.arrayBuffer();
      (latencies[kind] as number[]).push(performance.now() - t0);
      if (res.status >= 400) failures.push(`${kind} ${res.status} ${res.url}`);
    } catch (error) {
      failures.push(`${kind} ${(error as Error).message}`);
    }
  };
  const rss: Record<string, Array<[number, number]>> = {};
  const sampler = setInterval(() => {
    const t = (Date.now() - started) / 1000;
    for (const p of cluster.processes) {
      const points = rss[p.name] ?? [];
      points.push([t, rssMb(p.pid)]);
      rss[p.name] = points;
    }
  }, 10_000);

  const uploader = (async () => {
    while (Date.now() < ends - 60_000) {
      const t0 = performance.now();
      try {
        videos.push(await upload(origins[videos.length % 2] as string, editor, 6));
        (latencies.upload as number[]).push(performance.now() - t0);
      } catch (error) {
        failures.push(`upload ${(error as Error).message}`);
      }
      await sleep(20_000);
    }
  })();
  const players = Array.from({ length: 6 }, async (_, n) => {
    while (Date.now() < ends) {
      const id = videos[Math.floor(Math.random() * videos.length)];
      if (!id) {
        await sleep(1000);
        continue;
      }
      const edge = edges[n % 2] as string;
      const master = await fetch(`${edge}/v1/videos/${id}/hls/master.m3u8`).catch(() => null);
      if (!master || master.status === 409) {
        await master?.arrayBuffer();
        await sleep(500); // not ready yet
        continue;
      }
      await master.arrayBuffer();
      for (const time of [0, 61440]) await timed('playback', () => fetch(`${edge}/v1/videos/${id}/v240/s4000/${time}.m4s`));
    }
  });
  const api = (async () => {
    while (Date.now() < ends) {
      const origin = origins[Math.floor(Math.random() * 2)] as string;
      await timed('api', () => fetch(`${origin}/v1/videos?limit=10`));
      const id = videos.at(-1);
      if (id)
        await timed('api', () =>
          fetch(`${origin}/v1/videos/${id}`, {
            method: 'PATCH',
            headers: { authorization: `Bearer ${editor}`, 'content-type': 'application/json' },
            body: JSON.stringify({ title: `soak ${Date.now()}` }),
          }),
        );
      await sleep(200);
    }
  })();
  const purger = (async () => {
    while (Date.now() < ends) {
      await sleep(5000);
      const id = videos[Math.floor(Math.random() * videos.length)];
      if (id)
        await timed('purge', () =>
          fetch(`${edges[0]}/`, { method: 'PURGE', headers: { authorization: `Bearer ${admin}`, 'surrogate-key': `video-${id}` } }),
        );
    }
  })();
  await Promise.all([uploader, ...players, api, purger]);
  clearInterval(sampler);
  // stuck jobs: every upload ready a minute after the last one
  await sleep(30_000);
  const stuck: string[] = [];
  for (const id of videos) {
    const res = await fetch(`${origins[0]}/v1/videos/${id}`, { headers: { authorization: `Bearer ${editor}` } });
    const status = ((await res.json()) as { status: string }).status;
    if (status !== 'ready') stuck.push(`${id} ${status}`);
  }
  const lines = [
    `vought soak — ${new Date().toISOString().slice(0, 10)}, ${SECONDS} s, cluster of ${cluster.processes.length} processes`,
    `requests: ${Object.entries(latencies)
      .map(([k, v]) => `${k} ${v.length} (p99 ${p99(v).toFixed(1)} ms)`)
      .join(', ')}`,
    `failed requests: ${failures.length}${failures.length ? ` (first: ${failures.slice(0, 5).join('; ')})` : ''}`,
    `uploads: ${videos.length}, stuck jobs: ${stuck.length}${stuck.length ? ` (${stuck.join(', ')})` : ''}`,
    'RSS after warm-up (MB at the end, slope MB/min):',
    ...Object.entries(rss).map(([name, points]) => {
      const after = points.filter(([t]) => t >= WARMUP);
      return `  ${name.padEnd(10)} ${(points.at(-1)?.[1] ?? 0).toFixed(0).padStart(5)} MB   ${(slope(after) * 60).toFixed(2).padStart(6)} MB/min`;
    }),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  await cluster.stop();
}

await main();
process.exit(0);
