// One contract for both buses: the in-process default and NATS JetStream behave alike.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentJobError } from './bus-error.ts';
import type { Bus, Job, Message } from './bus-types.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

export function busContract(
  name: string,
  open: () => Promise<{ bus: Bus; cleanup: () => Promise<void> }>,
  options: { skip?: string | false } = {},
) {
  describe.skipIf(Boolean(options.skip))(`Bus contract: ${name}`, { timeout: 40_000 }, () => {
    let bus: Bus;
    let cleanup: () => Promise<void>;
    const ns = `t${randomBytes(4).toString('hex')}`;
    let n = 0;
    const queue = () => `${ns}q${n++}`;

    beforeAll(async () => {
      ({ bus, cleanup } = await open());
    });
    afterAll(async () => {
      await cleanup?.();
    });

    it('publishes to every matching subscriber, wildcards included, with headers', async () => {
      const got: Record<string, Message[]> = { exact: [], star: [], tail: [], other: [] };
      const subs = [
        await bus.subscribe(`${ns}.events.video.a`, (m) => void got.exact?.push(m)),
        await bus.subscribe(`${ns}.events.video.*`, (m) => void got.star?.push(m)),
        await bus.subscribe(`${ns}.events.>`, (m) => void got.tail?.push(m)),
        await bus.subscribe(`${ns}.other`, (m) => void got.other?.push(m)),
      ];
      await bus.publish(`${ns}.events.video.a`, { n: 1 }, { 'x-test': 'yes' });
      await bus.publish(`${ns}.events.video.b.deep`, { n: 2 });
      await until(() => (got.exact?.length ?? 0) === 1 && (got.star?.length ?? 0) === 1 && (got.tail?.length ?? 0) === 2);
      await sleep(100);
      expect(got.exact?.[0]).toMatchObject({ subject: `${ns}.events.video.a`, data: { n: 1 }, headers: { 'x-test': 'yes' } });
      expect(got.star).toHaveLength(1);
      expect(got.tail?.map((m) => (m.data as { n: number }).n).sort()).toEqual([1, 2]);
      expect(got.other).toHaveLength(0);
      for (const sub of subs) await sub.unsubscribe();
      await bus.publish(`${ns}.events.video.a`, { n: 3 });
      await sleep(100);
      expect(got.exact).toHaveLength(1);
    });

    it('delivers a job once and acks it on success', async () => {
      const q = queue();
      const seen: Job[] = [];
      await bus.enqueue(q, { video: 'v1' });
      const consumer = await bus.consume(q, async (job) => void seen.push(job), { ackWaitMs: 2000 });
      await until(() => seen.length === 1);
      await sleep(2500);
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ queue: q, data: { video: 'v1' }, deliveryCount: 1 });
      await consumer.stop({ graceMs: 1000 });
    });

    it('redelivers a failed job with a higher delivery count', async () => {
      const q = queue();
      const counts: number[] = [];
      const consumer = await bus.consume(
        q,
        async (job) => {
          counts.push(job.deliveryCount);
          if (job.deliveryCount === 1) throw new Error('transient');
        },
        { retryDelayMs: 100, maxDeliver: 3 },
      );
      await bus.enqueue(q, { x: 1 });
      await until(() => counts.length === 2);
      await sleep(300);
      expect(counts).toEqual([1, 2]);
      await consumer.stop({ graceMs: 1000 });
    });

    it('dead-letters a PermanentJobError at once, and an exhausted job after maxDeliver, calling onDeadLetter once each', async () => {
      const q = queue();
      const dead: Array<{ id: string; reason: string; deliveries: number }> = [];
      const letters: Message[] = [];
      const sub = await bus.subscribe(bus.deadLetterSubject(q), (m) => void letters.push(m));
      let attempts = 0;
      const consumer = await bus.consume<{ kind: string }>(
        q,
        async (job) => {
          attempts++;
          if (job.data.kind === 'bad') throw new PermanentJobError('not a video');
          throw new Error('still broken');
        },
        {
          retryDelayMs: 50,
          maxDeliver: 3,
          onDeadLetter: (job, reason) => void dead.push({ id: job.id, reason, deliveries: job.deliveryCount }),
        },
      );
      await bus.enqueue(q, { kind: 'bad' }, { id: 'bad-1' });
      await bus.enqueue(q, { kind: 'flaky' }, { id: 'flaky-1' });
      await until(() => dead.length === 2);
      await sleep(500);
      expect(dead).toHaveLength(2);
      const bad = dead.find((d) => d.id === 'bad-1');
      const flaky = dead.find((d) => d.id === 'flaky-1');
      expect(bad).toMatchObject({ reason: 'not a video', deliveries: 1 });
      expect(flaky?.deliveries).toBe(3);
      expect(flaky?.reason).toContain('still broken');
      expect(attempts).toBe(4);
      await until(() => letters.length === 2);
      expect(letters.map((l) => (l.data as { id: string }).id).sort()).toEqual(['bad-1', 'flaky-1']);
      await sub.unsubscribe();
      await consumer.stop({ graceMs: 1000 });
    });

    it('redelivers to another consumer when the holder neither acks nor heartbeats within the ack wait', async () => {
      const q = queue();
      const a: Job[] = [];
      const b: Job[] = [];
      let release!: () => void;
      const hang = new Promise<void>((resolve) => {
        release = resolve;
      });
      const consumerA = await bus.consume(
        q,
        async (job) => {
          a.push(job);
          await hang; // silent: no heartbeat
        },
        { ackWaitMs: 1000, maxDeliver: 5 },
      );
      await bus.enqueue(q, { x: 1 });
      await until(() => a.length === 1);
      const consumerB = await bus.consume(q, async (job) => void b.push(job), { ackWaitMs: 1000, maxDeliver: 5 });
      await until(() => b.length === 1, 10_000);
      expect(b[0]?.deliveryCount).toBe(2);
      release();
      await consumerA.stop({ graceMs: 1000 });
      await consumerB.stop({ graceMs: 1000 });
    });

    it('keeps a long job with heartbeats from being redelivered', async () => {
      const q = queue();
      let deliveries = 0;
      const consumer = await bus.consume(
        q,
        async (job) => {
          deliveries++;
          for (let i = 0; i < 12; i++) {
            await sleep(250);
            await job.inProgress();
          }
        },
        { ackWaitMs: 1000 },
      );
      await bus.enqueue(q, {});
      await sleep(4500);
      expect(deliveries).toBe(1);
      await consumer.stop({ graceMs: 2000 });
    });

    it('deduplicates by id', async () => {
      const q = queue();
      const seen: unknown[] = [];
      await bus.enqueue(q, { n: 1 }, { id: 'same' });
      await bus.enqueue(q, { n: 2 }, { id: 'same' });
      await bus.enqueue(q, { n: 3 }, { id: 'other' });
      const consumer = await bus.consume(q, async (job) => void seen.push(job.data));
      await until(() => seen.length === 2);
      await sleep(500);
      expect(seen).toEqual([{ n: 1 }, { n: 3 }]);
      await consumer.stop({ graceMs: 1000 });
    });

    it('never runs more than `concurrency` jobs at once', async () => {
      const q = queue();
      let running = 0;
      let peak = 0;
      let done = 0;
      const consumer = await bus.consume(
        q,
        async () => {
          running++;
          peak = Math.max(peak, running);
          await sleep(100);
          running--;
          done++;
        },
        { concurrency: 2 },
      );
      for (let i = 0; i < 8; i++) await bus.enqueue(q, { i });
      await until(() => done === 8);
      expect(peak).toBe(2);
      await consumer.stop({ graceMs: 1000 });
    });

    it('on stop, gives in-hand jobs the grace period, then aborts and naks them for another consumer', async () => {
      const q = queue();
      let aborted = false;
      const consumerA = await bus.consume(
        q,
        async (job) => {
          await new Promise<void>((resolve) => job.signal.addEventListener('abort', () => resolve()));
          aborted = true;
          throw new Error('aborted');
        },
        { ackWaitMs: 30_000 },
      );
      await bus.enqueue(q, { long: true });
      await sleep(500);
      await consumerA.stop({ graceMs: 300 });
      expect(aborted).toBe(true);
      const seen: Job[] = [];
      const consumerB = await bus.consume(q, async (job) => void seen.push(job), { ackWaitMs: 30_000 });
      await until(() => seen.length === 1, 10_000); // well before the 30 s ack wait
      await consumerB.stop({ graceMs: 1000 });
    });

    it('carries the trace context of the producer into the handler', async () => {
      const q = queue();
      const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
      let seen: string | undefined;
      const consumer = await bus.consume(q, async (job) => {
        seen = job.headers.traceparent;
      });
      await bus.enqueue(q, {}, { headers: { traceparent } });
      await until(() => seen !== undefined);
      expect(seen).toBe(traceparent);
      await consumer.stop({ graceMs: 1000 });
    });

    it('answers ping', async () => {
      await bus.ping();
    });
  });
}
