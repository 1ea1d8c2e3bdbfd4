// One video, source to committed index, exactly once in effect:
//  1. an existing valid index.json means the work is done: clean leftovers and return it;
//  2. leftovers of an earlier attempt (staging objects) are deleted;
//  3. the source is downloaded, sniffed, probed, checked against the limits, planned, encoded in
//     one ffmpeg process, and every output indexed from the file;
//  4. outputs go up under videos/{id}/.staging/{attempt}/, then are copied to their final keys;
//  5. index.json is written LAST: the commit point. Readers trust only the index, so a crash at
//     any step before it leaves nothing a player can see, and a redelivery redoes the work;
//  6. staging and the source are deleted.
// The source is hostile until shown otherwise: the encoder sniffs it itself (whatever the origin
// checked), every ffmpeg run reads it with one pinned demuxer and the file protocol only, it is
// checked against ENCODE_LIMITS before encoding, and the job runs against a wall-clock budget.
// What the job throws carries no server path (public-message.ts): it becomes the video's error.
import { createWriteStream } from 'node:fs';
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
import { videoKeys } from '@vought/storage';
import { scratchName } from './child-process-guard.ts';
import { abortError, EncodeError } from './encode-error.ts';
import { checkLimits, type EncodeLimits, type JobBudget, limitsWith, startBudget } from './encode-limits.ts';
import { type Progress, runFfmpeg } from './encode-runner.ts';
import { buildFfmpegArgs, outputsOf, type PlannedOutput } from './ffmpeg-command-builder.ts';
import type { FfmpegTools } from './ffmpeg-locator.ts';
import { type LadderPlan, planLadder } from './ladder-planner.ts';
import { publicMessage } from './public-message.ts';
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
  /** Overrides of ENCODE_LIMITS (tests use small ones). */
  limits?: Partial<EncodeLimits>;
}

export interface ProcessResult {
  index: MediaIndex;
  /** False when a committed index already existed (a redelivered job). */
  encoded: boolean;
}

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
  const info = await store.head(videoKeys.index(videoId));
  if (!info) return null;
  try {
    return parseMediaIndex(await store.readAll(videoKeys.index(videoId)));
  } catch {
    return null; // a damaged index is redone, not trusted
  }
}

/**
 * Uploads a local file. The file is opened first, so a missing one rejects here; a ReadStream
 * made from a path opens it later and emits `error`, and if the store is still awaiting something
 * else (a directory, a HEAD) nobody listens yet and Node ends the process. The store's pipeline
 * sees every read error through its own listeners; the one added here only keeps an error with no
 * reader from becoming an uncaught exception.
 */
export async function putFile(store: ObjectStore, key: string, file: string): Promise<void> {
  const handle = await fs.open(file, 'r');
  const stream = handle.createReadStream(); // autoClose: closing the stream closes the handle
  stream.on('error', () => {});
  try {
    await store.put(key, stream);
  } finally {
    stream.destroy();
  }
}

/** The source on local disk: ffmpeg seeks in it. */
async function fetchSource(store: ObjectStore, key: string, file: string): Promise<void> {
  const object = await store.get(key);
  await pipeline(object.body, createWriteStream(file));
  if (object.size === 0) throw new EncodeError('encode.no_streams', 'the source is empty', true);
}

async function indexOutputs(out: string, outputs: PlannedOutput[]): Promise<{ tracks: MediaTrack[]; text: TextTrack[] }> {
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
    const { source, close } = await fileSource(path.join(out, output.path)).catch(() => {
      throw new EncodeError('encode.invalid_output', `output ${output.path} was not written`, false);
    });
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
  return { tracks, text };
}

/**
 * Previews from the smallest rendition. They are optional: a source too short or too small for a
 * storyboard still becomes a video, without thumbnails. Only running out of time (or an abort)
 * fails the job from here.
 */
async function makePreviews(
  options: ProcessOptions,
  plan: LadderPlan,
  out: string,
  duration: number,
  signal: AbortSignal,
): Promise<{ thumbnails: MediaIndex['thumbnails']; files: string[] }> {
  const smallest = plan.video.at(-1);
  if (!smallest) return { thumbnails: undefined, files: [] };
  try {
    const made = await makeThumbnails(options.tools.ffmpeg, {
      input: path.join(out, `v/${smallest.rung}p.mp4`),
      outDir: out,
      duration,
      width: smallest.width,
      height: smallest.height,
      signal,
    });
    if (!made) {
      options.logger.info({ videoId: options.videoId }, 'no thumbnails: ffmpeg made no poster or storyboard from this video');
      return { thumbnails: undefined, files: [] };
    }
    await fs.writeFile(path.join(out, made.thumbnails.vtt), made.vtt);
    return { thumbnails: made.thumbnails, files: made.files };
  } catch (error) {
    if (signal.aborted) throw abortError(signal);
    options.logger.warn({ videoId: options.videoId, err: (error as Error).message }, 'no thumbnails: making them failed');
    return { thumbnails: undefined, files: [] };
  }
}

