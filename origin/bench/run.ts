// npm run bench -w origin: vought's origin against baselines measured in the same run, over
// loopback, bounded in time. Prints requests/s, p99 and ratios:
//  - a hot segment: vought vs nginx serving the same bytes as a static file, vs a minimal Node
//    http server streaming the file (target: vought ≥ 1.0 × nginx);
//  - segments rotating over a 10-minute video (target ≥ 0.8 × nginx);
//  - the media playlist of a 2-hour video: cold (index read from storage; target < 50 ms) and warm
//    (median; target < 1 ms).
// Long videos are synthetic: real fragments of an encoded 20 s clip, repeated (the origin serves
// bytes by index and never decodes them, so the repetition does not flatter it).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type MediaIndex, type MediaTrack, serializeMediaIndex } from '@vought/media';
import { makeReadyVideo, startTestOrigin } from '../test/harness.ts';

const run = promisify(execFile);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 32;

async function has(binary: string): Promise<boolean> {
  return run('sh', ['-c', `command -v ${binary}`]).then(
    () => true,
    () => false,
  );
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(url).then(
      (r) => r.status < 500,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

interface Result {
  rps: number;
  p99ms: number;
}

/** wrk with a Lua script rotating over paths (or one path). */
async function load(base: string, paths: string[]): Promise<Result> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vought-wrk-'));
  const script = path.join(dir, 'paths.lua');
  await fs.writeFile(
    script,
    `local paths = {${paths.map((p) => JSON.stringify(p)).join(',')}}\nlocal i = 0\nrequest = function()\n  i = i % #paths + 1\n  return wrk.format("GET", paths[i])\nend\n`,
  );
  const { stdout } = await run('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--latency', '-s', script, base], {
    maxBuffer: 1 << 20,
  });
  await fs.rm(dir, { recursive: true, force: true });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? 0);
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(stdout);
  const scale = p99?.[2] === 'us' ? 0.001 : p99?.[2] === 's' ? 1000 : 1;
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout);
  if (non2xx) {
    const sample = await fetch(`${base}${paths[0]}`).then(
      (r) => `${r.status} ${r.statusText}`,
      (e: Error) => e.message,
    );
    throw new Error(`${non2xx[1]} failed responses from ${base}${paths[0]} (a sample: ${sample})`);
  }
  return { rps, p99ms: Number(p99?.[1] ?? 0) * scale };
}

function spawnQuiet(cmd: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(cmd, args, { stdio: 'ignore', env: { ...process.env, ...env } });
}

const fmt = (r: Result) => `${Math.round(r.rps).toString().padStart(7)} req/s  p99 ${r.p99ms.toFixed(2).padStart(6)} ms`;

