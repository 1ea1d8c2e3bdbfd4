import fs from 'node:fs/promises';
import * as fc from 'fast-check';
import { createFile } from 'mp4box';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferSource, indexTrack, MediaError, type VideoTrack } from '../src/index.ts';
import { hasFfmpeg, makeAudio, makeHevc, makeVideo, probePackets, tempDir } from './ffmpeg-fixtures.ts';

const ffmpeg = await hasFfmpeg();
if (!ffmpeg && process.env.CI === 'true') throw new Error('ffmpeg is required for the media tests in CI');

/** mp4box.js's idea of the codec string, as a cross-check. */
async function mp4boxCodec(bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const file = createFile();
    file.onReady = (info: { tracks: Array<{ codec: string }> }) => resolve(info.tracks[0]?.codec ?? '');
    file.onError = (e: unknown) => reject(e);
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer & { fileStart: number };
    ab.fileStart = 0;
    file.appendBuffer(ab);
    file.flush();
  });
}

describe.skipIf(!ffmpeg)('indexTrack on files made by ffmpeg', { timeout: 60_000 }, () => {
  let dir: string;
  let video: Buffer;
  let ntsc: Buffer;
  let hevc: Buffer | null;
  let audio: Buffer;
  let videoPath: string;

  beforeAll(async () => {
    dir = await tempDir();
    videoPath = await makeVideo(dir, 'v.mp4');
    video = await fs.readFile(videoPath);
    ntsc = await fs.readFile(await makeVideo(dir, 'ntsc.mp4', ['-g', '60', '-r', '30000/1001'], { rate: '30000/1001' }));
    audio = await fs.readFile(await makeAudio(dir, 'a.mp4', ['-metadata:s:a:0', 'language=fra']));
    hevc = await makeHevc(dir, 'h.mp4').then(
      (p) => fs.readFile(p),
      () => null,
    );
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('indexes H.264 with B-frames: fragments at every 2 s keyframe, durations and offsets exact', async () => {
    const track = (await indexTrack(bufferSource(video), { id: 'v240', file: 'v/240p.mp4' })) as VideoTrack;
    expect(track.type).toBe('video');
    expect(track.codec).toBe(await mp4boxCodec(video));
    expect(track.codec).toMatch(/^avc1\.4d[0-9a-f]{4}$/); // ultrafast gives Main profile
    expect(track).toMatchObject({ width: 320, height: 240, frameRate: { num: 30, den: 1 }, rotation: 0, sar: { h: 1, v: 1 } });
    const f = track.fragments;
    expect(f.time.length).toBe(3);
    expect(f.keyframe.every((k) => k === 1)).toBe(true);
    expect(f.time.map((t) => t / track.timescale)).toEqual([0, 2, 4]);
    expect(f.duration.reduce((a, b) => a + b, 0) / track.timescale).toBeCloseTo(6, 2);
    // fragments tile the file after the init segment, with no gap
    expect(f.offset[0]).toBe(track.init.size);
    for (let i = 1; i < f.time.length; i++) expect(f.offset[i]).toBe((f.offset[i - 1] ?? 0) + (f.size[i - 1] ?? 0));
    const end = (f.offset.at(-1) ?? 0) + (f.size.at(-1) ?? 0);
    // after the last fragment, only ffmpeg's mfra (random access index) remains
    expect(end === video.length || video.subarray(end + 4, end + 8).toString() === 'mfra').toBe(true);
    // every fragment begins with a moof and its first sample fits inside it
    for (let i = 0; i < f.time.length; i++) {
      expect(video.subarray((f.offset[i] ?? 0) + 4, (f.offset[i] ?? 0) + 8).toString()).toBe('moof');
      expect(f.iframeSize?.[i]).toBeGreaterThan(0);
      expect(f.iframeSize?.[i]).toBeLessThan(f.size[i] ?? 0);
    }
    // agrees with ffprobe's packets: keyframes at the fragment starts
    const packets = await probePackets(videoPath);
    const keyTimes = packets.filter((p) => p.flags.startsWith('K')).map((p) => p.pts);
    expect(keyTimes.length).toBe(3);
    expect(track.bandwidth.peak).toBeGreaterThanOrEqual(track.bandwidth.average);
    expect(track.bandwidth.average).toBeGreaterThan(0);
  });

  it('recognises 29.97 fps as 30000/1001', async () => {
    const track = (await indexTrack(bufferSource(ntsc), { id: 'v', file: 'v.mp4' })) as VideoTrack;
    expect(track.frameRate).toEqual({ num: 30000, den: 1001 });
  });

  it('indexes AAC audio with its language and a codec string equal to mp4box.js', async () => {
    const track = await indexTrack(bufferSource(audio), { id: 'a-fra', file: 'a/fra.mp4' });
    expect(track).toMatchObject({ type: 'audio', codec: 'mp4a.40.2', language: 'fra', channels: 2, sampleRate: 48000, timescale: 48000 });
    expect(await mp4boxCodec(audio)).toBe('mp4a.40.2');
    expect(track.fragments.time.length).toBeGreaterThanOrEqual(3);
    expect(track.duration / track.timescale).toBeCloseTo(6, 1);
  });

  it('writes HEVC codec strings as players expect (hvc1.1.6.L...)', async () => {
    if (!hevc) return; // this ffmpeg build has no libx265
    const track = await indexTrack(bufferSource(hevc), { id: 'h', file: 'h.mp4' });
    expect(track.codec).toMatch(/^hvc1\.1\.6\.L\d+(\.[0-9A-F]+)*$/);
    expect(track.codec).toBe(await mp4boxCodec(hevc));
  });

  it('reads through the source in chunks, never a whole mdat', async () => {
    let read = 0;
    let largest = 0;
    const source = {
      size: video.length,
      read: async (o: number, n: number) => {
        read += n;
        largest = Math.max(largest, n);
        return video.subarray(o, o + n);
      },
    };
    await indexTrack(source, { id: 'v', file: 'v.mp4' });
    expect(largest).toBeLessThanOrEqual(64 * 1024);
    expect(read).toBeLessThan(video.length); // the mdat payloads were never read in full
  });

  it('fails truncated files with media.truncated naming the box and offset', async () => {
    for (const cut of [100, Math.floor(video.length / 2), video.length - 3]) {
      const error = await indexTrack(bufferSource(video.subarray(0, cut)), { id: 'v', file: 'v.mp4' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MediaError);
      expect(['media.truncated', 'media.malformed']).toContain((error as MediaError).code);
      expect(typeof (error as MediaError).detail.offset).toBe('number');
    }
  });

  it('survives mutated and truncated real files: a MediaError or an index, never another error or a hang', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ at: fc.nat(video.length - 1), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 8 }),
        fc.nat(video.length),
        async (mutations, cut) => {
          const bytes = Buffer.from(video.subarray(0, Math.max(cut, 1)));
          for (const m of mutations) if (m.at < bytes.length) bytes[m.at] = m.value;
          try {
            await indexTrack(bufferSource(bytes), { id: 'v', file: 'v.mp4' });
          } catch (error) {
            if (!(error instanceof MediaError)) throw error;
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('hostile input', () => {
  const box = (type: string, payload: Uint8Array, size?: number) => {
    const out = Buffer.alloc(8 + payload.length);
    out.writeUInt32BE(size ?? out.length, 0);
    out.write(type, 4, 'latin1');
    out.set(payload, 8);
    return out;
  };

  it('refuses what is not ISO-BMFF, empty input and random bytes', async () => {
    for (const bytes of [
      Buffer.alloc(0),
      Buffer.from('hello world, not a video'),
      Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)),
    ]) {
      const error = await indexTrack(bufferSource(bytes), { id: 'v', file: 'v.mp4' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MediaError);
    }
  });

  it('refuses a box whose size lies beyond the file', async () => {
    const bytes = Buffer.concat([box('ftyp', Buffer.from('isom\0\0\0\0')), box('moov', Buffer.alloc(8), 1_000_000)]);
    const error = (await indexTrack(bufferSource(bytes), { id: 'v', file: 'v.mp4' }).catch((e: unknown) => e)) as MediaError;
    expect(error.code).toBe('media.truncated');
    expect(error.detail).toMatchObject({ box: 'moov', offset: 16 });
  });

  it('refuses a box smaller than its own header (a zero-progress loop)', async () => {
    const bytes = Buffer.concat([box('ftyp', Buffer.from('isom\0\0\0\0')), box('free', Buffer.alloc(0), 4)]);
    const error = (await indexTrack(bufferSource(bytes), { id: 'v', file: 'v.mp4' }).catch((e: unknown) => e)) as MediaError;
    expect(error.code).toBe('media.malformed');
  });
});
