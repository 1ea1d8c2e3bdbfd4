// The encoder with real ffmpeg on small sources generated here.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { subjects, type VideoEvent } from '@vought/bus';
import type { MediaIndex, VideoTrack } from '@vought/media';
import { ffmpegFile, H264, picture, tone } from '@vought/media/test/ffmpeg-fixtures';
import { createLogger } from '@vought/observability';
import { FsStore } from '@vought/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EncodeError } from '../src/encode-error.ts';
import { type FfmpegTools, locateFfmpeg } from '../src/ffmpeg-locator.ts';
import { processVideo } from '../src/video-processor.ts';
import { ffmpegThere, jobOf, startTestConsumer } from './encoder-fixtures.ts';

const run = promisify(execFile);
const logger = createLogger({ service: 'encoder-test', level: 'silent' });
let tools: FfmpegTools;
let dir: string;
let store: FsStore;

beforeAll(async () => {
  tools = await locateFfmpeg({});
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vought-encoder-'));
  store = new FsStore({ root: path.join(dir, 'objects') });
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const make = (name: string, args: string[]): Promise<string> => ffmpegFile(path.join(dir, name), args);

const job = (id: string, preset: string) => jobOf(id, { dir, store, tools, logger }, preset);

async function encode(file: string | Buffer, options: { signal?: AbortSignal } = {}): Promise<{ id: string; index: MediaIndex }> {
  const id = `v${randomBytes(4).toString('hex')}`;
  await store.put(`videos/${id}/source`, typeof file === 'string' ? await fs.readFile(file) : file);
  const result = await processVideo({ ...job(id, 'superfast'), ...options });
  return { id, index: result.index };
}

const videoTracks = (index: MediaIndex) => index.tracks.filter((t): t is VideoTrack => t.type === 'video');
const seconds = (t: VideoTrack) => t.fragments.time.map((x) => Math.round((x / t.timescale) * 1000));

function expectAligned(index: MediaIndex): void {
  const tracks = videoTracks(index);
  expect(tracks.length).toBeGreaterThan(0);
  const first = seconds(tracks[0]!);
  for (const track of tracks) {
    expect(seconds(track)).toEqual(first);
    expect(track.fragments.keyframe.every((k) => k === 1)).toBe(true);
  }
  // keyframes every 2 s (to the frame: 29.97 fps cuts at 2.002 s)
  for (const [i, ms] of first.slice(0, -1).entries()) expect(Math.abs(ms - i * 2000)).toBeLessThanOrEqual(34);
}

async function sourceDuration(file: string, stream: string): Promise<number> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    stream,
    '-show_entries',
    'stream=duration:format=duration',
    '-of',
    'json',
    file,
  ]);
  const json = JSON.parse(stdout);
  return Number(json.streams?.[0]?.duration) || Number(json.format?.duration);
}

