// npm run bench -w origin: vought's origin against nginx serving the same bytes as static files,
// measured in the same run over loopback, bounded in time. What reaches an origin behind a CDN is
// mostly misses, so the miss path is the headline:
//  - one segment, the origin's memory budget too small to keep it (every request cut from storage);
//  - every segment of the video in rotation, same budget (target for both: ≥ 0.6 × nginx static);
//  - one segment kept in memory (hot);
//  - a 30 KB audio segment; a warm media playlist (nginx serving the same text as a file);
//  - encryption just in time against clear delivery of the same segments, in the same run: cenc,
//    cbcs and HLS AES-128 on the miss path (every request read from storage and encrypted; target
//    ≥ 0.8 × clear), cenc in rotation (every request encrypts: nothing is kept), the same from Redis
//    (bytes another fill encrypted, when Redis answers), and a kept encrypted segment (hot);
//  - CPU per request of each server, from /proc.
// Source: 60 s of 1280x720 H.264 at 3 Mb/s with AAC, fragmented every 2 s like vought's encoder,
// 4 s segments (about 1.5 MB). Process model, as deployed: the origin forks one worker per core
// (VOUGHT_WORKERS, which needs NATS for invalidations across processes: the real one on
// 127.0.0.1:4222 when it answers, else one process) and nginx runs one worker per core.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { openCatalog } from '@vought/catalog';
import { loadConfig } from '@vought/config';
import { buildMediaPlaylist, present } from '@vought/manifest';
import { bufferSource, indexTrack, MEDIA_INDEX_VERSION, type MediaIndex, serializeMediaIndex } from '@vought/media';
import { FsStore } from '@vought/storage';

const run = promisify(execFile);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const CONNECTIONS = 64;
const CORES = os.availableParallelism();

async function has(binary: string): Promise<boolean> {
  return run('sh', ['-c', `command -v ${binary}`]).then(
    () => true,
    () => false,
  );
}

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    const ok = await fetch(url).then(
      (r) => r.status < 500,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

/** CPU seconds used so far by a process and its children (the origin's workers, nginx's). */
async function cpuSeconds(pid: number): Promise<number> {
  const ticks = Number((await run('getconf', ['CLK_TCK'])).stdout.trim()) || 100;
  const children = (await run('pgrep', ['-P', String(pid)]).catch(() => ({ stdout: '' }))).stdout.split('\n').filter(Boolean).map(Number);
  let total = 0;
  for (const p of [pid, ...children]) {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      total += (Number(fields[11]) + Number(fields[12])) / ticks; // utime, stime
    } catch {
      // gone
    }
  }
  return total;
}

interface Result {
  rps: number;
  p99ms: number;
  requests: number;
  /** CPU microseconds per request (server side). */
  cpuUs: number;
}

/** wrk with a Lua script rotating over paths (or one path), and the server's CPU over the run. */
async function load(base: string, paths: string[], pid: number): Promise<Result> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vought-wrk-'));
  const script = path.join(dir, 'paths.lua');
  await fs.writeFile(
    script,
    `local paths = {${paths.map((p) => JSON.stringify(p)).join(',')}}\nlocal i = 0\nrequest = function()\n  i = i % #paths + 1\n  return wrk.format("GET", paths[i])\nend\n`,
  );
  const cpuBefore = await cpuSeconds(pid);
  const { stdout } = await run('wrk', ['-t2', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--latency', '-s', script, base], {
    maxBuffer: 1 << 20,
  });
  const cpu = (await cpuSeconds(pid)) - cpuBefore;
  await fs.rm(dir, { recursive: true, force: true });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? 0);
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 0);
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
  return { rps, p99ms: Number(p99?.[1] ?? 0) * scale, requests, cpuUs: requests ? (cpu / requests) * 1e6 : 0 };
}

function spawnQuiet(cmd: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(cmd, args, { stdio: 'ignore', env: { ...process.env, ...env } });
}

const fmt = (r: Result) =>
  `${Math.round(r.rps).toString().padStart(7)} req/s  p99 ${r.p99ms.toFixed(1).padStart(6)} ms  CPU ${Math.round(r.cpuUs).toString().padStart(5)} µs/req`;

/** A fragmented MP4 like vought's encoder writes (one track, fragments every 2 s). */
async function encode(dir: string, name: string, args: string[]): Promise<Buffer> {
  const file = path.join(dir, name);
  await run('ffmpeg', ['-v', 'error', '-y', ...args, '-f', 'mp4', '-movflags', '+frag_keyframe+empty_moov+default_base_moof', file]);
  return fs.readFile(file);
}

