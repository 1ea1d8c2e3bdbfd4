// Large delivery bodies stream from storage with back-pressure (issue "Delivery engine" §3): twenty
// clients reading a 200 MB file.mp4 at once raise the process's RSS by less than 100 MB.
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { parseMediaIndex, serializeMediaIndex } from '@vought/media';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasTool, makeReadyVideo, startTestOrigin, type TestOrigin } from './harness.ts';

const ffmpeg = await hasTool('ffmpeg');
if (!ffmpeg && process.env.CI === 'true') throw new Error('ffmpeg is required for the origin tests in CI');

const SIZE = 200 * 1024 * 1024;

describe.skipIf(!ffmpeg)('streaming large objects', { timeout: 240_000 }, () => {
  let t: TestOrigin;
  let url: string;

  beforeAll(async () => {
    t = await startTestOrigin();
    const id = await makeReadyVideo(t, { seconds: 4 });
    // make the 240p rendition a 200 MB file: its fragments, then padding the index counts as the file
    const { store } = t.adapters;
    const indexKey = `videos/${id}/index.json`;
    const index = parseMediaIndex(await store.readAll(indexKey));
    const track = index.tracks.find((x) => x.id === 'v240');
    if (!track) throw new Error('no v240 track');
    const key = `videos/${id}/${track.file}`;
    const original = await store.readAll(key);
    const scratch = path.join(t.dataDir, 'big.mp4');
    await fs.writeFile(scratch, original);
    const handle = await fs.open(scratch, 'r+');
    await handle.truncate(SIZE);
    await handle.close();
    await store.put(key, createReadStream(scratch));
    await fs.rm(scratch);
    track.fileSize = SIZE;
    await store.put(indexKey, serializeMediaIndex(index));
    url = `${t.url}/v1/videos/${id}/v240/file.mp4`;
  }, 180_000);
  afterAll(async () => {
    await t?.close();
  });

  it('serves twenty concurrent 200 MB reads with RSS growing by less than 100 MB', async () => {
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 25);
    try {
      const sizes = await Promise.all(
        Array.from({ length: 20 }, async () => {
          const res = await fetch(url);
          expect(res.status).toBe(200);
          expect(Number(res.headers.get('content-length'))).toBe(SIZE);
          let n = 0;
          for await (const chunk of Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>))
            n += (chunk as Buffer).length;
          return n;
        }),
      );
      expect(sizes.every((n) => n === SIZE)).toBe(true);
    } finally {
      clearInterval(sampler);
    }
    const grew = (peak - before) / 1024 / 1024;
    expect(grew, `RSS grew by ${grew.toFixed(0)} MB`).toBeLessThan(100);
  });

  it('answers a range of the large file without reading the rest', async () => {
    const res = await fetch(url, { headers: { range: `bytes=${SIZE - 100}-` } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes ${SIZE - 100}-${SIZE - 1}/${SIZE}`);
    expect((await res.arrayBuffer()).byteLength).toBe(100);
  });
});
