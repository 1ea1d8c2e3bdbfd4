// Regression tests for the edge's security findings (SECURITY.md, "The edge"), against a real
// origin, and against small hand-written upstreams where a fault must be exact.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadDevKeys, signPlaybackToken } from '@vought/auth';
import { skipUnlessFfmpeg } from '@vought/media/test/ffmpeg-fixtures';
import { createLogger } from '@vought/observability';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeReadyVideo, startTestOrigin, type TestOrigin } from '../../origin/test/harness.ts';
import { EdgeCache, InFlight, PURGE_GRACE_MS } from '../src/edge-cache.ts';
import { type RunningEdge, startEdge } from '../src/edge-service.ts';

const hasFfmpeg = !(await skipUnlessFfmpeg('edge tests'));

const logger = createLogger({ service: 'edge-test', level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A counter of the origin's own metrics, summed over the lines whose labels contain `match`. */
async function originCount(t: TestOrigin, name: string, match = ''): Promise<number> {
  const text = await (await fetch(`${t.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name) && l.includes(match))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

describe('purge log', () => {
  it('never stores a fill that started before a purge of its keys, nor within the grace after it', async () => {
    const cache = new EdgeCache(1024 * 1024);
    const before = new InFlight(cache.epoch);
    cache.purge(['video-a']);
    expect(cache.mayStore(['video-a'], before)).toBe(false);
    expect(cache.mayStore(['video-b'], before)).toBe(true);
    const during = new InFlight(cache.epoch); // started after the purge, inside the grace
    expect(cache.mayStore(['video-a'], during)).toBe(false);
    expect(cache.mayStore(['video-a'], { startSeq: cache.epoch, startedAt: Date.now() + PURGE_GRACE_MS + 1 })).toBe(true);
    const byUrl = new InFlight(cache.epoch);
    cache.purgeKey('/v1/videos/a/hls/master.m3u8');
    expect(cache.mayStore(['url:/v1/videos/a/hls/master.m3u8'], byUrl)).toBe(false);
  });

  it('lets the last client leaving abort a fill, but never a background refresh', () => {
    const fill = new InFlight(0);
    const a = fill.attach();
    const b = fill.attach();
    a();
    a(); // idempotent
    expect(fill.aborted).toBe(false);
    b();
    expect(fill.aborted).toBe(true);
    const refresh = new InFlight(0, true);
    refresh.attach()();
    expect(refresh.aborted).toBe(false);
  });
});

describe('client addresses through the edge (finding 8)', { timeout: 60_000 }, () => {
  it("rate-limits each client behind the edge on its own, never everyone on the edge's address", async () => {
    const t = await startTestOrigin({ VOUGHT_RATE_LIMIT: '10' });
    const edge = await startEdge(t.config, { logger, port: 0, upstreams: [t.url] });
    try {
      // clients reach the edge through a load balancer on loopback (trusted), which names them
      const as = (client: string, headers: Record<string, string> = {}) =>
        fetch(`${edge.url}/v1/videos`, { headers: { 'x-forwarded-for': client, ...headers } }).then((r) => r.status);
      const noisy: number[] = [];
      for (let i = 0; i < 14; i++) noisy.push(await as('203.0.113.66'));
      expect(noisy.filter((s) => s === 429).length).toBeGreaterThan(0);
      const owner = await t.token('editor', 'owner');
      expect(await as('198.51.100.7', { authorization: `Bearer ${owner}` })).toBe(200);
      expect(await as('198.51.100.8')).toBe(200);
    } finally {
      await edge.stop();
      await t.close();
    }
  });
});

describe.skipIf(!hasFfmpeg)('edge security against a real origin', { timeout: 120_000 }, () => {
  let t: TestOrigin;
  let edge: RunningEdge;
  let publicId: string;
  let privateId: string;
  let ownerToken: string;

  beforeAll(async () => {
    t = await startTestOrigin({ VOUGHT_RATE_LIMIT: '0' }); // these tests poll the API hard on purpose
    publicId = await makeReadyVideo(t, { seconds: 4 });
    privateId = await makeReadyVideo(t, { seconds: 4, visibility: 'private', owner: 'alice', title: 'alice private' });
    ownerToken = await t.token('editor', 'alice');
    edge = await startEdge(t.config, { logger, bus: t.adapters.bus, port: 0, upstreams: [t.url] });
  }, 120_000);
  afterAll(async () => {
    await edge?.stop();
    await t?.close();
  });

  it('never hands an authenticated API answer to another client (finding 2)', async () => {
    const url = `${edge.url}/v1/videos?owner=me`;
    const leaks: string[] = [];
    const ends = Date.now() + 1500;
    const owner = (async () => {
      while (Date.now() < ends) {
        const res = await fetch(url, { headers: { authorization: `Bearer ${ownerToken}` } });
        expect(((await res.json()) as { items: Array<{ id: string }> }).items.map((v) => v.id)).toContain(privateId);
      }
    })();
    const anonymous = Array.from({ length: 4 }, async () => {
      while (Date.now() < ends) {
        const res = await fetch(url);
        const text = await res.text();
        if (text.includes(privateId)) leaks.push(text);
        expect(res.headers.get('x-cache')).toBe('PASS');
      }
    });
    await Promise.all([owner, ...anonymous]);
    expect(leaks).toEqual([]);
  });

  it("passes event streams through one-to-one: nobody joins the owner's, and the origin's ends when the client leaves (finding 2)", async () => {
    const streamsOpen = () => originCount(t, 'api_event_streams');
    const before = await streamsOpen();
    const controller = new AbortController();
    const owner = await fetch(`${edge.url}/v1/videos/${privateId}/events`, {
      headers: { authorization: `Bearer ${ownerToken}` },
      signal: controller.signal,
    });
    expect(owner.status).toBe(200);
    const reader = owner.body?.getReader();
    const first = new TextDecoder().decode((await reader?.read())?.value);
    expect(first).toContain('video.status');
    // the same path, anonymous, while the owner's stream is open: the origin's own answer (404)
    const anonymous = await fetch(`${edge.url}/v1/videos/${privateId}/events`);
    expect(anonymous.status).toBe(404);
    await anonymous.arrayBuffer();
    expect(await streamsOpen()).toBe(before + 1);
    controller.abort();
    for (let i = 0; i < 50 && (await streamsOpen()) !== before; i++) await sleep(50);
    expect(await streamsOpen()).toBe(before);
  });

  it('stays available when many clients open and abandon streams with distinct query strings (finding 4)', async () => {
    const controllers = Array.from({ length: 130 }, () => new AbortController());
    await Promise.all(
      controllers.map((c, i) =>
        fetch(`${edge.url}/v1/videos/${publicId}/events?n=${i}`, { signal: c.signal, headers: { 'x-forwarded-for': `198.51.100.${i}` } })
          .then((r) => r.body?.getReader().read())
          .catch(() => undefined),
      ),
    );
    await sleep(200);
    for (const c of controllers) c.abort();
    await sleep(300);
    const started = Date.now();
    const miss = await fetch(`${edge.url}/v1/videos/${publicId}/v240/s4000/0.m4s?fresh=${Date.now()}`);
    expect(miss.status).toBe(200);
    await miss.arrayBuffer();
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await fetch(`${edge.url}/readyz`)).status).toBe(200);
  });

  it('never gives a GET the answer of a HEAD, and answers HEAD misses without a body fill (finding 7)', async () => {
    const url = `${edge.url}/v1/videos/${publicId}/a-und/s4000/0.m4s`;
    const [head, get] = await Promise.all([fetch(url, { method: 'HEAD' }), fetch(url)]);
    expect(head.status).toBe(200);
    expect(get.status).toBe(200);
    const body = Buffer.from(await get.arrayBuffer());
    expect(body.length).toBe(Number(head.headers.get('content-length')));
    expect(body.subarray(4, 8).toString()).toBe('moof');
  });

  it('forwards Range on an answer it cannot keep instead of hanging on it (finding 7)', async () => {
    const { token } = await signPlaybackToken(await loadDevKeys(t.config.auth.keyDir), { videoId: privateId, ttlSeconds: 300 });
    // a private manifest carries the token in its URLs: `private`, never kept at the edge
    const res = await fetch(`${edge.url}/v1/videos/${privateId}/hls/master.m3u8?token=${token}`, {
      headers: { range: 'bytes=0-6' },
      signal: AbortSignal.timeout(5000),
    });
    expect(res.status).toBe(206);
    expect(await res.text()).toBe('#EXTM3U');
  });

  it('forwards OPTIONS as OPTIONS and answers `bytes=-` like the origin (finding 7)', async () => {
    const options = await fetch(`${edge.url}/v1/uploads`, { method: 'OPTIONS', headers: { 'tus-resumable': '1.0.0' } });
    expect(options.headers.get('tus-version')).toContain('1.0.0');
    const url = `/v1/videos/${publicId}/v240/s4000/0.m4s`;
    const atOrigin = await fetch(`${t.url}${url}`, { headers: { range: 'bytes=-' } });
    await fetch(`${edge.url}${url}`).then((r) => r.arrayBuffer()); // cached at the edge
    await sleep(PURGE_GRACE_MS); // outside any purge grace of earlier tests
    await fetch(`${edge.url}${url}`).then((r) => r.arrayBuffer());
    const atEdge = await fetch(`${edge.url}${url}`, { headers: { range: 'bytes=-' } });
    expect(atEdge.status).toBe(atOrigin.status);
    expect(atEdge.status).toBe(200);
  });

  it('keys objects without unknown query parameters, so cache busting never reaches the origin (finding 8)', async () => {
    const path = `/v1/videos/${publicId}/v240/s2000/0.m4s`;
    const before = await originCount(t, 'http_request_duration_seconds_count', '/:plan/:time.m4s');
    const first = await fetch(`${edge.url}${path}?bust=1`);
    await first.arrayBuffer();
    const others = await Promise.all([2, 3, 4].map((n) => fetch(`${edge.url}${path}?bust=${n}`).then((r) => r.arrayBuffer())));
    expect(others.every((b) => b.byteLength > 0)).toBe(true);
    expect((await originCount(t, 'http_request_duration_seconds_count', '/:plan/:time.m4s')) - before).toBe(1);
  });

  it('checks playback tokens with the JWKS of another upstream when the first is down (cluster finding)', async () => {
    const { token } = await signPlaybackToken(await loadDevKeys(t.config.auth.keyDir), { videoId: privateId, ttlSeconds: 300 });
    const second = await startEdge(t.config, { logger, port: 0, upstreams: ['http://127.0.0.1:1', t.url] });
    try {
      const url = `${second.url}/v1/videos/${privateId}/v240/s4000/0.m4s`;
      expect((await fetch(`${url}?token=${token}`)).status).toBe(200);
      await sleep(PURGE_GRACE_MS);
      expect((await fetch(`${url}?token=${token}`)).status).toBe(200);
      const hit = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      expect(hit.headers.get('x-cache')).toBe('HIT');
      expect(hit.status).toBe(200);
      expect((await fetch(url)).status).toBe(401);
    } finally {
      await second.stop();
    }
  });
});

/** An upstream that sends a head and part of a body, then dies. */
function dyingUpstream(body: Buffer, cutAt: number): Promise<{ url: string; close: () => Promise<void>; requests: () => number }> {
  let n = 0;
  const server = http.createServer((req, res) => {
    n++;
    if (req.url === '/healthz') return res.end('ok');
    res.writeHead(200, {
      'content-type': 'video/mp4',
      'content-length': String(body.length),
      'cache-control': 'public, max-age=31536000, immutable',
    });
    res.write(body.subarray(0, cutAt), () => setTimeout(() => res.socket?.destroy(), 20));
  });
  return listen(server, () => n);
}

function healthyUpstream(body: Buffer): Promise<{ url: string; close: () => Promise<void>; requests: () => number }> {
  let n = 0;
  const server = http.createServer((_req, res) => {
    n++;
    res.writeHead(200, {
      'content-type': 'video/mp4',
      'content-length': String(body.length),
      'cache-control': 'public, max-age=31536000, immutable',
    });
    res.end(body);
  });
  return listen(server, () => n);
}

async function listen(server: http.Server, requests: () => number) {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('failover', () => {
  it('never splices two upstreams into one body: a transfer that fails after its head is aborted and not kept (cluster finding)', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024, 7);
    const dying = await dyingUpstream(body, 1024 * 1024);
    const healthy = await healthyUpstream(Buffer.alloc(body.length, 9));
    const { loadConfig } = await import('@vought/config');
    const config = loadConfig({ VOUGHT_HOST: '127.0.0.1', VOUGHT_LOG_LEVEL: 'silent', VOUGHT_DATA_DIR: '/tmp/vought-edge-failover' });
    const edge = await startEdge(config, { logger, port: 0, upstreams: [dying.url, healthy.url], cacheBytes: 64 * 1024 * 1024 });
    try {
      const path = '/v1/videos/abc/v1/file.mp4';
      const chunks: Buffer[] = [];
      let failed = false;
      try {
        const res = await fetch(`${edge.url}${path}`);
        for await (const chunk of res.body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
      } catch {
        failed = true; // the aborted transfer a client must see
      }
      const outcome = { failed, bytes: Buffer.concat(chunks) };
      // either an aborted transfer, or the right bytes: never 7s followed by 9s
      if (outcome.bytes.length === body.length) expect(new Set(outcome.bytes).size).toBe(1);
      else expect(outcome.failed).toBe(true);
      expect(outcome.bytes.includes(9) && outcome.bytes.includes(7)).toBe(false);
      expect(edge.cache.objects.has(path)).toBe(false);
      expect(healthy.requests()).toBe(0);
    } finally {
      await edge.stop();
      await dying.close();
      await healthy.close();
    }
  });
});
