// Regression tests for the origin's security findings (SECURITY.md): racing loads, token expiry,
// client addresses behind proxies, tus Location and completion, bounded memory, stream caps.
import { createHash, randomBytes } from 'node:crypto';
import { loadDevKeys, signPlaybackToken } from '@vought/auth';
import { MemoryCache } from '@vought/cache';
import type { Catalog } from '@vought/catalog';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryIndex } from '../src/delivery/delivery-index.ts';
import { VideoGenerations } from '../src/delivery/video-generations.ts';
import { hasTool, makeReadyVideo, startTestOrigin, type TestOrigin } from './harness.ts';

const ffmpeg = await hasTool('ffmpeg');
if (!ffmpeg && process.env.CI === 'true') throw new Error('ffmpeg is required for the origin tests in CI');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!ffmpeg)('delivery records and invalidations (finding 3)', { timeout: 120_000 }, () => {
  let t: TestOrigin;
  let id: string;
  beforeAll(async () => {
    t = await startTestOrigin();
    id = await makeReadyVideo(t, { seconds: 4 });
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  it('does not keep a load that an invalidation overtook, and later requests do not join it', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    const slow = new Proxy(t.adapters.catalog, {
      get(target, key, receiver) {
        if (key === 'findVideo')
          return async (videoId: string) => {
            calls++;
            const video = await target.findVideo(videoId);
            if (calls === 1) await gate; // the first load reads the old state, then stalls
            return video;
          };
        return Reflect.get(target, key, receiver);
      },
    }) as Catalog;
    const generations = new VideoGenerations();
    const index = new DeliveryIndex(slow, t.adapters.store, new MemoryCache({ maxBytes: 1 << 20 }), generations);
    const first = index.get(id);
    await sleep(20);
    generations.bump(id); // the video changed while the first load was reading
    const second = index.get(id); // must start its own load, not join the stale one
    expect(calls).toBe(2);
    release();
    expect((await first).video.id).toBe(id);
    const fresh = await second;
    expect(index.peek(id)).toBe(fresh);
    expect(index.isCurrent(await first)).toBe(false);
  });

  it('never answers a segment from the hot path after the video turned private', async () => {
    const url = `${t.url}/v1/videos/${id}/v240/s4000/0.m4s`;
    expect((await fetch(url)).status).toBe(200);
    expect((await fetch(url)).status).toBe(200); // now in the hot path
    const admin = await t.token('admin');
    const patch = (visibility: string) =>
      fetch(`${t.url}/v1/videos/${id}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ visibility }),
      });
    expect((await patch('private')).status).toBe(200);
    expect((await fetch(url)).status).toBe(401);
    expect((await patch('public')).status).toBe(200);
  });
});

describe.skipIf(!ffmpeg)('playback tokens expire when they say (finding 8)', { timeout: 120_000 }, () => {
  it('refuses a token after its exp even if it was verified a moment before', async () => {
    const t = await startTestOrigin();
    try {
      const id = await makeReadyVideo(t, { seconds: 4, visibility: 'private' });
      const { token, expiresAt } = await signPlaybackToken(await loadDevKeys(t.config.auth.keyDir), { videoId: id, ttlSeconds: 2 });
      const url = `${t.url}/v1/videos/${id}/v240/s4000/0.m4s?token=${token}`;
      expect((await fetch(url)).status).toBe(200);
      expect((await fetch(url)).status).toBe(200); // the verified answer is reused...
      // ...but not past exp (plus the 5 s clock tolerance of playback tokens)
      await sleep(Math.max(0, expiresAt * 1000 + 5_500 - Date.now()));
      const late = await fetch(url);
      expect(late.status).toBe(401);
      expect(((await late.json()) as { error: { code: string } }).error.code).toBe('auth.expired');
    } finally {
      await t.close();
    }
  });
});

describe('client addresses come through trusted proxies only (finding 8)', () => {
  it('keys rate limits on the forwarded client behind a trusted proxy, and ignores X-Forwarded-For from others', async () => {
    const behindProxy = await startTestOrigin({ VOUGHT_RATE_LIMIT: '5' });
    const direct = await startTestOrigin({ VOUGHT_RATE_LIMIT: '5', VOUGHT_TRUSTED_PROXIES: '10.0.0.0/8' });
    try {
      const hit = (base: string, from: string) => fetch(`${base}/v1/videos`, { headers: { 'x-forwarded-for': from } });
      // through a trusted proxy (loopback): one noisy client is limited, another is not
      for (let i = 0; i < 5; i++) expect((await hit(behindProxy.url, '203.0.113.7')).status).toBe(200);
      expect((await hit(behindProxy.url, '203.0.113.7')).status).toBe(429);
      expect((await hit(behindProxy.url, '203.0.113.8')).status).toBe(200);
      // a chain: the client wrote a fake first entry; the rightmost untrusted address counts
      expect((await hit(behindProxy.url, '198.51.100.1, 203.0.113.7')).status).toBe(429);
      // loopback is not a trusted proxy here: X-Forwarded-For cannot choose another bucket
      for (let i = 0; i < 5; i++) expect((await hit(direct.url, `203.0.113.${i}`)).status).toBe(200);
      expect((await hit(direct.url, '203.0.113.99')).status).toBe(429);
    } finally {
      await behindProxy.close();
      await direct.close();
    }
  });
});

/** A tus PATCH of a streamed chunk at offset 0 with an Upload-Checksum (no Content-Length). */
function checksummedPatch(url: string, token: string, sha1: string, body: ReadableStream<Uint8Array>): Promise<Response> {
  return fetch(url, {
    method: 'PATCH',
    headers: {
      authorization: `Bearer ${token}`,
      'tus-resumable': '1.0.0',
      'upload-offset': '0',
      'content-type': 'application/offset+octet-stream',
      'upload-checksum': `sha1 ${sha1}`,
    },
    body,
    duplex: 'half',
  } as RequestInit);
}

describe('tus uploads (findings 6 and 8)', { timeout: 120_000 }, () => {
  let t: TestOrigin;
  let editor: string;
  beforeAll(async () => {
    t = await startTestOrigin({ VOUGHT_PUBLIC_URL: 'https://videos.example.com' });
    editor = await t.token('editor');
  });
  afterAll(async () => {
    await t?.close();
  });

  async function newVideo(): Promise<string> {
    const res = await fetch(`${t.url}/v1/videos`, {
      method: 'POST',
      headers: { authorization: `Bearer ${editor}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'upload' }),
    });
    return ((await res.json()) as { id: string }).id;
  }

  async function createUpload(id: string, length: number, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${t.url}/v1/uploads`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${editor}`,
        'tus-resumable': '1.0.0',
        'upload-length': String(length),
        'upload-metadata': `video_id ${Buffer.from(id).toString('base64')}`,
        ...headers,
      },
    });
  }

  it('builds Location from VOUGHT_PUBLIC_URL, never from Host or X-Forwarded-Host', async () => {
    const id = await newVideo();
    const res = await createUpload(id, 100, { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'http', host: 'evil.example' });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toMatch(/^https:\/\/videos\.example\.com\/v1\/uploads\/[0-9a-f]{32}$/);
  });

  it('refuses to finish an upload for a video that got its source another way meanwhile, keeping that source', async () => {
    const { sourceFile } = await import('./harness.ts');
    const id = await newVideo();
    const tusBody = randomBytes(64 * 1024);
    const created = await createUpload(id, tusBody.length);
    const location = new URL(created.headers.get('location') as string).pathname;
    const patch = (from: number, bytes: Buffer) =>
      fetch(`${t.url}${location}`, {
        method: 'PATCH',
        headers: {
          authorization: `Bearer ${editor}`,
          'tus-resumable': '1.0.0',
          'upload-offset': String(from),
          'content-type': 'application/offset+octet-stream',
        },
        body: bytes,
      });
    expect((await patch(0, tusBody.subarray(0, 1000))).status).toBe(204);
    // meanwhile, the whole source arrives with one PUT
    const source = ffmpeg ? await sourceFile(2) : Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypisom'), randomBytes(2000)]);
    const put = await fetch(`${t.url}/v1/videos/${id}/source`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${editor}` },
      body: source,
    });
    expect(put.status).toBe(202);
    const finished = await patch(1000, tusBody.subarray(1000));
    expect(finished.status).toBe(409);
    const stored = await t.adapters.store.readAll(`videos/${id}/source`).catch(() => null);
    if (stored) expect(createHash('sha1').update(stored).digest('hex')).toBe(createHash('sha1').update(source).digest('hex'));
  });

  it('verifies a checksummed chunk as it streams: memory stays flat, a mismatch stores nothing', async () => {
    const size = 120 * 1024 * 1024;
    const id = await newVideo();
    const created = await createUpload(id, size);
    const location = new URL(created.headers.get('location') as string).pathname;
    const piece = randomBytes(1024 * 1024);
    const hash = createHash('sha1');
    for (let i = 0; i < size / piece.length; i++) hash.update(piece);
    const body = () =>
      new ReadableStream<Uint8Array>({
        start() {},
        pull(controller) {
          controller.enqueue(piece);
          sent += piece.length;
          if (sent >= size) controller.close();
        },
      });
    let sent = 0;
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    const send = (sum: string) => checksummedPatch(`${t.url}${location}`, editor, sum, body());
    try {
      sent = 0;
      const wrong = await send(createHash('sha1').update('not it').digest('base64'));
      expect(wrong.status).toBe(460);
      const head = await fetch(`${t.url}${location}`, {
        method: 'HEAD',
        headers: { authorization: `Bearer ${editor}`, 'tus-resumable': '1.0.0' },
      });
      expect(head.headers.get('upload-offset')).toBe('0');
      sent = 0;
      const right = await send(hash.digest('base64'));
      expect([204, 415]).toContain(right.status); // complete; random bytes are then refused as media
    } finally {
      clearInterval(sampler);
    }
    // the whole chunk is 120 MB: held in memory, RSS would grow by at least that
    expect(peak - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('refuses a checksummed chunk beyond the limit while it streams, without a Content-Length', async () => {
    const id = await newVideo();
    const created = await createUpload(id, 200 * 1024 * 1024);
    const location = new URL(created.headers.get('location') as string).pathname;
    const piece = randomBytes(1024 * 1024);
    let sent = 0;
    const res = await checksummedPatch(
      `${t.url}${location}`,
      editor,
      createHash('sha1').update('x').digest('base64'),
      new ReadableStream<Uint8Array>({
        pull(controller) {
          controller.enqueue(piece);
          sent += piece.length;
          if (sent >= 200 * 1024 * 1024) controller.close();
        },
      }),
    ).catch(() => null);
    if (res) expect(res.status).toBe(413);
  });
});

describe.skipIf(!ffmpeg)('event streams are capped (finding 8)', { timeout: 120_000 }, () => {
  it('refuses the stream beyond the per-address cap with 429, and accepts again once one closes', async () => {
    const t = await startTestOrigin({ VOUGHT_RATE_LIMIT: '0' });
    const controllers: AbortController[] = [];
    try {
      const id = await makeReadyVideo(t, { seconds: 2 });
      const open = async () => {
        const c = new AbortController();
        controllers.push(c);
        return fetch(`${t.url}/v1/videos/${id}/events`, { signal: c.signal, headers: { 'x-forwarded-for': '203.0.113.50' } });
      };
      const streams = await Promise.all(Array.from({ length: 32 }, open));
      expect(streams.every((s) => s.status === 200)).toBe(true);
      const refused = await open();
      expect(refused.status).toBe(429);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('http.rate_limited');
      // another client is not affected
      const other = await fetch(`${t.url}/v1/videos/${id}/events`, {
        headers: { 'x-forwarded-for': '203.0.113.51' },
        signal: AbortSignal.timeout(2000),
      });
      expect(other.status).toBe(200);
      await other.body?.cancel();
      controllers[0]?.abort();
      await sleep(200);
      expect((await open()).status).toBe(200);
    } finally {
      for (const c of controllers) c.abort();
      await t.close();
    }
  });
});