/** Staging, promotion, then the commit point (index.json last), then cleanup. */
async function publish(options: ProcessOptions, attempt: string, out: string, files: string[], index: MediaIndex, signal: AbortSignal) {
  const { store, videoId } = options;
  const staging = `${videoKeys.staging(videoId)}${attempt}/`;
  for (const file of files) {
    if (signal.aborted) throw abortError(signal);
    await putFile(store, `${staging}${file}`, path.join(out, file));
  }
  for (const file of files) await store.copy(`${staging}${file}`, videoKeys.file(videoId, file));
  await store.put(videoKeys.index(videoId), serializeMediaIndex(index), { contentType: 'application/json' });
  await store.deletePrefix(videoKeys.staging(videoId));
  await store.delete(options.sourceKey);
}

/** Source to index in a scratch directory: sniff, probe, check, encode, index, previews, publish. */
async function encodeInto(options: ProcessOptions, work: string, attempt: string, budget: JobBudget): Promise<MediaIndex> {
  const { videoId, logger } = options;
  const { signal } = budget;
  const sourceFile = path.join(work, 'source');
  await fetchSource(options.store, options.sourceKey, sourceFile);
  // no demuxer given: the probe sniffs the file's own bytes and refuses what is not on the list
  const probed = await probeSource(options.tools.ffprobe, sourceFile, { signal });
  checkLimits(probed, limitsWith(options.limits));
  budget.setDuration(probed.duration);
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

  const out = path.join(work, 'out');
  for (const dir of ['v', 'a', 'text', 'thumbs']) await fs.mkdir(path.join(out, dir), { recursive: true });
  const args = buildFfmpegArgs(
    plan,
    { videoIndex: probed.video?.index ?? null },
    { source: sourceFile, demuxer: probed.demuxer, preset: options.preset ?? 'veryfast', outDir: out },
  );
  await runFfmpeg(options.tools.ffmpeg, args, { durationSeconds: probed.duration, signal, onProgress: options.onProgress });

  const outputs = outputsOf(plan);
  const { tracks, text } = await indexOutputs(out, outputs);
  const previews = await makePreviews(options, plan, out, probed.duration, signal);
  const index: MediaIndex = {
    version: MEDIA_INDEX_VERSION,
    videoId,
    duration: Math.max(...tracks.map((t) => t.duration / t.timescale), 0),
    tracks,
    text,
    ...(previews.thumbnails ? { thumbnails: previews.thumbnails } : {}),
    createdAt: (options.now?.() ?? new Date()).toISOString(),
  };
  await publish(options, attempt, out, [...outputs.map((o) => o.path), ...previews.files], index, signal);
  return index;
}

/** The same error, its message fit for the video's owner (no scratch paths); others pass as they are. */
function withPublicMessage(error: unknown): unknown {
  if (!(error instanceof EncodeError)) return error;
  const message = publicMessage(error.message);
  return message === error.message
    ? error
    : Object.assign(new EncodeError(error.code, message, error.permanent, error.detail), { cause: error });
}

export async function processVideo(options: ProcessOptions): Promise<ProcessResult> {
  const { videoId, store, logger } = options;
  const done = await existingIndex(store, videoId);
  if (done) {
    logger.info({ videoId }, 'index already committed: nothing to encode');
    await store.deletePrefix(videoKeys.staging(videoId));
    await store.delete(options.sourceKey);
    return { index: done, encoded: false };
  }
  const cleaned = await store.deletePrefix(videoKeys.staging(videoId));
  if (cleaned) logger.info({ videoId, objects: cleaned }, 'removed staging objects of an earlier attempt');

  const attempt = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const work = path.join(options.workDir, scratchName(videoId, attempt));
  await fs.mkdir(work, { recursive: true });
  const budget = startBudget(limitsWith(options.limits), options.signal);
  try {
    return { index: await encodeInto(options, work, attempt, budget), encoded: true };
  } catch (error) {
    throw withPublicMessage(error);
  } finally {
    budget.stop();
    await fs.rm(work, { recursive: true, force: true });
  }
}
