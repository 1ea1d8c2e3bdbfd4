// The control API over real HTTP: auth, roles, videos, search, uploads (tus and PUT), OpenAPI.
import { createHash, randomBytes } from 'node:crypto';
import { loadDevKeys, signDevToken } from '@vought/auth';
import { type Invalidation, subjects, videoSurrogateKey } from '@vought/bus';
import { skipUnlessServer } from '@vought/observability/test/required-services';
import { SignJWT } from 'jose';
import * as tus from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createVideo, startTestOrigin, type TestOrigin } from './harness.ts';

const redisUp = !(await skipUnlessServer(6379, 'Redis', 'API tests on Redis'));
const pgUp = !(await skipUnlessServer(5432, 'PostgreSQL', 'API tests on PostgreSQL'));

/** A body that passes the content check (it starts like an MP4) followed by random bytes. */
function mp4Like(size: number): Buffer {
  const bytes = randomBytes(size);
  Buffer.from([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70, 0x69, 0x73, 0x6f, 0x6d]).copy(bytes, 0);
  return bytes;
}

describe('control API', { timeout: 120_000 }, () => {
  let t: TestOrigin;
  let editor: string;
  let other: string;
  let viewer: string;
  let admin: string;
  const json = (token: string | null, body?: unknown, method = 'POST') => ({
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

  beforeAll(async () => {
    t = await startTestOrigin();
    editor = await t.token('editor', 'alice');
    other = await t.token('editor', 'bob');
    viewer = await t.token('viewer', 'vera');
    admin = await t.token('admin', 'root');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses forged, expired, alg:none, wrong-audience and wrong-key tokens with 401 and a JSON reason', async () => {
    const keys = await loadDevKeys(t.config.auth.keyDir);
    const [h, , s] = editor.split('.');
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const claims = { roles: ['admin'], sub: 'mallory', iss: 'vought', aud: 'vought', exp: now + 600 };
    const bad = [
      `${h}.${b64(claims)}.${s}`,
      await new SignJWT({ roles: ['editor'] })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('vought')
        .setAudience('vought')
        .setSubject('a')
        .setExpirationTime(now - 600)
        .sign(keys.devSecret),
      `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`,
      await signDevToken(keys, { role: 'admin', issuer: 'vought', audience: 'elsewhere' }),
      await signDevToken({ ...keys, devSecret: randomBytes(32) }, { role: 'admin', issuer: 'vought', audience: 'vought' }),
    ];
    for (const token of bad) {
      const res = await fetch(`${t.url}/v1/videos`, json(token, { title: 'x' }));
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toMatch(/^auth\.(invalid|expired)$/);
    }
    expect((await fetch(`${t.url}/v1/videos`, json(null, { title: 'x' }))).status).toBe(401);
  });

  it('creates, reads, updates and deletes videos, with roles enforced (403 with the reason)', async () => {
    const created = await fetch(
      `${t.url}/v1/videos`,
      json(editor, { title: 'My trip', description: 'Alps in winter', tags: ['travel', 'snow'], visibility: 'unlisted' }),
    );
    expect(created.status).toBe(201);
    const video = (await created.json()) as { id: string; status: string; owner: string; upload: { tus: string; put: string } };
    expect(video).toMatchObject({
      status: 'waiting_upload',
      owner: 'alice',
      upload: { tus: '/v1/uploads', put: `/v1/videos/${video.id}/source` },
    });
    expect(created.headers.get('location')).toBe(`/v1/videos/${video.id}`);
    expect((await fetch(`${t.url}/v1/videos`, json(viewer, { title: 'nope' }))).status).toBe(403);
    const foreign = await fetch(`${t.url}/v1/videos/${video.id}`, json(other, { title: 'mine now' }, 'PATCH'));
    expect(foreign.status).toBe(403);
    expect(((await foreign.json()) as { error: { message: string } }).error.message).toContain('own');
    const patched = await fetch(`${t.url}/v1/videos/${video.id}`, json(editor, { title: 'My trip (2026)' }, 'PATCH'));
    expect(((await patched.json()) as { title: string }).title).toBe('My trip (2026)');
    expect((await fetch(`${t.url}/v1/videos/${video.id}`, json(admin, { tags: ['x'] }, 'PATCH'))).status).toBe(200);
    const badBody = await fetch(`${t.url}/v1/videos`, json(editor, { title: '', visibility: 'secret' }));
    expect(badBody.status).toBe(400);
    expect(((await badBody.json()) as { error: { parameter: string } }).error.parameter).toBeDefined();
    const unknownField = await fetch(`${t.url}/v1/videos`, json(editor, { title: 'x', owner: 'bob' }));
    expect(unknownField.status).toBe(400);
    expect((await fetch(`${t.url}/v1/videos/${video.id}`, json(other, undefined, 'DELETE'))).status).toBe(403);
    expect((await fetch(`${t.url}/v1/videos/${video.id}`, json(editor, undefined, 'DELETE'))).status).toBe(204);
    expect((await fetch(`${t.url}/v1/videos/${video.id}`)).status).toBe(404);
  });

  it('keeps a per-video encryption policy: set at creation, changed and removed by PATCH, each change invalidating the video', async () => {
    type Body = { id: string; encryption: unknown; error: { code: string; message: string; parameter: string } };
    const invalidated: string[] = [];
    const subscription = await t.adapters.bus.subscribe<Invalidation>(subjects.invalidate, (m) => void invalidated.push(...m.data.keys));
    try {
      const policy = { schemes: ['cbcs', 'aes-128'], rotationSegments: 6 };
      const created = await fetch(`${t.url}/v1/videos`, json(editor, { title: 'Encrypted', encryption: policy }));
      expect(created.status).toBe(201);
      const video = (await created.json()) as Body;
      expect(JSON.stringify(video.encryption)).toBe(JSON.stringify(policy));
      const read = async (id: string) => (await (await fetch(`${t.url}/v1/videos/${id}`)).json()) as Body;
      expect((await read(video.id)).encryption).toEqual(policy);
      const clear = (await (await fetch(`${t.url}/v1/videos`, json(editor, { title: 'Clear' }))).json()) as Body;
      expect(clear.encryption).toBeNull();
      expect((await read(clear.id)).encryption).toBeNull();
      const nulled = (await (await fetch(`${t.url}/v1/videos`, json(editor, { title: 'Clear', encryption: null }))).json()) as Body;
      expect(nulled.encryption).toBeNull();

      const key = videoSurrogateKey(video.id);
      const patch = (body: unknown, token = editor) => fetch(`${t.url}/v1/videos/${video.id}`, json(token, body, 'PATCH'));
      // Whoever may not update the video may not change its policy either.
      expect((await patch({ encryption: null }, other)).status).toBe(403);
      expect((await patch({ encryption: null }, viewer)).status).toBe(403);
      // A change of policy is published as an invalidation of the video, exactly once per change.
      const changes: Array<[unknown, unknown]> = [
        [{ schemes: ['cenc'] }, { schemes: ['cenc'] }],
        [
          { rotationSegments: 1_000_000, schemes: ['sample-aes', 'cenc'] },
          { schemes: ['sample-aes', 'cenc'], rotationSegments: 1_000_000 },
        ],
        [null, null],
        [
          { schemes: ['aes-128', 'sample-aes', 'cenc', 'cbcs'], rotationSegments: 1 },
          { schemes: ['aes-128', 'sample-aes', 'cenc', 'cbcs'], rotationSegments: 1 },
        ],
      ];
      for (const [encryption, expected] of changes) {
        const count = invalidated.filter((k) => k === key).length;
        const res = await patch({ encryption });
        expect(res.status, JSON.stringify(encryption)).toBe(200);
        expect(((await res.json()) as Body).encryption).toEqual(expected);
        expect((await read(video.id)).encryption).toEqual(expected);
        await vi.waitFor(() => expect(invalidated.filter((k) => k === key)).toHaveLength(count + 1));
      }
      // Neither the same policy again nor another field invalidates: the next change is the only one heard.
      const count = invalidated.filter((k) => k === key).length;
      expect((await patch({ encryption: { schemes: ['aes-128', 'sample-aes', 'cenc', 'cbcs'], rotationSegments: 1 } })).status).toBe(200);
      expect((await patch({ title: 'Encrypted still' })).status).toBe(200);
      expect((await patch({ encryption: { schemes: ['cbcs'] } })).status).toBe(200);
      await vi.waitFor(() => expect(invalidated.filter((k) => k === key)).toHaveLength(count + 1));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(invalidated.filter((k) => k === key)).toHaveLength(count + 1);

      // Invalid policies: 400 with the usual JSON error naming what is wrong; nothing is stored.
      const before = await read(video.id);
      const bad: Array<[unknown, RegExp]> = [
        [{ schemes: [] }, /^encryption\.schemes: .*at least one scheme/],
        [{ schemes: ['aes-256'] }, /^encryption\.schemes\.0: .*aes-128, sample-aes, cenc or cbcs/],
        [{ schemes: ['cenc', 'cbcs', 'cenc'] }, /^encryption\.schemes: .*must not repeat/],
        [{ schemes: ['cenc'], rotationSegments: 0 }, /^encryption\.rotationSegments: .*at least 1/],
        [{ schemes: ['cenc'], rotationSegments: 1.5 }, /^encryption\.rotationSegments: .*integer/],
        [{ schemes: ['cenc'], rotationSegments: '3' }, /^encryption\.rotationSegments: .*must be a number/],
        [{ schemes: ['cenc'], rotationSegments: 1_000_001 }, /^encryption\.rotationSegments: .*at most 1000000/],
        [{ schemes: ['cenc'], keyId: 'k1' }, /^encryption: .*keyId/],
        [{}, /^encryption\.schemes: /],
        ['cenc', /^encryption: /],
      ];
      for (const [encryption, message] of bad) {
        for (const res of [
          await fetch(`${t.url}/v1/videos`, json(editor, { title: 'refused', encryption })),
          await patch({ encryption, title: 'changed?' }),
        ]) {
          expect(res.status, JSON.stringify(encryption)).toBe(400);
          expect(res.headers.get('content-type')).toContain('application/json');
          const { error } = (await res.json()) as Body;
          expect(error.code).toBe('http.bad_request');
          expect(error.message, JSON.stringify(encryption)).toMatch(message);
          expect(error.parameter).toMatch(/^encryption/);
        }
      }
      expect(await read(video.id)).toEqual(before);

      // The OpenAPI document says what the policy means.
      const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as { components: { schemas: Record<string, unknown> } };
      for (const name of ['Video', 'CreateVideo', 'PatchVideo']) {
        const schema = doc.components.schemas[name] as { properties: Record<string, { description: string }> };
        expect(schema.properties.encryption, name).toMatchObject({
          type: ['object', 'null'],
          required: ['schemes'],
          additionalProperties: false,
          description: expect.stringContaining('Encryption policy: while set, delivery is only encrypted with one of these schemes'),
        });
      }
    } finally {
      await subscription.unsubscribe();
    }
  });

  it('hides unlisted and private videos from listings and private ones from other users', async () => {
    const tag = `t${randomBytes(3).toString('hex')}`;
    const ids: Record<string, string> = {};
    for (const visibility of ['public', 'unlisted', 'private']) {
      const res = await fetch(`${t.url}/v1/videos`, json(editor, { title: `${visibility} one`, tags: [tag], visibility }));
      ids[visibility] = ((await res.json()) as { id: string }).id;
    }
    const list = (await (await fetch(`${t.url}/v1/videos?tag=${tag}`)).json()) as { items: Array<{ id: string }> };
    expect(list.items.map((v) => v.id)).toEqual([ids.public]);
    const mine = (await (
      await fetch(`${t.url}/v1/videos?tag=${tag}&owner=me`, { headers: { authorization: `Bearer ${editor}` } })
    ).json()) as { items: unknown[] };
    expect(mine.items).toHaveLength(3);
    expect((await fetch(`${t.url}/v1/videos/${ids.unlisted}`)).status).toBe(200);
    expect((await fetch(`${t.url}/v1/videos/${ids.private}`)).status).toBe(404);
    expect((await fetch(`${t.url}/v1/videos/${ids.private}`, { headers: { authorization: `Bearer ${editor}` } })).status).toBe(200);
    expect((await fetch(`${t.url}/v1/videos?limit=500`)).status).toBe(400);
  });

  it('uploads in one PUT for scripts: content checked, size limited, then queued', async () => {
    const res = await fetch(`${t.url}/v1/videos`, json(editor, { title: 'put' }));
    const { id } = (await res.json()) as { id: string };
    const notVideo = await fetch(`${t.url}/v1/videos/${id}/source`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${editor}` },
      body: 'just some text, named video.mp4',
    });
    expect(notVideo.status).toBe(415);
    expect(await t.adapters.store.head(`videos/${id}/source`)).toBeNull();
    expect(
      (
        await fetch(`${t.url}/v1/videos/${id}/source`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${viewer}` },
          body: mp4Like(1000),
        })
      ).status,
    ).toBe(403);
    const body = mp4Like(200_000);
    const ok = await fetch(`${t.url}/v1/videos/${id}/source`, { method: 'PUT', headers: { authorization: `Bearer ${editor}` }, body });
    expect(ok.status).toBe(202);
    expect(await ok.json()).toMatchObject({ status: 'queued', size: body.length });
    expect(
      createHash('sha256')
        .update(await t.adapters.store.readAll(`videos/${id}/source`))
        .digest('hex'),
    ).toBe(createHash('sha256').update(body).digest('hex'));
    expect(
      (await fetch(`${t.url}/v1/videos/${id}/source`, { method: 'PUT', headers: { authorization: `Bearer ${editor}` }, body })).status,
    ).toBe(409);
  });

  it('serves an OpenAPI 3.1 document and a docs page', async () => {
    const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/videos', '/v1/videos/{id}', '/v1/videos/{id}/related', '/v1/videos/{id}/playback-tokens']),
    );
    expect(await (await fetch(`${t.url}/docs`)).text()).toContain('/openapi.json');
  });

  it('streams status events over Server-Sent Events', async () => {
    const res = await fetch(`${t.url}/v1/videos`, json(editor, { title: 'sse' }));
    const { id } = (await res.json()) as { id: string };
    const controller = new AbortController();
    const stream = await fetch(`${t.url}/v1/videos/${id}/events`, { signal: controller.signal });
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    const put = fetch(`${t.url}/v1/videos/${id}/source`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${editor}` },
      body: mp4Like(5000),
    });
    while (!text.includes('"status":"queued"')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
    }
    await put;
    controller.abort();
    expect(text).toContain('event: video.status');
    expect(text).toContain('"status":"waiting_upload"');
    expect(text).toContain('"status":"uploading"');
    expect(text).toContain('"status":"queued"');
  });
});

describe.skipIf(!redisUp)('resumable uploads across origin nodes (tus, Redis lock)', { timeout: 180_000 }, () => {
  it('uploads 50 MB in chunks, is cut off, resumes on a second origin from the server offset; the stored bytes hash equal', async () => {
    const env = { VOUGHT_REDIS_URL: 'redis://127.0.0.1:6379' };
    const a = await startTestOrigin(env);
    const b = await startTestOrigin(env, a.dataDir);
    try {
      const editor = await a.token('editor', 'alice');
      const created = await fetch(`${a.url}/v1/videos`, {
        method: 'POST',
        headers: { authorization: `Bearer ${editor}`, 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'big' }),
      });
      const { id } = (await created.json()) as { id: string };
      const file = mp4Like(50 * 1024 * 1024);
      let uploadUrl = '';
      // first node: stop after about 20 MB have gone up
      await new Promise<void>((resolve, reject) => {
        const upload = new tus.Upload(file, {
          endpoint: `${a.url}/v1/uploads`,
          chunkSize: 5 * 1024 * 1024,
          headers: { authorization: `Bearer ${editor}` },
          metadata: { video_id: id, filename: 'big.mp4' },
          retryDelays: [],
          onError: reject,
          onSuccess: () => reject(new Error('finished before it was cut off')),
          onChunkComplete: (_chunk, sent) => {
            uploadUrl = upload.url ?? '';
            if (sent >= 20 * 1024 * 1024) {
              void upload.abort().then(() => resolve());
            }
          },
        });
        upload.start();
      });
      expect(uploadUrl).toContain('/v1/uploads/');
      const head = await fetch(uploadUrl.replace(a.url, b.url), {
        method: 'HEAD',
        headers: { authorization: `Bearer ${editor}`, 'tus-resumable': '1.0.0' },
      });
      const offset = Number(head.headers.get('upload-offset'));
      expect(offset).toBeGreaterThanOrEqual(20 * 1024 * 1024);
      expect(offset).toBeLessThan(file.length);
      // second node: resume from the server's offset
      let resumedFrom = -1;
      await new Promise<void>((resolve, reject) => {
        const upload = new tus.Upload(file, {
          uploadUrl: uploadUrl.replace(a.url, b.url),
          chunkSize: 5 * 1024 * 1024,
          headers: { authorization: `Bearer ${editor}` },
          metadata: { video_id: id, filename: 'big.mp4' },
          retryDelays: [],
          onError: reject,
          onSuccess: () => resolve(),
          onProgress: (sent) => {
            if (resumedFrom < 0) resumedFrom = sent;
          },
        });
        upload.start();
      });
      expect(resumedFrom).toBeGreaterThanOrEqual(offset);
      const stored = await b.adapters.store.readAll(`videos/${id}/source`);
      expect(stored.length).toBe(file.length);
      expect(createHash('sha256').update(stored).digest('hex')).toBe(createHash('sha256').update(file).digest('hex'));
      expect((await b.adapters.catalog.getVideo(id)).status).toBe('queued');
      // a viewer may not even ask where an upload stands
      const viewer = await a.token('viewer');
      expect(
        (
          await fetch(`${a.url}/v1/uploads`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${viewer}`,
              'tus-resumable': '1.0.0',
              'upload-length': '10',
              'upload-metadata': `video_id ${Buffer.from(id).toString('base64')}`,
            },
          })
        ).status,
      ).toBe(403);
    } finally {
      await b.close();
      await a.close();
    }
  });

  it('verifies the tus checksum extension: a corrupted chunk is refused with 460 and nothing is stored', async () => {
    const t = await startTestOrigin();
    try {
      const editor = await t.token('editor', 'alice');
      const id = await createVideo(t, editor, { title: 'sum' });
      const body = mp4Like(1000);
      const create = await fetch(`${t.url}/v1/uploads`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${editor}`,
          'tus-resumable': '1.0.0',
          'upload-length': String(body.length),
          'upload-metadata': `video_id ${Buffer.from(id).toString('base64')}`,
        },
      });
      expect(create.status).toBe(201);
      // relative without VOUGHT_PUBLIC_URL (never built from Host): clients resolve it against the endpoint
      expect(create.headers.get('location')).toMatch(/^\/v1\/uploads\/[0-9a-f]{32}$/);
      const location = new URL(create.headers.get('location') as string, t.url).href;
      const wrong = createHash('sha1').update('something else').digest('base64');
      const patch = (sum: string) =>
        fetch(location, {
          method: 'PATCH',
          headers: {
            authorization: `Bearer ${editor}`,
            'tus-resumable': '1.0.0',
            'upload-offset': '0',
            'content-type': 'application/offset+octet-stream',
            'upload-checksum': `sha1 ${sum}`,
          },
          body,
        });
      expect((await patch(wrong)).status).toBe(460);
      const head = await fetch(location, { method: 'HEAD', headers: { authorization: `Bearer ${editor}`, 'tus-resumable': '1.0.0' } });
      expect(head.headers.get('upload-offset')).toBe('0');
      expect((await patch(createHash('sha1').update(body).digest('base64'))).status).toBe(204);
      const options = await fetch(`${t.url}/v1/uploads`, { method: 'OPTIONS', headers: { 'tus-resumable': '1.0.0' } });
      expect(options.headers.get('tus-extension')).toContain('checksum');
      expect(options.headers.get('tus-checksum-algorithm')).toContain('sha1');
    } finally {
      await t.close();
    }
  });
});

describe.skipIf(!pgUp)('search answers the same on SQLite and PostgreSQL', { timeout: 60_000 }, () => {
  it('through the API', async () => {
    const sqlite = await startTestOrigin();
    const postgres = await startTestOrigin({ VOUGHT_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' });
    try {
      const tag = `s${randomBytes(3).toString('hex')}`;
      const fixtures = [
        ['Big Buck Bunny', 'a giant rabbit', ['animation']],
        ['Sintel', 'a girl and her dragon', ['animation', 'fantasy']],
        ['Café culture', 'coffee in Paris', ['food']],
        ['How e-mail works', 'SMTP explained', ['networking']],
        ['Rabbit care', 'pet rabbits at home', ['animals']],
      ] as const;
      for (const t of [sqlite, postgres]) {
        const editor = await t.token('editor', 'alice');
        for (const [title, description, tags] of fixtures) {
          await fetch(`${t.url}/v1/videos`, {
            method: 'POST',
            headers: { authorization: `Bearer ${editor}`, 'content-type': 'application/json' },
            body: JSON.stringify({ title, description, tags: [...tags, tag] }),
          });
        }
      }
      for (const q of ['rabbit', 'rab', 'animation', 'cafe', 'café', 'e-mail', 'mail', 'dragon girl', 'nothing-here']) {
        const titles = async (t: TestOrigin) =>
          (
            (await (await fetch(`${t.url}/v1/videos?tag=${tag}&q=${encodeURIComponent(q)}`)).json()) as { items: Array<{ title: string }> }
          ).items
            .map((v) => v.title)
            .sort();
        const [a, b] = [await titles(sqlite), await titles(postgres)];
        expect(a, q).toEqual(b);
      }
      expect(((await (await fetch(`${sqlite.url}/v1/videos?tag=${tag}&q=rab`)).json()) as { items: unknown[] }).items).toHaveLength(2);
    } finally {
      await sqlite.close();
      await postgres.close();
    }
  });
});

describe('limits', () => {
  it('rate-limits per token and IP with 429 and Retry-After, and refuses large JSON bodies with 413', async () => {
    const t = await startTestOrigin({ VOUGHT_RATE_LIMIT: '5' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await fetch(`${t.url}/v1/videos`)).status);
      expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      const limited = await fetch(`${t.url}/v1/videos`);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('http.rate_limited');
      // delivery is not limited by the API's budget
      expect((await fetch(`${t.url}/v1/videos/none/hls/master.m3u8`)).status).toBe(404);
    } finally {
      await t.close();
    }
    const u = await startTestOrigin();
    try {
      const editor = await u.token('editor');
      const big = await fetch(`${u.url}/v1/videos`, {
        method: 'POST',
        headers: { authorization: `Bearer ${editor}`, 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'x', description: 'y'.repeat(100_000) }),
      });
      expect(big.status).toBe(413);
      expect(((await big.json()) as { error: { code: string } }).error.code).toBe('http.payload_too_large');
    } finally {
      await u.close();
    }
  });
});

describe('upload size limit', () => {
  it('answers 413 beyond VOUGHT_MAX_UPLOAD_BYTES for tus and for PUT, storing nothing', async () => {
    const t = await startTestOrigin({ VOUGHT_MAX_UPLOAD_BYTES: '4kb' });
    try {
      const editor = await t.token('editor', 'alice');
      const id = await createVideo(t, editor, { title: 'big' });
      const tusCreate = await fetch(`${t.url}/v1/uploads`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${editor}`,
          'tus-resumable': '1.0.0',
          'upload-length': String(8 * 1024),
          'upload-metadata': `video_id ${Buffer.from(id).toString('base64')}`,
        },
      });
      expect(tusCreate.status).toBe(413);
      const put = await fetch(`${t.url}/v1/videos/${id}/source`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${editor}` },
        body: mp4Like(8 * 1024),
      });
      expect(put.status).toBe(413);
      expect(((await put.json()) as { error: { code: string } }).error.code).toBe('http.payload_too_large');
      expect(await t.adapters.store.head(`videos/${id}/source`)).toBeNull();
      expect((await t.adapters.catalog.getVideo(id)).status).toBe('waiting_upload');
    } finally {
      await t.close();
    }
  });
});
