// Faults on a running cluster (2 origins, 2 encoders, a shield and 2 edges on real Redis, NATS
// JetStream, PostgreSQL and an S3 server): each test breaks one part under use and asserts what a
// user sees, printing its figure. Run by `npm test`; the whole file stays within a few minutes.
import { createHash } from 'node:crypto';
import { parseMediaIndex, serializeMediaIndex } from '@vought/media';
import { skipUnlessFfmpeg } from '@vought/media/test/ffmpeg-fixtures';
import { S3Store } from '@vought/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  engines,
  ffmpegPids,
  groupPids,
  isZombie,
  load,
  parentOf,
  portOpen,
  sleep,
  startTestCluster,
  upload,
  urlOf,
  waitStatus,
} from './cluster-harness.ts';

const ci = process.env.CI === 'true';
const engineUp = (await Promise.all([5432, 6379, 4222].map((port) => portOpen(port)))).every(Boolean);
const ffmpegThere = !(await skipUnlessFfmpeg('chaos suite'));
if (ci && (!engineUp || !ffmpegThere)) throw new Error('CI=true: the chaos suite needs PostgreSQL, Redis, NATS and ffmpeg');
const skip = !engineUp || !ffmpegThere;

const figure = (line: string) => process.stdout.write(`chaos: ${line}\n`);

