// The edge in front of a real origin serving a real encoded video.
import { loadDevKeys, signPlaybackToken } from '@vought/auth';
import { skipUnlessFfmpeg } from '@vought/media/test/ffmpeg-fixtures';
import { createLogger } from '@vought/observability';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeReadyVideo, startTestOrigin, type TestOrigin } from '../../origin/test/harness.ts';
import { cacheKey, freshness } from '../src/cache-policy.ts';
import { type RunningEdge, startEdge } from '../src/edge-service.ts';

const hasFfmpeg = !(await skipUnlessFfmpeg('edge tests'));

/** Requests the origin answered for segments, from its own metrics: counted at origin. */
async function originSegmentRequests(t: TestOrigin): Promise<number> {
  const text = await (await fetch(`${t.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('http_request_duration_seconds_count') && l.includes('/:plan/:time.m4s'))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

describe('cache policy', () => {
  it('reads s-maxage before max-age and never stores private or no-store', () => {
    expect(freshness(200, 'public, max-age=31536000, immutable')).toMatchObject({ storable: true, ttl: 31536000, immutable: true });
    expect(freshness(200, 'public, max-age=30, s-maxage=300, stale-while-revalidate=600')).toMatchObject({
      ttl: 300,
      staleWhileRevalidate: 600,
    });
    expect(freshness(200, 'private, max-age=3600').storable).toBe(false);
    expect(freshness(200, 'no-store').storable).toBe(false);
    expect(freshness(500, 'max-age=60').storable).toBe(false);
  });

  it('keys by path and the parameters that change the response, without the playback token', () => {
    expect(cacheKey(new URL('http://e/v1/videos/a/hls/master.m3u8?token=abc&start=2'))).toBe('/v1/videos/a/hls/master.m3u8?start=2');
    expect(cacheKey(new URL('http://e/v1/videos/a/dash/manifest.mpd?min_height=2&max_height=9&utm=x'))).toBe(
      '/v1/videos/a/dash/manifest.mpd?max_height=9&min_height=2',
    );
    // objects keep no parameter at all (cache busting never reaches the origin); the API is never cached
    expect(cacheKey(new URL('http://e/v1/videos/a/v1/s4000/0.m4s?bust=1'))).toBe('/v1/videos/a/v1/s4000/0.m4s');
    expect(cacheKey(new URL('http://e/v1/videos?owner=me'))).toBeNull();
    expect(cacheKey(new URL('http://e/v1/videos/a/events'))).toBeNull();
  });
});

describe.skipIf(!hasFfmpeg)('edge in front of a real origin', { timeout: 120_000 }, () => {
  let t: TestOrigin;
  let edge: RunningEdge;
  let id: string;

  beforeAll(async () => {
    t = await startTestOrigin();
    id = await makeReadyVideo(t, { seconds: 8 });
    edge = await startEdge(t.config, {
      logger: createLogger({ service: 'edge-test', level: 'silent' }),
      bus: t.adapters.bus,
      port: 0,
      upstreams: [t.url],
    });
  }, 120_000);
  afterAll(async () => {
    await edge?.stop();
    await t?.close();
  });

  it('coalesces 500 concurrent requests for one cold segment into exactly one origin request', async () => {
    const before = await originSegmentRequests(t);
    const url = `${edge.url}/v1/videos/${id}/v240/s4000/61440.m4s`;
    const responses = await Promise.all(Array.from({ length: 500 }, () => fetch(url)));
    const bodies = await Promise.all(responses.map((r) => r.arrayBuffer()));
    expect(new Set(bodies.map((b) => b.byteLength)).size).toBe(1);
    expect(responses.every((r) => r.status === 200)).toBe(true);
    const labels = responses.map((r) => r.headers.get('x-cache'));
    expect(labels.filter((l) => l === 'MISS')).toHaveLength(1);
    expect(labels.every((l) => l === 'MISS' || l === 'COALESCED' || l === 'HIT')).toBe(true);
    expect((await originSegmentRequests(t)) - before).toBe(1);
  });

  it('serves hits with Age, ranges from the cached object, and 304 on a matching ETag', async () => {
    const url = `${edge.url}/v1/videos/${id}/v240/s4000/0.m4s`;
    const miss = await fetch(url);
    const body = Buffer.from(await miss.arrayBuffer());
    expect(miss.headers.get('x-cache')).toBe('MISS');
    const hit = await fetch(url);
    expect(hit.headers.get('x-cache')).toBe('HIT');
    expect(hit.headers.get('age')).toMatch(/^\d+$/);
    expect(Buffer.from(await hit.arrayBuffer())).toEqual(body);
    const before = await originSegmentRequests(t);
    const range = await fetch(url, { headers: { range: 'bytes=100-199' } });
    expect(range.status).toBe(206);
    expect(range.headers.get('content-range')).toBe(`bytes 100-199/${body.length}`);
    expect(Buffer.from(await range.arrayBuffer())).toEqual(body.subarray(100, 200));
    expect((await fetch(url, { headers: { 'if-none-match': hit.headers.get('etag') as string } })).status).toBe(304);
    expect(await originSegmentRequests(t)).toBe(before);
  });

  it('caches encrypted segments by path like clear ones, never keeps a manifest carrying a token, and passes keys and licences through', async () => {
    const keys = await loadDevKeys(t.config.auth.keyDir);
    const { token } = await signPlaybackToken(keys, { videoId: id, ttlSeconds: 300 });
    const url = `${edge.url}/v1/videos/${id}/v240/cenc-k0/s4000/0.m4s`;
    const miss = await fetch(`${url}?bust=1`);
    expect(miss.headers.get('x-cache')).toBe('MISS');
    const body = Buffer.from(await miss.arrayBuffer());
    const before = await originSegmentRequests(t);
    const hit = await fetch(url);
    expect(hit.headers.get('x-cache')).toBe('HIT');
    expect(Buffer.from(await hit.arrayBuffer()).equals(body)).toBe(true);
    expect(body.equals(Buffer.from(await (await fetch(`${t.url}/v1/videos/${id}/v240/cenc-k0/s4000/0.m4s`)).arrayBuffer()))).toBe(true);
    expect(await originSegmentRequests(t)).toBe(before + 1); // the direct fetch above, not the hit
    // the same segment in another scheme is another object
    expect((await fetch(`${edge.url}/v1/videos/${id}/v240/cbcs-k0/s4000/0.m4s`)).headers.get('x-cache')).toBe('MISS');
    // a manifest whose key URIs carry the asker's token is never stored for the next asker
    const manifest = `${edge.url}/v1/videos/${id}/dash/manifest.mpd?encryption=cenc&token=${token}`;
    for (let i = 0; i < 2; i++) {
      const res = await fetch(manifest);
      expect(res.headers.get('x-cache')).not.toBe('HIT');
      expect(await res.text()).toContain(`token=${token}`);
    }
    const anonymous = await (await fetch(`${edge.url}/v1/videos/${id}/dash/manifest.mpd?encryption=cenc`)).text();
    expect(anonymous).not.toContain(token);
    // keys: through to the origin every time, no-store, and refused without the token
    for (let i = 0; i < 2; i++) {
      const key = await fetch(`${edge.url}/v1/videos/${id}/keys/k0?token=${token}`);
      expect(key.status).toBe(200);
      expect(key.headers.get('x-cache')).toBe('PASS');
      expect(key.headers.get('cache-control')).toBe('no-store');
    }
    expect((await fetch(`${edge.url}/v1/videos/${id}/keys/k0`)).status).toBe(401);
    const kid = /cenc:default_KID="([0-9a-f-]{36})"/.exec(anonymous)?.[1]?.replace(/-/g, '') as string;
    const licence = await fetch(`${edge.url}/v1/videos/${id}/keys/clearkey?token=${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kids: [Buffer.from(kid, 'hex').toString('base64url')] }),
    });
    expect(licence.status).toBe(200);
    expect(licence.headers.get('x-cache')).toBe('PASS');
    expect(((await licence.json()) as { keys: unknown[] }).keys).toHaveLength(1);
  });

  it('fills the whole object once on a range miss', async () => {
    const url = `${edge.url}/v1/videos/${id}/a-und/s4000/0.m4s`;
    const before = await originSegmentRequests(t);
    const range = await fetch(url, { headers: { range: 'bytes=0-7' } });
    expect(range.status).toBe(206);
    expect(
      Buffer.from(await range.arrayBuffer())
        .subarray(4, 8)
        .toString(),
    ).toBe('moof');
    expect((await fetch(url)).headers.get('x-cache')).toBe('HIT');
    expect((await originSegmentRequests(t)) - before).toBe(1);
  });

  it('drops a video on a bus invalidation, and on an authenticated PURGE (soft purge marks stale)', async () => {
    const url = `${edge.url}/v1/videos/${id}/hls/master.m3u8`;
    await fetch(url);
    expect((await fetch(url)).headers.get('x-cache')).toBe('HIT');
    await t.adapters.bus.publish('cdn.invalidate', { type: 'invalidate', version: 1, keys: [`video-${id}`] });
    await new Promise((r) => setTimeout(r, 50));
    expect((await fetch(url)).headers.get('x-cache')).toBe('MISS');
    // fills within the purge grace (1 s) are served, not kept: origins may not have applied it yet
    expect((await fetch(url)).headers.get('x-cache')).toBe('MISS');
    await new Promise((r) => setTimeout(r, 1100));
    expect((await fetch(url)).headers.get('x-cache')).toBe('MISS');
    expect((await fetch(url)).headers.get('x-cache')).toBe('HIT');
    expect((await fetch(url, { method: 'PURGE' })).status).toBe(401);
    expect((await fetch(url, { method: 'PURGE', headers: { authorization: `Bearer ${await t.token('editor')}` } })).status).toBe(403);
    const admin = await t.token('admin');
    const soft = await fetch(url, { method: 'PURGE', headers: { authorization: `Bearer ${admin}`, 'soft-purge': '1' } });
    expect(await soft.json()).toEqual({ purged: 1, soft: true });
    expect((await fetch(url)).headers.get('x-cache')).toBe('STALE');
    await new Promise((r) => setTimeout(r, 100)); // the background refresh ends (and is not kept: purged just now)
    const hard = await fetch(`${edge.url}/`, {
      method: 'PURGE',
      headers: { authorization: `Bearer ${admin}`, 'surrogate-key': `video-${id}` },
    });
    expect(((await hard.json()) as { purged: number }).purged).toBeGreaterThan(0);
    expect((await fetch(url)).headers.get('x-cache')).toBe('MISS');
  });

  it('answers 502 with Retry-After when no upstream answers', async () => {
    const lonely = await startEdge(t.config, {
      logger: createLogger({ service: 'edge-test', level: 'silent' }),
      port: 0,
      upstreams: ['http://127.0.0.1:1'],
    });
    const res = await fetch(`${lonely.url}/v1/videos/x/hls/master.m3u8`);
    expect(res.status).toBe(502);
    expect(res.headers.get('retry-after')).toBe('5');
    await lonely.stop();
  });
});

