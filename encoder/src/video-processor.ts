// One video, source to committed index, exactly once in effect:
//  1. an existing valid index.json means the work is done: clean leftovers and return it;
//  2. leftovers of an earlier attempt (staging objects) are deleted;
//  3. the source is downloaded, probed, planned, encoded in one ffmpeg process, and every output
//     indexed from the file;
//  4. outputs go up under videos/{id}/.staging/{attempt}/, then are copied to their final keys;
//  5. index.json is written LAST: the commit point. Readers trust only the index, so a crash at
//     any step before it leaves nothing a player can see, and a redelivery redoes the work;
//  6. staging and the source are deleted.
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  type ByteSource,
  indexTrack,
  MEDIA_INDEX_VERSION,
  type MediaIndex,
  type MediaTrack,
  parseMediaIndex,
  serializeMediaIndex,
  type TextTrack,
} from '@vought/media';
import type { Logger } from '@vought/observability';
import type { ObjectStore } from '@vought/storage';
import { EncodeError } from './encode-error.ts';
import { type Progress, runFfmpeg } from './encode-runner.ts';
import { buildFfmpegArgs, outputsOf } from './ffmpeg-command-builder.ts';
import type { FfmpegTools } from './ffmpeg-locator.ts';
import { planLadder } from './ladder-planner.ts';
import { probeSource } from './source-probe.ts';
import { makeThumbnails } from './thumbnail-maker.ts';

export interface ProcessOptions {
  videoId: string;
  sourceKey: string;
  store: ObjectStore;
  tools: FfmpegTools;
  /** Local scratch space (deleted afterwards). */
  workDir: string;
  logger: Logger;
  onProgress?: (progress: Progress) => void;
  signal?: AbortSignal;
  /** x264 preset (tests: ultrafast). */
  preset?: string;
  now?: () => Date;
}

export interface ProcessResult {
  index: MediaIndex;
  /** False when a committed index already existed (a redelivered job). */
  encoded: boolean;
}

export const indexKeyOf = (id: string) => `videos/${id}/index.json`;
const stagingPrefix = (id: string) => `videos/${id}/.staging/`;

async function fileSource(file: string): Promise<{ source: ByteSource; close: () => Promise<void> }> {
  const handle = await fs.open(file, 'r');
  const { size } = await handle.stat();
  return {
    source: {
      size,
      read: async (offset, length) => {
        const buffer = Buffer.allocUnsafe(Math.min(length, Math.max(0, size - offset)));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
        return buffer.subarray(0, bytesRead);
      },
    },
    close: () => handle.close(),
  };
}

async function existingIndex(store: ObjectStore, videoId: string): Promise<MediaIndex | null> {
  const info = await store.head(indexKeyOf(videoId));
  if (!info) return null;
  try {
    return parseMediaIndex(await store.readAll(indexKeyOf(videoId)));
  } catch {
    return null; // a damaged index is redone, not trusted
  }
}

export async function processVideo(options: ProcessOptions): Promise<ProcessResult> {
  const { videoId, store, logger } = options;
  const done = await existingIndex(store, videoId);
  if (done) {
    logger.info({ videoId }, 'index already committed: nothing to encode');
    await store.deletePrefix(stagingPrefix(videoId));
    await store.delete(options.sourceKey);
    return { index: done, encoded: false };
  }
  const cleaned = await store.deletePrefix(stagingPrefix(videoId));
  if (cleaned) logger.info({ videoId, objects: cleaned }, 'removed staging objects of an earlier attempt');

  const attempt = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const work = path.join(options.workDir, `${videoId}-${attempt}`);
  await fs.mkdir(work, { recursive: true });
  try {
    // 1. the source, streamed to local disk (ffmpeg seeks in it)
    const sourceFile = path.join(work, 'source');
    const object = await store.get(options.sourceKey);
    await pipeline(object.body, createWriteStream(sourceFile));
    if (object.size === 0) throw new EncodeError('encode.no_streams', 'the source is empty', true);

    // 2. what it is, and what to make of it
    const probed = await probeSource(options.tools.ffprobe, sourceFile);
    const plan = planLadder(probed);
    logger.info(
      {
        videoId,
        format: probed.format,
        duration: probed.duration,
        video: probed.video,
        audio: probed.audio.length,
        subtitles: probed.subtitles.length,
        rungs: plan.video.map((v) => `${v.width}x${v.height}@${v.bitrate}k`),
      },
      'encoding plan',
    );

    // 3. one ffmpeg process for the whole ladder
    const out = path.join(work, 'out');
    for (const dir of ['v', 'a', 'text', 'thumbs']) await fs.mkdir(path.join(out, dir), { recursive: true });
    const args = buildFfmpegArgs(
      plan,
      { videoIndex: probed.video?.index ?? null },
      { source: sourceFile, preset: options.preset ?? 'veryfast', outDir: out },
    );
    await runFfmpeg(options.tools.ffmpeg, args, {
      durationSeconds: probed.duration,
      signal: options.signal,
      onProgress: options.onProgress,
    });

    // 4. index every output from its bytes
    const outputs = outputsOf(plan);
    const tracks: MediaTrack[] = [];
    const text: TextTrack[] = [];
    for (const output of outputs) {
      if (output.kind === 'text') {
        text.push({
          id: output.id,
          type: 'text',
          file: output.path,
          language: output.language ?? 'und',
          format: 'webvtt',
          ...(output.label ? { label: output.label } : {}),
        });
        continue;
      }
      const { source, close } = await fileSource(path.join(out, output.path));
      try {
        tracks.push(
          await indexTrack(source, {
            id: output.id,
            file: output.path,
            ...(output.language ? { language: output.language } : {}),
            ...(output.label ? { label: output.label } : {}),
          }),
        );
      } catch (error) {
        throw new EncodeError('encode.invalid_output', `output ${output.path} does not index: ${(error as Error).message}`, false);
      } finally {
        await close();
      }
    }
    const files = outputs.map((o) => o.path);

    // 5. previews, from the smallest rendition
    const smallest = plan.video.at(-1);
    let thumbnails: MediaIndex['thumbnails'];
    if (smallest) {
      const made = await makeThumbnails(options.tools.ffmpeg, {
        input: path.join(out, `v/${smallest.rung}p.mp4`),
        outDir: out,
        duration: probed.duration,
        width: smallest.width,
        height: smallest.height,
        signal: options.signal,
      });
      await fs.writeFile(path.join(out, made.thumbnails.vtt), made.vtt);
      thumbnails = made.thumbnails;
      files.push(...made.files);
    }

    const duration = Math.max(...tracks.map((t) => t.duration / t.timescale), 0);
    const index: MediaIndex = {
      version: MEDIA_INDEX_VERSION,
      videoId,
      duration,
      tracks,
      text,
      ...(thumbnails ? { thumbnails } : {}),
      createdAt: (options.now?.() ?? new Date()).toISOString(),
    };

    // 6. staging, promotion, then the commit point
    const staging = `${stagingPrefix(videoId)}${attempt}/`;
    for (const file of files) {
      if (options.signal?.aborted) throw new EncodeError('encode.aborted', 'encode aborted', false);
      await store.put(`${staging}${file}`, createReadStream(path.join(out, file)));
    }
    for (const file of files) await store.copy(`${staging}${file}`, `videos/${videoId}/${file}`);
    await store.put(indexKeyOf(videoId), serializeMediaIndex(index), { contentType: 'application/json' });
    await store.deletePrefix(stagingPrefix(videoId));
    await store.delete(options.sourceKey);
    return { index, encoded: true };
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}
