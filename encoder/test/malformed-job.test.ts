// A job whose message does not match the bus schema is dead-lettered at once, naming what is wrong,
// and the video it names (when it names one) becomes failed: it is never retried.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { subjects } from '@vought/bus';
import { createLogger } from '@vought/observability';
import { FsStore } from '@vought/storage';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestConsumer } from './encoder-fixtures.ts';

describe('malformed encode jobs', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await fs.rm(dir, { recursive: true, force: true });
  });

  it('dead-letters a job that does not match the schema, with the schema error, without retrying it', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vought-malformed-'));
    dirs.push(dir);
    const consumer = await startTestConsumer({
      dir,
      store: new FsStore({ root: path.join(dir, 'objects') }),
      tools: { ffmpeg: 'ffmpeg', ffprobe: 'ffprobe', description: 'unused' } as never,
      logger: createLogger({ service: 'test', level: 'silent' }),
    });
    try {
      const dead: Array<{ reason?: string }> = [];
      await consumer.bus.subscribe<{ reason?: string }>(
        consumer.bus.deadLetterSubject(subjects.encodeQueue),
        ({ data }) => void dead.push(data),
      );
      await consumer.catalog.createVideo({ id: 'broken', owner: 'o', title: 'x', status: 'queued' });
      await consumer.bus.enqueue(subjects.encodeQueue, { type: 'encode', version: 2, videoId: 'broken' }, { id: 'bad-1' });
      await consumer.settle({ broken: 'failed' }, 10_000);
      expect((await consumer.catalog.getVideo('broken')).status).toBe('failed');
      for (let i = 0; i < 50 && dead.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(JSON.stringify(dead)).toContain('malformed encode job');
      expect(JSON.stringify(dead)).toMatch(/version|sourceKey/);
    } finally {
      await consumer.stop();
    }
  });
});