async function main(): Promise<void> {
  if (!(await has('wrk'))) throw new Error('wrk is needed (apt-get install wrk)');
  const started = Date.now();
  // 1. fixtures: one real encode, then synthetic long videos from its fragments
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vought-bench-'));
  const t = await startTestOrigin({}, dataDir);
  const id = await makeReadyVideo(t, { seconds: 20 });
  const index = JSON.parse((await t.adapters.store.readAll(`videos/${id}/index.json`)).toString()) as MediaIndex;
  const top = index.tracks.find((x) => x.type === 'video') as MediaTrack;
  const file = await t.adapters.store.readAll(`videos/${id}/${top.file}`);
  const f = top.fragments;
  const fragBytes = file.subarray(f.offset[0], (f.offset.at(-1) ?? 0) + (f.size.at(-1) ?? 0));
  const repeat = (times: number): { bytes: Buffer; track: MediaTrack } => {
    const fragments = {
      time: [] as number[],
      duration: [] as number[],
      offset: [] as number[],
      size: [] as number[],
      keyframe: [] as (0 | 1)[],
      iframeSize: [] as number[],
    };
    const span = f.time.at(-1)! + f.duration.at(-1)!;
    for (let r = 0; r < times; r++) {
      for (let i = 0; i < f.time.length; i++) {
        fragments.time.push(r * span + f.time[i]!);
        fragments.duration.push(f.duration[i]!);
        fragments.offset.push(top.init.size + r * fragBytes.length + (f.offset[i]! - f.offset[0]!));
        fragments.size.push(f.size[i]!);
        fragments.keyframe.push(f.keyframe[i]!);
        fragments.iframeSize.push(f.iframeSize?.[i] ?? f.size[i]!);
      }
    }
    const bytes = Buffer.concat([file.subarray(0, top.init.size), ...Array.from({ length: times }, () => fragBytes)]);
    return { bytes, track: { ...top, fileSize: bytes.length, duration: span * times, fragments } };
  };
  const ten = repeat(30); // 30 × 20 s = 10 minutes
  const twoHours = repeat(360); // 2 hours
  const put = async (vid: string, track: MediaTrack, bytes: Buffer | null, tracks = 1) => {
    if (bytes) await t.adapters.store.put(`videos/${vid}/${track.file}`, bytes);
    const idx: MediaIndex = {
      ...index,
      videoId: vid,
      duration: track.duration / track.timescale,
      tracks: Array.from({ length: tracks }, (_, i) => ({ ...track, id: `v${i}` })),
      text: [],
      createdAt: new Date().toISOString(),
    };
    await t.adapters.store.put(`videos/${vid}/index.json`, serializeMediaIndex(idx));
    await t.adapters.catalog.createVideo({ id: vid, owner: 'bench', title: vid, status: 'ready' });
  };
  await put('long10', ten.track, ten.bytes);
  const coldIds = Array.from({ length: 5 }, (_, i) => `long2h${i}`);
  for (const vid of coldIds) await put(vid, twoHours.track, null, 5);
  await t.close().catch(() => {});

  // 2. static copies for the baselines: the hot segment and the 10-minute segments as files
  const staticDir = path.join(dataDir, 'static');
  await fs.mkdir(path.join(staticDir, 'rot'), { recursive: true });
  const tenSegments: Array<{ time: number; offset: number; size: number }> = [];
  for (let i = 0; i < ten.track.fragments.time.length; i += 2) {
    const last = Math.min(i + 1, ten.track.fragments.time.length - 1);
    const offset = ten.track.fragments.offset[i]!;
    tenSegments.push({
      time: ten.track.fragments.time[i]!,
      offset,
      size: ten.track.fragments.offset[last]! + ten.track.fragments.size[last]! - offset,
    });
  }
  for (const [n, s] of tenSegments.entries())
    await fs.writeFile(path.join(staticDir, 'rot', `${n}.m4s`), ten.bytes.subarray(s.offset, s.offset + s.size));
  const hot = tenSegments[3]!;
  await fs.writeFile(path.join(staticDir, 'hot.m4s'), ten.bytes.subarray(hot.offset, hot.offset + hot.size));

  // 3. servers: vought's origin (its own process), nginx, a minimal Node server
  const port = 20000 + Math.floor(Math.random() * 20000);
  const origin = spawnQuiet(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, '../src/main.ts')], {
    PORT: String(port),
    VOUGHT_DATA_DIR: dataDir,
    VOUGHT_LOG_LEVEL: 'silent',
    VOUGHT_HOST: '127.0.0.1',
    ENCODER_PORT: String(port + 2),
  });
  const nodePort = port + 3;
  const nodeServer = spawnQuiet(process.execPath, [
    '-e',
    `const http=require('http'),fs=require('fs'),path=require('path');http.createServer((q,s)=>{const f=path.join(${JSON.stringify(staticDir)},q.url);fs.stat(f,(e,st)=>{if(e){s.statusCode=404;return s.end()}s.setHeader('content-type','video/mp4');s.setHeader('content-length',st.size);fs.createReadStream(f).pipe(s)})}).listen(${nodePort},'127.0.0.1')`,
  ]);
  let nginx: ChildProcess | undefined;
  const nginxPort = port + 4;
  if (await has('nginx')) {
    const conf = path.join(dataDir, 'nginx.conf');
    await fs.writeFile(
      conf,
      `${process.getuid?.() === 0 ? 'user root; ' : ''}worker_processes 1; daemon off; pid ${dataDir}/nginx.pid; error_log /dev/null crit;
events { worker_connections 1024; }
http { access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000; open_file_cache max=1000;
  types { video/mp4 m4s; } client_body_temp_path ${dataDir}/nginx-tmp; proxy_temp_path ${dataDir}/nginx-tmp; fastcgi_temp_path ${dataDir}/nginx-tmp; uwsgi_temp_path ${dataDir}/nginx-tmp; scgi_temp_path ${dataDir}/nginx-tmp;
  server { listen 127.0.0.1:${nginxPort}; root ${staticDir}; } }`,
    );
    nginx = spawnQuiet('nginx', ['-c', conf, '-p', dataDir]);
  }
  const children = [origin, nodeServer, ...(nginx ? [nginx] : [])];
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitFor(`${base}/healthz`);
    await waitFor(`http://127.0.0.1:${nodePort}/hot.m4s`);
    if (nginx) await waitFor(`http://127.0.0.1:${nginxPort}/hot.m4s`);

    // 2-hour media playlist: cold (first request for each copy), then warm
    const cold: number[] = [];
    for (const vid of coldIds) {
      const t0 = performance.now();
      const res = await fetch(`${base}/v1/videos/${vid}/hls/v0.m3u8`);
      await res.text();
      cold.push(performance.now() - t0);
      if (res.status !== 200) throw new Error(`2 h playlist: ${res.status}`);
    }
    const warm: number[] = [];
    for (let i = 0; i < 300; i++) {
      const t0 = performance.now();
      await (await fetch(`${base}/v1/videos/${coldIds[0]}/hls/v0.m3u8`)).arrayBuffer();
      warm.push(performance.now() - t0);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

    const voughtHot = `/v1/videos/long10/v0/s4000/${hot.time}.m4s`;
    const voughtRot = tenSegments.map((s) => `/v1/videos/long10/v0/s4000/${s.time}.m4s`);
    // warm the origin's caches as a CDN-facing origin would be
    await load(base, voughtRot);
    const results: Record<string, Result> = {};
    results.voughtHot = await load(base, [voughtHot]);
    results.nodeHot = await load(`http://127.0.0.1:${nodePort}`, ['/hot.m4s']);
    if (nginx) results.nginxHot = await load(`http://127.0.0.1:${nginxPort}`, ['/hot.m4s']);
    const rotPaths = tenSegments.map((_, n) => `/rot/${n}.m4s`);
    results.voughtRot = await load(base, voughtRot);
    results.nodeRot = await load(`http://127.0.0.1:${nodePort}`, rotPaths);
    if (nginx) results.nginxRot = await load(`http://127.0.0.1:${nginxPort}`, rotPaths);
    results.playlist = await load(base, [`/v1/videos/${coldIds[0]}/hls/v0.m3u8`]);

    const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
    const lines = [
      `vought origin benchmark — ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${cpu}, Node ${process.version}, wrk -t1 -c${CONNECTIONS} -d${SECONDS}s, loopback`,
      `segment size ${(hot.size / 1024).toFixed(0)} KiB; 10-minute video: ${tenSegments.length} segments; 2-hour video: ${twoHours.track.fragments.time.length} fragments per track`,
      '',
      `hot segment        vought ${fmt(results.voughtHot)}`,
      `                   node   ${fmt(results.nodeHot)}`,
      ...(results.nginxHot ? [`                   nginx  ${fmt(results.nginxHot)}`] : []),
      `rotating segments  vought ${fmt(results.voughtRot)}`,
      `                   node   ${fmt(results.nodeRot)}`,
      ...(results.nginxRot ? [`                   nginx  ${fmt(results.nginxRot)}`] : []),
      `2 h media playlist vought ${fmt(results.playlist)}  (${(twoHours.track.fragments.time.length / 2).toFixed(0)} segments each)`,
      '',
      'ratios (requests/s, higher is better for vought):',
      ...(results.nginxHot
        ? [`  hot segment        vought / nginx = ${(results.voughtHot.rps / results.nginxHot.rps).toFixed(2)}  (target ≥ 1.0)`]
        : ['  nginx not installed: no nginx ratios']),
      `  hot segment        vought / node  = ${(results.voughtHot.rps / results.nodeHot.rps).toFixed(2)}`,
      ...(results.nginxRot
        ? [`  rotating segments  vought / nginx = ${(results.voughtRot.rps / results.nginxRot.rps).toFixed(2)}  (target ≥ 0.8)`]
        : []),
      `  rotating segments  vought / node  = ${(results.voughtRot.rps / results.nodeRot.rps).toFixed(2)}`,
      `2 h media playlist: cold median ${median(cold).toFixed(1)} ms (target < 50; samples ${cold.map((x) => x.toFixed(1)).join(', ')}), warm median ${median(warm).toFixed(2)} ms over HTTP (target < 1)`,
      `(whole run ${((Date.now() - started) / 1000).toFixed(0)} s)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