describe.skipIf(!hasFfmpeg)('edge and private videos', { timeout: 120_000 }, () => {
  it('keeps private objects but never hands one out without a valid playback token, checked at the edge with the JWKS', async () => {
    const { loadDevKeys, signPlaybackToken } = await import('@vought/auth');
    const t = await startTestOrigin();
    const edge = await startEdge(t.config, {
      logger: createLogger({ service: 'edge-test', level: 'silent' }),
      port: 0,
      upstreams: [t.url],
    });
    try {
      const id = await makeReadyVideo(t, { seconds: 4, visibility: 'private' });
      const keys = await loadDevKeys(t.config.auth.keyDir);
      const { token } = await signPlaybackToken(keys, { videoId: id, ttlSeconds: 300 });
      const other = await signPlaybackToken(keys, { videoId: 'someone-else', ttlSeconds: 300 });
      const url = `${edge.url}/v1/videos/${id}/v240/s4000/0.m4s`;
      const first = await fetch(`${url}?token=${token}`);
      expect(first.status).toBe(200);
      expect(first.headers.get('x-cache')).toBe('MISS');
      const before = await originSegmentRequests(t);
      const second = await fetch(`${url}?token=${token}`);
      expect(second.headers.get('x-cache')).toBe('HIT');
      expect((await fetch(url)).status).toBe(401);
      expect((await fetch(`${url}?token=${other.token}`)).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      expect(await originSegmentRequests(t)).toBe(before); // refused and served at the edge alone
      // manifests of private videos carry tokens in their URLs: never cached at the edge
      const manifest = `${edge.url}/v1/videos/${id}/hls/master.m3u8?token=${token}`;
      await fetch(manifest);
      expect((await fetch(manifest)).headers.get('x-cache')).toBe('MISS');
    } finally {
      await edge.stop();
      await t.close();
    }
  });
});

describe.skipIf(!hasFfmpeg)('edges chained through a shield', { timeout: 120_000 }, () => {
  it('collapses traffic from several edges into one origin request through a shield edge', async () => {
    const t = await startTestOrigin();
    const log = createLogger({ service: 'edge-test', level: 'silent' });
    const shield = await startEdge(t.config, { logger: log, port: 0, upstreams: [t.url] });
    const edges = await Promise.all([0, 1, 2].map(() => startEdge(t.config, { logger: log, port: 0, upstreams: [shield.url] })));
    try {
      const id = await makeReadyVideo(t, { seconds: 4 });
      const path = `/v1/videos/${id}/v240/s4000/0.m4s`;
      const before = await originSegmentRequests(t);
      const responses = await Promise.all(edges.flatMap((e) => Array.from({ length: 50 }, () => fetch(`${e.url}${path}`))));
      const sizes = new Set(await Promise.all(responses.map(async (r) => (await r.arrayBuffer()).byteLength)));
      expect(responses.every((r) => r.status === 200)).toBe(true);
      expect(sizes.size).toBe(1);
      expect((await originSegmentRequests(t)) - before).toBe(1);
      expect(shield.cache.objects.has(path)).toBe(true);
    } finally {
      for (const e of edges) await e.stop();
      await shield.stop();
      await t.close();
    }
  });
});

describe.skipIf(!hasFfmpeg)('disk tier', { timeout: 120_000 }, () => {
  it('moves objects evicted from memory to disk, serves them back without the origin, and purges them', async () => {
    const os = await import('node:os');
    const fsp = await import('node:fs/promises');
    const pathMod = await import('node:path');
    const t = await startTestOrigin();
    const dir = await fsp.mkdtemp(pathMod.join(os.tmpdir(), 'vought-edge-disk-'));
    const id = await makeReadyVideo(t, { seconds: 8 });
    const first = await fetch(`${t.url}/v1/videos/${id}/v240/s4000/0.m4s`);
    const size = (await first.arrayBuffer()).byteLength;
    // memory for one segment only: the second evicts the first to disk
    const edge = await startEdge(t.config, {
      logger: createLogger({ service: 'edge-test', level: 'silent' }),
      port: 0,
      upstreams: [t.url],
      cacheBytes: Math.round(size * 1.5),
      diskDir: dir,
      diskBytes: 50 * 1024 * 1024,
    });
    try {
      const a = `${edge.url}/v1/videos/${id}/v240/s4000/0.m4s`;
      const b = `${edge.url}/v1/videos/${id}/v240/s4000/61440.m4s`;
      const bodyA = Buffer.from(await (await fetch(a)).arrayBuffer());
      await (await fetch(b)).arrayBuffer();
      expect(edge.cache.diskEntries).toBe(1);
      const before = await originSegmentRequests(t);
      const again = await fetch(a);
      expect(again.headers.get('x-cache')).toBe('HIT');
      expect(Buffer.from(await again.arrayBuffer())).toEqual(bodyA);
      expect(await originSegmentRequests(t)).toBe(before);
      // b went down to disk when a came back up; a purge by surrogate key empties both tiers
      edge.cache.purge([`video-${id}`]);
      expect(edge.cache.diskEntries).toBe(0);
      expect((await fetch(b)).headers.get('x-cache')).toBe('MISS');
    } finally {
      await edge.stop();
      await t.close();
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});
