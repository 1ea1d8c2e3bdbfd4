// An encoder process (encoder-process.ts: runService + startEncoder on real NATS, a namespace of this
// test's own) gets SIGTERM mid-encode:
//  - past its grace it hands the job back: ffmpeg killed, scratch directory removed, the job nak'ed,
//    and another consumer gets it at once (well inside the 20 s ack wait), and the process exits 0;
//  - within its grace the job finishes (video ready, acknowledged: nobody else gets it), then it exits 0.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type EncodeJob, type Job, NatsBus, subjects } from '@vought/bus';
import { SqliteCatalog } from '@vought/catalog';
import { makeSource } from '@vought/media/test/ffmpeg-fixtures';
import { skipUnlessServer, watchChild } from '@vought/observability/test/required-services';
import { FsStore } from '@vought/storage';
import { afterAll, describe, expect, it } from 'vitest';
import { ACK_WAIT_MS } from '../src/encode-consumer.ts';
import { ffmpegThere } from './encoder-fixtures.ts';

const encoderDir = path.resolve(import.meta.dirname, '..');
const natsMissing = await skipUnlessServer(4222, 'NATS', 'encoder shutdown tests');
const skip = natsMissing || !ffmpegThere;

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function setup(graceMs: number, seconds: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vought-encoder-stop-'));
  const tmp = path.join(dir, 'tmp');
  fs.mkdirSync(tmp);
  const namespace = `stop${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const store = new FsStore({ root: path.join(dir, 'objects') });
  const catalog = await SqliteCatalog.open({ path: path.join(dir, 'catalog.sqlite') });
  const bus = await NatsBus.connect({ servers: 'nats://127.0.0.1:4222', name: 'encoder-stop-test', namespace });
  cleanups.push(async () => {
    await bus.destroy();
    await bus.close();
    await catalog.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const id = `v${namespace}`;
  const source = await makeSource(path.join(dir, 'source.mp4'), { seconds, size: '1280x720' });
  await catalog.createVideo({ id, owner: 'o', title: id, status: 'queued' });
  await store.put(`videos/${id}/source`, fs.readFileSync(source));

  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'test/encoder-process.ts'], {
    cwd: encoderDir,
    env: {
      ...process.env,
      TMPDIR: tmp,
      TEST_DIR: dir,
      TEST_NAMESPACE: namespace,
      TEST_GRACE_MS: String(graceMs),
      VOUGHT_DATA_DIR: path.join(dir, 'data'),
      VOUGHT_HOST: '127.0.0.1',
      VOUGHT_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const watched = watchChild(child);
  const exited = watched.exited;
  const until = async (what: string, ok: () => Promise<boolean> | boolean, ms: number) => {
    const deadline = Date.now() + ms;
    while (!(await ok())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; encoder log:\n${watched.log().slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  await until('the encoder to start', () => watched.log().includes('encoder uses ffmpeg'), 30_000);
  const job: EncodeJob = { type: 'encode', version: 1, videoId: id, sourceKey: `videos/${id}/source` };
  await bus.enqueue(subjects.encodeQueue, job, { id: `encode-${id}` });
  // the job is in hand once the video is processing and its scratch directory exists
  const scratch = path.join(tmp, 'vought-encoder');
  await until(
    'the encode to start',
    async () => (await catalog.getVideo(id)).status === 'processing' && fs.existsSync(scratch) && fs.readdirSync(scratch).length > 0,
    30_000,
  );
  return { id, tmp, bus, catalog, child, exited, until, log: watched.log };
}

describe.skipIf(skip)(`encoder process on SIGTERM${skip ? ` (skipped: ${natsMissing || 'no ffmpeg'})` : ''}`, { timeout: 120_000 }, () => {
  it('hands the job in hand back past its grace: another consumer gets it at once, no scratch left, exit 0', async () => {
    const { id, tmp, bus, child, exited, log } = await setup(500, 40);
    // the other encoder, waiting for work
    const received: Array<{ job: Job<EncodeJob>; at: number }> = [];
    const other = await bus.consume<EncodeJob>(
      subjects.encodeQueue,
      async (job) => {
        received.push({ job, at: Date.now() });
      },
      { ackWaitMs: ACK_WAIT_MS, maxDeliver: 3 },
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(received).toHaveLength(0); // the job is held by the encoder process
    const signalled = Date.now();
    child.kill('SIGTERM');
    expect(await exited, log()).toBe(0);
    const deadline = Date.now() + ACK_WAIT_MS;
    while (received.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    await other.stop({ graceMs: 1000 });
    expect(received, log()).toHaveLength(1);
    const [first] = received;
    expect(first?.job.data.videoId).toBe(id);
    expect(first?.job.deliveryCount).toBe(2);
    // at once: the grace (0.5 s) and ffmpeg's exit, not the ack wait (20 s)
    expect((first?.at ?? Number.POSITIVE_INFINITY) - signalled).toBeLessThan(8_000);
    expect(fs.readdirSync(path.join(tmp, 'vought-encoder'))).toEqual([]);
    expect(log()).toContain('job handed back');
  });

  it('finishes the job in hand within its grace: the video is ready, nobody else gets the job, exit 0', async () => {
    const { id, bus, catalog, child, exited, log } = await setup(60_000, 3);
    child.kill('SIGTERM');
    expect(await exited, log()).toBe(0);
    expect((await catalog.getVideo(id)).status).toBe('ready');
    const received: string[] = [];
    const other = await bus.consume<EncodeJob>(subjects.encodeQueue, async (job) => {
      received.push(job.data.videoId);
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await other.stop({ graceMs: 1000 });
    expect(received).toEqual([]);
  });
});