describe.skipIf(skip)('a cluster under faults', () => {
  let cluster: Awaited<ReturnType<typeof startTestCluster>>;
  let editor: string;
  let admin: string;
  let origins: string[];
  let edges: string[];
  let store: S3Store;
  let ready: string; // a ready public video, 12 s

  beforeAll(async () => {
    cluster = await startTestCluster(19100 + (process.pid % 400) * 10);
    editor = await cluster.token('editor', 'chaos');
    admin = await cluster.token('admin');
    origins = [urlOf(cluster, 'origin-1'), urlOf(cluster, 'origin-2')];
    edges = [urlOf(cluster, 'edge-1'), urlOf(cluster, 'edge-2')];
    store = new S3Store({
      endpoint: cluster.env.VOUGHT_S3_ENDPOINT as string,
      region: 'us-east-1',
      bucket: 'vought',
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      forcePathStyle: true,
    });
    ready = await upload(origins[0] as string, editor, 12);
    await waitStatus(origins, ready, editor, 'ready', 120_000);
  });
  afterAll(async () => {
    // whatever a test left broken, the engines come back for what runs next
    if (!(await portOpen(6379))) await engines.startRedis();
    if (!(await portOpen(4222))) await engines.startNats();
    if (!(await portOpen(5432))) await engines.postgres('start');
    await store?.close();
    await cluster?.stop();
  });

  /** The encoder whose process group runs ffmpeg now. */
  async function encoderRunningFfmpeg(): Promise<string | null> {
    const ffmpeg = new Set(await ffmpegPids());
    for (const name of ['encoder-1', 'encoder-2']) {
      const pgid = cluster.child(name)?.pid;
      if (pgid && (await groupPids(pgid)).some((p) => ffmpeg.has(p))) return name;
    }
    return null;
  }

  async function killMidEncode(mode: 'group' | 'node'): Promise<void> {
    const id = await upload(origins[1] as string, editor, 20);
    let victim: string | null = null;
    for (let i = 0; i < 300 && !victim; i++) {
      victim = await encoderRunningFfmpeg();
      if (!victim) await sleep(100);
    }
    expect(victim, 'an encoder started ffmpeg').not.toBeNull();
    const child = cluster.child(victim as string);
    const pgid = child?.pid as number;
    const running = new Set(await ffmpegPids());
    const groupFfmpeg = (await groupPids(pgid)).filter((p) => running.has(p));
    const killedAt = Date.now();
    try {
      if (mode === 'group') process.kill(-pgid, 'SIGKILL');
      else process.kill(pgid, 'SIGKILL'); // the node process alone: its ffmpeg must not outlive it
      await sleep(1500);
      // every ffmpeg still running belongs to a living encoder (zombies, already dead, wait for init)
      for (const pid of await ffmpegPids()) {
        if (await isZombie(pid)) continue;
        expect(await parentOf(pid), `ffmpeg ${pid} has a live parent`).not.toBe(1);
        expect(groupFfmpeg, `ffmpeg ${pid} of the killed encoder`).not.toContain(pid);
      }
      const waited = await waitStatus(origins, id, editor, 'ready', 150_000);
      figure(
        `encoder ${victim} killed (${mode}) mid-encode: ready on the other ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`,
      );
      expect(waited).toBeLessThan(150_000);
      // nothing half-written: no staging objects, a readable index, every file it names present
      const keys: string[] = [];
      for await (const o of store.list(`videos/${id}/`)) keys.push(o.key);
      expect(keys.filter((k) => k.includes('/.staging/'))).toEqual([]);
      const index = parseMediaIndex(await store.readAll(`videos/${id}/index.json`));
      for (const track of index.tracks) expect(keys).toContain(`videos/${id}/${track.file}`);
    } finally {
      await cluster.restart(victim as string);
    }
  }

  it('an encoder killed with SIGKILL mid-encode (its whole group): the job is redelivered, nothing half-written', async () => {
    await killMidEncode('group');
  });

  it('an encoder whose node process alone is killed: its ffmpeg dies with it, the job is redelivered', async () => {
    await killMidEncode('node');
  });

  it('an origin killed with SIGKILL under load through the edges: clients see no error', async () => {
    const urls = edges.flatMap((edge) => [
      ...[2000, 3000, 4000, 5000, 6000].flatMap((ms) => [0, 1, 2].map((k) => `${edge}/v1/videos/${ready}/v240/s${ms}/${k * 30720}.m4s`)),
      ...[0, 1, 2, 3].map((s) => `${edge}/v1/videos/${ready}/hls/master.m3u8?start=${s}`),
      `${edge}/v1/videos/${ready}/dash/manifest.mpd`,
    ]);
    const stop = sleep(8000);
    const running = load(urls, 8, stop);
    await sleep(2500);
    process.kill(-(cluster.child('origin-1')?.pid as number), 'SIGKILL');
    const result = await running;
    await cluster.restart('origin-1');
    figure(`origin killed under load: ${result.failures.length} failed of ${result.requests} requests through the edges`);
    expect(result.failures).toEqual([]);
  });

  it('an origin killed in the middle of a large transfer: aborted or correct bytes, nothing partial cached', async () => {
    const id = await upload(origins[0] as string, editor, 4);
    await waitStatus(origins, id, editor, 'ready', 90_000);
    // a 100 MB rendition (its real fragments, then padding the index counts as the file)
    const index = parseMediaIndex(await store.readAll(`videos/${id}/index.json`));
    const track = index.tracks.find((t) => t.type === 'video') as (typeof index.tracks)[number];
    const original = await store.readAll(`videos/${id}/${track.file}`);
    const big = Buffer.concat([original, Buffer.alloc(100 * 1024 * 1024 - original.length, 7)]);
    await store.put(`videos/${id}/${track.file}`, big);
    track.fileSize = big.length;
    await store.put(`videos/${id}/index.json`, serializeMediaIndex(index));
    const url = `${edges[0]}/v1/videos/${id}/${track.id}/file.mp4`;
    const res = await fetch(url);
    const reader = res.body?.getReader();
    const first = await reader?.read(); // a first chunk, then the client stalls (back-pressure)
    expect(first?.done).toBe(false);
    for (const name of ['origin-1', 'origin-2']) process.kill(-(cluster.child(name)?.pid as number), 'SIGKILL');
    const got: Buffer[] = [Buffer.from(first?.value ?? [])];
    let aborted = false;
    try {
      for (;;) {
        const { done, value } = (await reader?.read()) ?? { done: true, value: undefined };
        if (done) break;
        got.push(Buffer.from(value));
      }
    } catch {
      aborted = true;
    } finally {
      await cluster.restart('origin-1');
      await cluster.restart('origin-2');
    }
    const bytes = Buffer.concat(got);
    if (!aborted) expect(createHash('sha1').update(bytes).digest('hex')).toBe(createHash('sha1').update(big).digest('hex'));
    figure(
      `origin killed mid-transfer: client ${aborted ? `saw an aborted transfer after ${bytes.length} bytes` : 'got every byte, correct'}`,
    );
    await cluster.restart('origin-1');
    await cluster.restart('origin-2');
    const again = Buffer.from(await (await fetch(url)).arrayBuffer());
    expect(createHash('sha1').update(again).digest('hex')).toBe(createHash('sha1').update(big).digest('hex'));
  });

  it('the S3 server stopped: cached segments keep playing, misses answer 503 (not 500, not a hang), recovery without restart', async () => {
    const cached = `${edges[0]}/v1/videos/${ready}/v240/s4000/0.m4s`;
    await (await fetch(cached)).arrayBuffer();
    await sleep(1100); // outside the purge grace of the last invalidation
    await (await fetch(cached)).arrayBuffer();
    expect((await fetch(cached)).headers.get('x-cache')).toBe('HIT');
    const s3 = cluster.child('s3');
    process.kill(-(s3?.pid as number), 'SIGKILL');
    await sleep(500);
    const hit = await fetch(cached);
    expect(hit.status).toBe(200);
    await hit.arrayBuffer();
    const miss = `${origins[0]}/v1/videos/${ready}/v240/s7000/61440.m4s`;
    const started = Date.now();
    const res = await fetch(miss, { signal: AbortSignal.timeout(30_000) }).finally(() => cluster.restart('s3'));
    figure(`S3 stopped: a miss answered ${res.status} in ${Date.now() - started} ms; cached segments kept playing`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBeTruthy();
    let back = 0;
    for (let i = 0; i < 60 && back !== 200; i++) {
      back = (await fetch(miss)).status;
      if (back !== 200) await sleep(500);
    }
    expect(back).toBe(200);
  });

  it('Redis stopped for 10 s under load: origins keep serving from memory and storage, readiness says degraded, the cache comes back', async () => {
    const urls = [
      ...edges.map((e) => `${e}/v1/videos/${ready}/hls/master.m3u8`),
      ...origins.flatMap((o) => [`${o}/v1/videos/${ready}`, `${o}/v1/videos?limit=5`, `${o}/v1/videos/${ready}/hls/v240.m3u8?segment=3`]),
      ...origins.map((o) => `${o}/v1/videos/${ready}/dash/manifest.mpd?start=2`),
    ];
    const stop = sleep(15_000);
    const running = load(urls, 6, stop);
    await sleep(2000);
    await engines.stopRedis();
    await sleep(3000);
    const readiness = await Promise.all(origins.map(async (o) => (await fetch(`${o}/readyz`)).json() as Promise<{ status: string }>));
    await sleep(7000);
    await engines.startRedis();
    const result = await running;
    const serverErrors = result.failures.filter((f) => typeof f.status !== 'number' || f.status >= 500);
    figure(
      `Redis down 10 s under load: ${serverErrors.length} server errors of ${result.requests} requests; readiness ${readiness.map((r) => r.status).join(', ')}`,
    );
    expect(serverErrors).toEqual([]);
    expect(readiness.map((r) => r.status)).toEqual(['degraded', 'degraded']);
    let back = false;
    for (let i = 0; i < 40 && !back; i++) {
      const r = (await (await fetch(`${origins[0]}/readyz`)).json()) as { checks: Record<string, { ok: boolean }> };
      back = r.checks['cache:tiered']?.ok === true && r.checks['rate-limiter:redis']?.ok === true;
      if (!back) await sleep(500);
    }
    expect(back, 'the shared cache is used again').toBe(true);
  });

  it('PostgreSQL restarted: the API answers 503 with Retry-After meanwhile, nothing is lost, no process restart', async () => {
    const before = (
      (await (await fetch(`${origins[0]}/v1/videos?limit=50`, { headers: { authorization: `Bearer ${admin}` } })).json()) as {
        items: unknown[];
      }
    ).items.length;
    await engines.postgres('stop');
    let during: Response | null = null;
    for (let i = 0; i < 20; i++) {
      during = await fetch(`${origins[0]}/v1/videos?limit=50`, { signal: AbortSignal.timeout(10_000) });
      if (during.status === 503) break;
      await sleep(250);
    }
    expect(during?.status).toBe(503);
    expect(during?.headers.get('retry-after')).toBeTruthy();
    await engines.postgres('start');
    const started = Date.now();
    let after = 0;
    let items = 0;
    for (let i = 0; i < 120 && after !== 200; i++) {
      const res = await fetch(`${origins[0]}/v1/videos?limit=50`, { headers: { authorization: `Bearer ${admin}` } });
      after = res.status;
      if (after === 200) items = ((await res.json()) as { items: unknown[] }).items.length;
      else await sleep(500);
    }
    figure(`PostgreSQL restarted: 503 during the outage, back ${((Date.now() - started) / 1000).toFixed(1)} s after it returned`);
    expect(after).toBe(200);
    expect(items).toBe(before);
  });

  it('NATS restarted: queued jobs survive, subscriptions reconnect, a video made private meanwhile closes everywhere', async () => {
    const secret = await upload(origins[0] as string, editor, 4);
    await waitStatus(origins, secret, editor, 'ready', 90_000);
    const paths = [`/v1/videos/${secret}/v240/s4000/0.m4s`, `/v1/videos/${secret}/hls/master.m3u8`];
    for (const base of [...origins, ...edges]) for (const p of paths) await (await fetch(`${base}${p}`)).arrayBuffer();
    const queued = await upload(origins[1] as string, editor, 6);
    await engines.stopNats();
    const patched = await fetch(`${origins[0]}/v1/videos/${secret}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${editor}`, 'content-type': 'application/json' },
      body: JSON.stringify({ visibility: 'private' }),
    });
    expect(patched.status).toBe(200);
    // the origin that took the change applies it at once, bus or not
    expect((await fetch(`${origins[0]}${paths[0]}`)).status).toBe(401);
    await sleep(3000);
    await engines.startNats();
    const back = Date.now();
    let open: string[] = [];
    for (let i = 0; i < 120; i++) {
      open = [];
      for (const base of [...origins, ...edges])
        for (const p of paths) {
          const r = await fetch(`${base}${p}`);
          await r.arrayBuffer();
          if (r.status === 200) open.push(`${base}${p}`);
        }
      if (open.length === 0) break;
      await sleep(250);
    }
    const closedIn = (Date.now() - back) / 1000;
    figure(
      `NATS restarted: the video made private during the outage closed on every origin and edge ${closedIn.toFixed(1)} s after NATS returned`,
    );
    expect(open).toEqual([]);
    expect(closedIn).toBeLessThan(30);
    await waitStatus(origins, queued, editor, 'ready', 150_000);
    figure(
      `NATS restarted: the job queued before the outage became ready ${((Date.now() - back) / 1000).toFixed(1)} s after NATS returned`,
    );
  });
});