describe.skipIf(!ffmpegThere)('encoder with real ffmpeg', { timeout: 120_000 }, () => {
  it('encodes B-frames with audio: aligned keyframes in every rendition, codec strings, duration within a frame', async () => {
    const file = await make('bframes.mp4', [
      ...picture(5, '640x360'),
      ...tone(5),
      '-c:v',
      'libx264',
      '-bf',
      '3',
      '-preset',
      'ultrafast',
      '-c:a',
      'aac',
    ]);
    const { id, index } = await encode(file);
    expectAligned(index);
    expect(videoTracks(index).map((t) => t.height)).toEqual([360, 240]);
    for (const t of videoTracks(index)) expect(t.codec).toMatch(/^avc1\.64[0-9a-f]{4}$/);
    expect(index.tracks.find((t) => t.type === 'audio')?.codec).toBe('mp4a.40.2');
    const v = videoTracks(index)[0]!;
    expect(Math.abs(v.duration / v.timescale - (await sourceDuration(file, 'v:0')))).toBeLessThanOrEqual(1 / 30 + 1e-6);
    // committed: index.json written, staging and source gone
    const keys: string[] = [];
    for await (const o of store.list(`videos/${id}/`)) keys.push(o.key.slice(`videos/${id}/`.length));
    expect(keys).toContain('index.json');
    expect(keys.some((k) => k.startsWith('.staging'))).toBe(false);
    expect(keys).not.toContain('source');
    expect(keys).toEqual(
      expect.arrayContaining(['thumbs/poster.jpg', 'thumbs/storyboard.jpg', 'thumbs/storyboard.vtt', 'v/360p.mp4', 'v/240p.mp4']),
    );
    expect(index.thumbnails).toMatchObject({ tileWidth: 160, interval: 2 });
  });

  it('keeps 29.97 fps exact and makes variable frame rate constant', async () => {
    const ntsc = await encode(await make('ntsc.mp4', [...picture(5, '320x240', '30000/1001'), ...H264]));
    expect(videoTracks(ntsc.index)[0]!.frameRate).toEqual({ num: 30000, den: 1001 });
    expectAligned(ntsc.index);
    // VFR: frames dropped at random intervals, muxed with their real timestamps (vfr)
    const vfr = await make('vfr.mkv', [
      ...picture(5, '320x240', '30'),
      '-vf',
      "select='not(mod(n\\,3))+lt(random(0)\\,0.3)'",
      '-fps_mode',
      'vfr',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
    ]);
    const { index } = await encode(vfr);
    const track = videoTracks(index)[0]!;
    expect(track.frameRate.den).toBeGreaterThan(0);
    expectAligned(index);
  });

  it('keeps a rotated phone clip portrait and makes odd sizes even', async () => {
    // a phone's display matrix: written by a stream copy (encoders ignore the rotate tag)
    const upright = await make('phone-raw.mp4', [...picture(4, '640x360'), ...H264]);
    const rotated = await make('phone.mp4', ['-i', upright, '-c', 'copy', '-metadata:s:v:0', 'rotate=90']);
    const { index } = await encode(rotated);
    const top = videoTracks(index)[0]!;
    expect(top.height).toBeGreaterThan(top.width);
    expect(top).toMatchObject({ width: 360, height: 640, rotation: 0 });
    const odd = await encode(await make('odd.mp4', [...picture(3, '321x241'), ...H264, '-pix_fmt', 'yuv444p']));
    const t = videoTracks(odd.index)[0]!;
    expect(t.width % 2).toBe(0);
    expect(t.height % 2).toBe(0);
  });

  it('turns 10-bit HEVC into 8-bit H.264 4:2:0', async (ctx) => {
    const hevc = await make('hevc10.mp4', [
      ...picture(3),
      '-c:v',
      'libx265',
      '-pix_fmt',
      'yuv420p10le',
      '-preset',
      'ultrafast',
      '-x265-params',
      'log-level=error',
      '-tag:v',
      'hvc1',
    ]).catch(() => null);
    if (!hevc) return ctx.skip(); // this ffmpeg build has no libx265
    const { index } = await encode(hevc);
    expect(videoTracks(index)[0]!.codec).toMatch(/^avc1\.64/);
  });

  it('reads VP9 + Opus in Matroska', async () => {
    const file = await make('vp9.mkv', [
      ...picture(3),
      ...tone(3),
      '-c:v',
      'libvpx-vp9',
      '-deadline',
      'realtime',
      '-cpu-used',
      '8',
      '-c:a',
      'libopus',
    ]);
    const { index } = await encode(file);
    expect(index.tracks.map((t) => t.codec)).toEqual(expect.arrayContaining(['mp4a.40.2']));
    expectAligned(index);
  });

  it('handles audio-only and video-only sources', async () => {
    const audioOnly = await encode(await make('audio.m4a', [...tone(5), '-c:a', 'aac']));
    expect(audioOnly.index.tracks.map((t) => t.type)).toEqual(['audio']);
    expect(audioOnly.index.thumbnails).toBeUndefined();
    expect(audioOnly.index.duration).toBeCloseTo(5, 0);
    const videoOnly = await encode(await make('video.mp4', [...picture(3), ...H264]));
    expect(videoOnly.index.tracks.every((t) => t.type === 'video')).toBe(true);
  });

  it('keeps two audio languages and turns a subtitle stream into WebVTT', async () => {
    const srt = path.join(dir, 'subs.srt');
    await fs.writeFile(srt, '1\n00:00:00,500 --> 00:00:02,000\nHello\n\n2\n00:00:02,500 --> 00:00:03,500\nWorld\n');
    const file = await make('multi.mkv', [
      ...picture(4),
      ...tone(4, 440),
      ...tone(4, 880),
      '-i',
      srt,
      '-map',
      '0:v',
      '-map',
      '1:a',
      '-map',
      '2:a',
      '-map',
      '3:s',
      ...H264,
      '-c:a',
      'aac',
      '-c:s',
      'srt',
      '-metadata:s:a:0',
      'language=eng',
      '-metadata:s:a:1',
      'language=fra',
      '-metadata:s:s:0',
      'language=eng',
    ]);
    const { id, index } = await encode(file);
    expect(index.tracks.filter((t) => t.type === 'audio').map((t) => t.language)).toEqual(['eng', 'fra']);
    expect(index.text).toEqual([expect.objectContaining({ id: 't-eng', language: 'eng', file: 'text/t-eng.vtt', format: 'webvtt' })]);
    const vtt = (await store.readAll(`videos/${id}/text/t-eng.vtt`)).toString();
    expect(vtt.startsWith('WEBVTT')).toBe(true);
    expect(vtt).toContain('Hello');
  });

  it('fails truncated files, random bytes and empty files with a reason, permanently', async () => {
    const good = await fs.readFile(await make('cut.mp4', [...picture(3), ...H264]));
    for (const bytes of [good.subarray(0, 2000), randomBytes(50_000), Buffer.alloc(0)]) {
      const error = await encode(bytes).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EncodeError);
      expect((error as EncodeError).permanent).toBe(true);
      expect((error as EncodeError).message.length).toBeGreaterThan(10);
    }
  });

  it('is exactly-once: an aborted run leaves no visible object, the rerun commits one set, a third run is a no-op', async () => {
    const file = await make('once.mp4', [...picture(6, '640x360'), ...H264]);
    const id = `v${randomBytes(4).toString('hex')}`;
    const bytes = await fs.readFile(file);
    await store.put(`videos/${id}/source`, bytes);
    const abort = new AbortController();
    const common = job(id, 'ultrafast');
    const first = processVideo({ ...common, signal: abort.signal, onProgress: () => abort.abort() });
    await expect(first).rejects.toThrow();
    expect(await store.head(`videos/${id}/index.json`)).toBeNull();
    // leftovers of a crash between staging and commit
    await store.put(`videos/${id}/.staging/old/v/360p.mp4`, 'half');
    const second = await processVideo(common);
    expect(second.encoded).toBe(true);
    const keys: string[] = [];
    for await (const o of store.list(`videos/${id}/`)) keys.push(o.key);
    expect(keys.filter((k) => k.includes('.staging'))).toEqual([]);
    const etag = (await store.head(`videos/${id}/index.json`))?.etag;
    await store.put(`videos/${id}/source`, bytes); // the redelivered job's source is still there
    const third = await processVideo(common);
    expect(third.encoded).toBe(false);
    expect((await store.head(`videos/${id}/index.json`))?.etag).toBe(etag);
    expect(await store.head(`videos/${id}/source`)).toBeNull();
  });

  it('runs through the job consumer: ready with events and an invalidation; a bad source dead-letters to failed', async () => {
    const consumer = await startTestConsumer({ dir, store, tools, logger });
    const { bus, catalog } = consumer;
    const events: VideoEvent[] = [];
    const invalidations: unknown[] = [];
    await bus.subscribe<VideoEvent>(subjects.allVideoEvents, (m) => void events.push(m.data));
    await bus.subscribe(subjects.invalidate, (m) => void invalidations.push(m.data));
    const good = await make('job.mp4', [...picture(4), ...tone(4), ...H264, '-c:a', 'aac']);
    await consumer.enqueue({ good1: await fs.readFile(good), bad1: randomBytes(10_000) });
    await consumer.settle({ good1: 'ready', bad1: 'failed' }, 60_000);
    const good1 = await catalog.getVideo('good1');
    expect(good1).toMatchObject({ status: 'ready', error: null });
    expect(good1.duration).toBeCloseTo(4, 0);
    expect(good1.renditions.map((r) => r.type)).toEqual(['video', 'audio']);
    const bad1 = await catalog.getVideo('bad1');
    expect(bad1.status).toBe('failed');
    expect(bad1.error).toMatch(/not a media file|no decodable/);
    const statuses = events.filter((e) => e.videoId === 'good1' && e.type === 'video.status').map((e) => (e as { status: string }).status);
    expect(statuses).toEqual(['processing', 'ready']);
    // the invalidation says when the change was made (edges measure how late they apply it)
    expect(invalidations).toContainEqual({ type: 'invalidate', version: 1, keys: ['video-good1'], at: expect.any(Number) });
    await consumer.stop();
  });
});
