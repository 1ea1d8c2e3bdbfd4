// Consumes encode jobs: status `processing`, heartbeats while ffmpeg runs, progress events, then
// `ready` (or `failed` with the reason once the job is dead-lettered), and an invalidation so every
// origin and edge forgets what it knew about the video. Every reason that leaves here for the
// catalog or the bus goes through publicMessage: the video's owner reads it.
import {
  type Bus,
  type EncodeJob,
  EncodeJobSchema,
  type Invalidation,
  type Job,
  type JobConsumer,
  PermanentJobError,
  readMessage,
  subjects,
  type VideoEvent,
  videoSurrogateKey,
} from '@vought/bus';
import type { Catalog, Rendition } from '@vought/catalog';
import type { MediaIndex } from '@vought/media';
import { injectTraceContext, type Logger } from '@vought/observability';
import type { ObjectStore } from '@vought/storage';
import { EncodeError } from './encode-error.ts';
import type { EncodeLimits } from './encode-limits.ts';
import type { FfmpegTools } from './ffmpeg-locator.ts';
import { publicMessage } from './public-message.ts';
import { processVideo } from './video-processor.ts';

export interface EncodeConsumerOptions {
  bus: Bus;
  store: ObjectStore;
  catalog: Catalog;
  tools: FfmpegTools;
  logger: Logger;
  workDir: string;
  concurrency: number;
  preset?: string;
  /** Overrides of ENCODE_LIMITS (tests). */
  limits?: Partial<EncodeLimits>;
  /** Heartbeat period; must be well under the ack wait. */
  heartbeatMs?: number;
  ackWaitMs?: number;
  maxDeliver?: number;
  retryDelayMs?: number;
  /** Each job's end: its outcome, wall time, and for `ready` the media duration encoded (seconds). */
  onEncoded?: (outcome: 'ready' | 'failed' | 'retry', seconds: number, mediaSeconds?: number) => void;
  /** A job starts (+1) or ends (-1), whatever its outcome (encode_jobs_in_progress). */
  onActive?: (delta: 1 | -1) => void;
}

/**
 * A job whose encoder stops sending heartbeats is redelivered this long after the last one: the
 * bound on how long a crashed encoder delays a video (heartbeats come every HEARTBEAT_MS, well
 * inside it, so a live long encode is never taken away).
 */
export const ACK_WAIT_MS = 20_000;
const HEARTBEAT_MS = 4_000;

export function renditionsOf(index: MediaIndex): Rendition[] {
  return [
    ...index.tracks.map((t) =>
      t.type === 'video'
        ? { id: t.id, type: 'video' as const, codec: t.codec, width: t.width, height: t.height, bandwidth: t.bandwidth.peak }
        : { id: t.id, type: 'audio' as const, codec: t.codec, bandwidth: t.bandwidth.peak, language: t.language },
    ),
    ...index.text.map((t) => ({ id: t.id, type: 'text' as const, language: t.language })),
  ];
}

export async function startEncodeConsumer(options: EncodeConsumerOptions): Promise<JobConsumer> {
  const { bus, catalog, logger } = options;
  const at = () => new Date().toISOString();
  const emit = (event: VideoEvent) => bus.publish(subjects.videoEvents(event.videoId), event, injectTraceContext()).catch(() => {});

  async function fail(videoId: string, failure: string): Promise<void> {
    const video = await catalog.findVideo(videoId);
    if (!video) return;
    const reason = publicMessage(failure);
    await catalog.updateVideo(videoId, { status: 'failed', error: reason });
    await emit({ type: 'video.status', version: 1, videoId, status: 'failed', error: reason, at: at() });
  }

  return bus.consume<EncodeJob>(
    subjects.encodeQueue,
    async (job: Job<EncodeJob>) => {
      options.onActive?.(1);
      try {
        await encode(job);
      } finally {
        options.onActive?.(-1);
      }
    },
    {
      concurrency: options.concurrency,
      ackWaitMs: options.ackWaitMs ?? ACK_WAIT_MS,
      maxDeliver: options.maxDeliver ?? 3,
      retryDelayMs: options.retryDelayMs ?? 5_000,
      onDeadLetter: async (job, reason) => {
        logger.error({ job_id: job.id, video_id: job.data?.videoId, reason }, 'encode job dead-lettered');
        if (typeof job.data?.videoId === 'string') await fail(job.data.videoId, reason).catch(() => {});
      },
    },
  );

  async function encode(job: Job<EncodeJob>): Promise<void> {
    const read = readMessage(EncodeJobSchema, job.data);
    // a malformed job never heals: dead-lettered at once, with what is wrong with it
    if (!read.ok) throw new PermanentJobError(`malformed encode job (${read.error}): ${JSON.stringify(job.data).slice(0, 200)}`);
    const data = read.value;
    const log = logger.child({ job_id: job.id, video_id: data.videoId, delivery: job.deliveryCount });
    const video = await catalog.findVideo(data.videoId);
    if (!video) {
      log.warn('video was deleted before its encode: dropping the job');
      return;
    }
    const started = performance.now();
    await catalog.updateVideo(data.videoId, { status: 'processing', error: null });
    await emit({ type: 'video.status', version: 1, videoId: data.videoId, status: 'processing', at: at() });
    const heartbeat = setInterval(() => void job.inProgress().catch(() => {}), options.heartbeatMs ?? HEARTBEAT_MS);
    let lastProgress = 0;
    try {
      const result = await processVideo({
        videoId: data.videoId,
        sourceKey: data.sourceKey,
        store: options.store,
        tools: options.tools,
        workDir: options.workDir,
        logger: log,
        signal: job.signal,
        ...(options.preset ? { preset: options.preset } : {}),
        ...(options.limits ? { limits: options.limits } : {}),
        onProgress: (p) => {
          const now = Date.now();
          if (now - lastProgress < 1000 && p.percent < 100) return; // throttled: one event a second
          lastProgress = now;
          void emit({
            type: 'video.progress',
            version: 1,
            videoId: data.videoId,
            percent: Math.round(p.percent * 10) / 10,
            ...(p.speed ? { speed: p.speed } : {}),
            at: at(),
          });
        },
      });
      await catalog.updateVideo(data.videoId, {
        status: 'ready',
        error: null,
        duration: result.index.duration,
        renditions: renditionsOf(result.index),
      });
      await emit({ type: 'video.status', version: 1, videoId: data.videoId, status: 'ready', at: at() });
      const invalidation: Invalidation = { type: 'invalidate', version: 1, keys: [videoSurrogateKey(data.videoId)], at: Date.now() };
      await bus.publish(subjects.invalidate, invalidation);
      const seconds = (performance.now() - started) / 1000;
      options.onEncoded?.('ready', seconds, result.index.duration);
      log.info({ seconds: Math.round(seconds * 10) / 10, encoded: result.encoded, tracks: result.index.tracks.length }, 'video ready');
    } catch (error) {
      const seconds = (performance.now() - started) / 1000;
      if (error instanceof EncodeError && error.permanent) {
        log.warn({ err: error.message }, 'source cannot be encoded');
        options.onEncoded?.('failed', seconds);
        throw new PermanentJobError(publicMessage(error.message));
      }
      options.onEncoded?.('retry', seconds);
      if (job.signal.aborted) log.warn({ seconds: Math.round(seconds * 10) / 10 }, 'encoder stopping: job handed back to the queue');
      else log.error({ err: (error as Error).message }, 'encode failed; it will be retried');
      throw error;
    } finally {
      clearInterval(heartbeat);
    }
  }
}
