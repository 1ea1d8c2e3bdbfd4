// What the encoder's real-ffmpeg tests share: whether ffmpeg is there (it must be in CI), and a job
// consumer over a memory bus and a SQLite catalog that encodes given sources through the queue.
import path from 'node:path';
import { type EncodeJob, MemoryBus, subjects } from '@vought/bus';
import { SqliteCatalog, type VideoStatus } from '@vought/catalog';
import { hasFfmpeg } from '@vought/media/test/ffmpeg-fixtures';
import type { Logger } from '@vought/observability';
import type { ObjectStore } from '@vought/storage';
import { startEncodeConsumer } from '../src/encode-consumer.ts';
import type { FfmpegTools } from '../src/ffmpeg-locator.ts';

export const ffmpegThere = await hasFfmpeg();
if (!ffmpegThere && process.env.CI === 'true') throw new Error('ffmpeg is required for the encoder tests in CI');

export interface Suite {
  dir: string;
  store: ObjectStore;
  tools: FfmpegTools;
  logger: Logger;
}

/** processVideo's options for video `id`, its source stored at videos/{id}/source. */
export function jobOf(id: string, suite: Suite, preset: string) {
  return {
    videoId: id,
    sourceKey: `videos/${id}/source`,
    store: suite.store,
    tools: suite.tools,
    workDir: path.join(suite.dir, 'work'),
    logger: suite.logger,
    preset,
  };
}

/** A consumer of the encode queue, one job at a time, with a catalog in `dir`. */
export async function startTestConsumer(options: Suite) {
  const { dir, store, tools, logger } = options;
  const bus = new MemoryBus();
  const catalog = await SqliteCatalog.open({ path: path.join(dir, 'catalog.sqlite') });
  const consumer = await startEncodeConsumer({
    bus,
    store,
    catalog,
    tools,
    logger,
    workDir: path.join(dir, 'work'),
    concurrency: 1,
    preset: 'ultrafast',
    retryDelayMs: 50,
  });
  return {
    bus,
    catalog,
    /** A queued video per source (by id), its source stored and its job enqueued. */
    async enqueue(sources: Record<string, Buffer>): Promise<void> {
      for (const [id, bytes] of Object.entries(sources)) {
        await catalog.createVideo({ id, owner: 'o', title: id, status: 'queued' });
        await store.put(`videos/${id}/source`, bytes);
        const job: EncodeJob = { type: 'encode', version: 1, videoId: id, sourceKey: `videos/${id}/source` };
        await bus.enqueue(subjects.encodeQueue, job, { id: `encode-${id}` });
      }
    },
    /** Waits until every video has its status, or `timeoutMs` passed (the caller's expectations then fail). */
    async settle(statuses: Record<string, VideoStatus>, timeoutMs: number): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const now = await Promise.all(Object.keys(statuses).map((id) => catalog.getVideo(id)));
        if (now.every((video) => video.status === statuses[video.id])) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop(): Promise<void> {
      await consumer.stop({ graceMs: 1000 });
      await catalog.close();
      await bus.close();
    },
  };
}