async function main(): Promise<void> {
  for (const tool of ['wrk', 'ffmpeg', 'nginx']) if (!(await has(tool))) throw new Error(`${tool} is needed (apt-get install ${tool})`);
  const started = Date.now();
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vought-bench-'));
  const work = path.join(dataDir, 'work');
  await fs.mkdir(work, { recursive: true });

  // 1. fixtures: a real 720p 3 Mb/s encode and its audio, indexed, stored, in the catalog
  const video = await encode(work, 'v.mp4', [
    ...[
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=1280x720:rate=30',
      '-t',
      '60',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-tune',
      'zerolatency',
    ],
    ...['-b:v', '3M', '-maxrate', '3M', '-bufsize', '6M', '-g', '60', '-keyint_min', '60', '-sc_threshold', '0', '-pix_fmt', 'yuv420p'],
  ]);
  const audio = await encode(work, 'a.mp4', [
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:sample_rate=48000',
    '-t',
    '60',
    '-c:a',
    'aac',
    '-b:a',
    '64k',
    '-frag_duration',
    '2000000',
  ]);
  const vTrack = await indexTrack(bufferSource(video), { id: 'v720', file: 'v/720p.mp4' });
  const aTrack = await indexTrack(bufferSource(audio), { id: 'a-und', file: 'a/a-und.mp4' });
  const store = new FsStore({ root: path.join(dataDir, 'objects') });
  // an id of its own per run: a Redis shared with earlier runs holds their indexes under their ids
  const id = `bench${Date.now().toString(36)}`;
  await store.put(`videos/${id}/v/720p.mp4`, video);
  await store.put(`videos/${id}/a/a-und.mp4`, audio);
  const index: MediaIndex = {
    version: MEDIA_INDEX_VERSION,
    videoId: id,
    duration: 60,
    tracks: [vTrack, aTrack],
    text: [],
    createdAt: new Date().toISOString(),
  };
  await store.put(`videos/${id}/index.json`, serializeMediaIndex(index));
  const catalog = await openCatalog(loadConfig({ VOUGHT_DATA_DIR: dataDir }).catalog);
  await catalog.createVideo({ id, owner: 'bench', title: 'bench', status: 'ready' });
  await catalog.close();

  // 2. the same bytes as static files for nginx: every 4 s segment, the audio segment, a playlist
  const p = present(index, { segmentMs: 4000, addressing: 'segments' });
  const sel = p.video[0] as (typeof p.video)[number];
  const aSel = p.audio[0] as (typeof p.audio)[number];
  const staticDir = path.join(dataDir, 'static');
  await fs.mkdir(path.join(staticDir, 'v'), { recursive: true });
  const cut = (file: Buffer, s: { offset: number; size: number }) => file.subarray(s.offset, s.offset + s.size);
  for (const [n, s] of sel.segments.entries()) await fs.writeFile(path.join(staticDir, 'v', `${n}.m4s`), cut(video, s));
  const aSeg = aSel.segments[2] as (typeof aSel.segments)[number];
  await fs.writeFile(path.join(staticDir, 'audio.m4s'), cut(audio, aSeg));
  const playlist = buildMediaPlaylist(sel, { passQuery: '', mediaQuery: '', addressing: 'segments' });
  await fs.writeFile(path.join(staticDir, 'v720.m3u8'), playlist);
  const one = sel.segments[3] as (typeof sel.segments)[number];

  // 3. servers
  const nats = await portOpen(4222);
  const workers = nats ? CORES : 1;
  const port = 20000 + Math.floor(Math.random() * 20000);
  const originEnv = (cacheBytes: string, p: number) => ({
    PORT: String(p),
    VOUGHT_DATA_DIR: dataDir,
    VOUGHT_LOG_LEVEL: 'silent',
    VOUGHT_HOST: '127.0.0.1',
    VOUGHT_CACHE_BYTES: cacheBytes,
    VOUGHT_WORKERS: String(workers),
    VOUGHT_RATE_LIMIT: '0',
    ...(nats ? { VOUGHT_NATS_URL: 'nats://127.0.0.1:4222' } : {}),
  });
  const main = path.join(import.meta.dirname, '../src/main.ts');
  // "miss": 1 MiB for every cache of the process: no 1.5 MB segment is ever kept
  const missOrigin = spawnQuiet(process.execPath, ['--import', 'tsx', main], originEnv('1mb', port));
  const hotOrigin = spawnQuiet(process.execPath, ['--import', 'tsx', main], originEnv('256mb', port + 1));
  // the same miss origin with Redis (when one answers): encrypted bytes another fill made, shared
  const redis = await portOpen(6379);
  const sharedOrigin = redis
    ? spawnQuiet(process.execPath, ['--import', 'tsx', main], { ...originEnv('1mb', port + 2), VOUGHT_REDIS_URL: 'redis://127.0.0.1:6379' })
    : undefined;
  const nginxPort = port + 4;
  const conf = path.join(dataDir, 'nginx.conf');
  await fs.writeFile(
    conf,
    `${process.getuid?.() === 0 ? 'user root; ' : ''}worker_processes ${CORES}; daemon off; pid ${dataDir}/nginx.pid; error_log /dev/null crit;
events { worker_connections 4096; }
http { access_log off; sendfile on; tcp_nopush on; keepalive_requests 1000000; open_file_cache max=1000;
  types { video/mp4 m4s; application/vnd.apple.mpegurl m3u8; } client_body_temp_path ${dataDir}/nginx-tmp; proxy_temp_path ${dataDir}/nginx-tmp; fastcgi_temp_path ${dataDir}/nginx-tmp; uwsgi_temp_path ${dataDir}/nginx-tmp; scgi_temp_path ${dataDir}/nginx-tmp;
  server { listen 127.0.0.1:${nginxPort}; root ${staticDir}; } }`,
  );
  const nginx = spawnQuiet('nginx', ['-c', conf, '-p', dataDir]);
  const children = [missOrigin, hotOrigin, nginx, ...(sharedOrigin ? [sharedOrigin] : [])];
  try {
    const miss = `http://127.0.0.1:${port}`;
    const hot = `http://127.0.0.1:${port + 1}`;
    const ngx = `http://127.0.0.1:${nginxPort}`;
    const videoPath = (s: { time: number }, enc = '') => `/v1/videos/${id}/v720/${enc ? `${enc}-k0/` : ''}s4000/${s.time}.m4s`;
    const audioPath = `/v1/videos/${id}/a-und/s4000/${aSeg.time}.m4s`;
    const playlistPath = `/v1/videos/${id}/hls/v720.m3u8`;
    const shared = `http://127.0.0.1:${port + 2}`;
    for (const base of [miss, hot, ...(sharedOrigin ? [shared] : [])]) await waitFor(`${base}/v1/videos/${id}/hls/master.m3u8`);
    await waitFor(`${ngx}/v720.m3u8`);
    // the same bytes at both
    const a = Buffer.from(await (await fetch(`${miss}${videoPath(one)}`)).arrayBuffer());
    const b = Buffer.from(await (await fetch(`${ngx}/v/3.m4s`)).arrayBuffer());
    if (!a.equals(b)) throw new Error('vought and nginx do not serve the same segment bytes');

    const pids = { miss: missOrigin.pid ?? 0, hot: hotOrigin.pid ?? 0, nginx: nginx.pid ?? 0, shared: sharedOrigin?.pid ?? 0 };
    const rotation = sel.segments.map((s) => videoPath(s));
    const rotationStatic = sel.segments.map((_, n) => `/v/${n}.m4s`);
    // warm the page cache and every worker
    await load(miss, rotation, pids.miss);
    await load(hot, [videoPath(one), audioPath, playlistPath], pids.hot);
    await load(ngx, rotationStatic, pids.nginx);
    await load(
      miss,
      sel.segments.map((s) => videoPath(s, 'cenc')),
      pids.miss,
    );
    await load(hot, [videoPath(one, 'cenc')], pids.hot);
    // warm: each encrypted segment is made once and shared through Redis (its key names the index digest of this run)
    if (sharedOrigin)
      await load(
        shared,
        sel.segments.map((s) => videoPath(s, 'cenc')),
        pids.shared,
      );

    const r = {
      missOne: await load(miss, [videoPath(one)], pids.miss),
      nginxOne: await load(ngx, ['/v/3.m4s'], pids.nginx),
      missRotation: await load(miss, rotation, pids.miss),
      nginxRotation: await load(ngx, rotationStatic, pids.nginx),
      hotOne: await load(hot, [videoPath(one)], pids.hot),
      audio: await load(miss, [audioPath], pids.miss),
      nginxAudio: await load(ngx, ['/audio.m4s'], pids.nginx),
      playlist: await load(hot, [playlistPath], pids.hot),
      nginxPlaylist: await load(ngx, ['/v720.m3u8'], pids.nginx),
      cencOne: await load(miss, [videoPath(one, 'cenc')], pids.miss),
      clearOne: await load(miss, [videoPath(one)], pids.miss),
      cbcsOne: await load(miss, [videoPath(one, 'cbcs')], pids.miss),
      aesOne: await load(miss, [videoPath(one, 'aes-128')], pids.miss),
      cencRotation: await load(
        miss,
        sel.segments.map((s) => videoPath(s, 'cenc')),
        pids.miss,
      ),
      cencHot: await load(hot, [videoPath(one, 'cenc')], pids.hot),
      cencShared: sharedOrigin
        ? await load(
            shared,
            sel.segments.map((s) => videoPath(s, 'cenc')),
            pids.shared,
          )
        : undefined,
    };
    const ratio = (x: Result, y: Result) => (x.rps / y.rps).toFixed(2);
    const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
    const lines = [
      `vought origin benchmark — ${new Date().toISOString().slice(0, 10)}, ${CORES} × ${cpu}, Node ${process.version}, wrk -t2 -c${CONNECTIONS} -d${SECONDS}s, loopback`,
      `process model: origin ${workers} worker(s)${nats ? ' (NATS for invalidations)' : ' (no NATS: one process)'}, nginx ${CORES} workers with sendfile`,
      `video: 60 s 1280x720 3 Mb/s, ${sel.segments.length} segments of 4 s (~${(one.size / 1024 / 1024).toFixed(2)} MB); audio segment ${(aSeg.size / 1024).toFixed(0)} KB; playlist ${playlist.length} bytes`,
      '',
      `one segment, miss (memory 1 MiB)   vought ${fmt(r.missOne)}`,
      `                                   nginx  ${fmt(r.nginxOne)}   ratio ${ratio(r.missOne, r.nginxOne)}  (target ≥ 0.6)`,
      `all segments in rotation, miss     vought ${fmt(r.missRotation)}`,
      `                                   nginx  ${fmt(r.nginxRotation)}   ratio ${ratio(r.missRotation, r.nginxRotation)}  (target ≥ 0.6)`,
      `one segment, hot (kept in memory)  vought ${fmt(r.hotOne)}   ratio ${ratio(r.hotOne, r.nginxOne)}`,
      `30 KB audio segment, miss          vought ${fmt(r.audio)}`,
      `                                   nginx  ${fmt(r.nginxAudio)}   ratio ${ratio(r.audio, r.nginxAudio)}`,
      `media playlist, warm               vought ${fmt(r.playlist)}`,
      `                                   nginx  ${fmt(r.nginxPlaylist)}   ratio ${ratio(r.playlist, r.nginxPlaylist)}`,
      '',
      'encryption just in time against clear delivery of the same segment, same origin, measured in the same run:',
      `clear segment, miss                vought ${fmt(r.clearOne)}`,
      `cenc segment, miss                 vought ${fmt(r.cencOne)}   ratio ${ratio(r.cencOne, r.clearOne)}  (target ≥ 0.8)`,
      `cbcs segment, miss                 vought ${fmt(r.cbcsOne)}   ratio ${ratio(r.cbcsOne, r.clearOne)}  (target ≥ 0.8)`,
      `AES-128 segment, miss              vought ${fmt(r.aesOne)}   ratio ${ratio(r.aesOne, r.clearOne)}  (target ≥ 0.8)`,
      `cenc, all segments in rotation     vought ${fmt(r.cencRotation)}   ratio ${ratio(r.cencRotation, r.missRotation)}  (against clear rotation)`,
      `cenc segment, hot (kept)           vought ${fmt(r.cencHot)}   ratio ${ratio(r.cencHot, r.hotOne)}  (against clear hot)`,
      r.cencShared
        ? `cenc in rotation, from Redis       vought ${fmt(r.cencShared)}   ratio ${ratio(r.cencShared, r.missRotation)}  (origin memory 1 MiB; bytes another fill encrypted)`
        : 'cenc in rotation, from Redis       (skipped: no Redis on 127.0.0.1:6379)',
      `(whole run ${((Date.now() - started) / 1000).toFixed(0)} s)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
