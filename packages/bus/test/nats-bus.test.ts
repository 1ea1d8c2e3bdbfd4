// The NATS JetStream adapter against the real server on 127.0.0.1:4222.
import { randomBytes } from 'node:crypto';
import { skipUnlessServer } from '@vought/observability/test/required-services';
import { describe, expect, it } from 'vitest';
import { busContract } from '../src/bus.contract.ts';
import { BusError } from '../src/index.ts';
import { NatsBus } from '../src/nats-bus.ts';

const skip = await skipUnlessServer(4222, 'NATS', 'NATS bus tests');

busContract(
  'nats',
  async () => {
    const namespace = `t${randomBytes(4).toString('hex')}`;
    const bus = await NatsBus.connect({ servers: 'nats://127.0.0.1:4222', name: 'vought-test', namespace });
    return {
      bus,
      cleanup: async () => {
        await bus.destroy();
        await bus.close();
      },
    };
  },
  { skip },
);

describe.skipIf(Boolean(skip))('NATS specifics', () => {
  it('dead-letters a job whose consumer died holding its last delivery (max-deliveries advisory)', { timeout: 30_000 }, async () => {
    const namespace = `t${randomBytes(4).toString('hex')}`;
    const dying = await NatsBus.connect({ servers: 'nats://127.0.0.1:4222', name: 'dying', namespace });
    const survivor = await NatsBus.connect({ servers: 'nats://127.0.0.1:4222', name: 'survivor', namespace });
    const dead: Array<{ id: string; reason: string }> = [];
    const survivorSaw: string[] = [];
    let taken = false;
    // The dying process takes the job on its only allowed delivery, then its connection drops (as a
    // kill -9 would): nobody will ever ack it, and the server gives up after the ack wait.
    await dying.consume(
      'encode',
      async () => {
        taken = true;
        await new Promise(() => {});
      },
      { ackWaitMs: 800, maxDeliver: 1 },
    );
    await survivor.enqueue('encode', { videoId: 'v9' }, { id: 'job-v9' });
    const deadline1 = Date.now() + 10_000;
    while (!taken && Date.now() < deadline1) await new Promise((r) => setTimeout(r, 50));
    expect(taken).toBe(true);
    await dying.nc.close();
    const watcher = await survivor.consume('encode', async (job) => void survivorSaw.push(job.id), {
      ackWaitMs: 800,
      maxDeliver: 1,
      onDeadLetter: (job, reason) => void dead.push({ id: job.id, reason }),
    });
    const deadline = Date.now() + 20_000;
    while (dead.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(dead.map((d) => d.id)).toEqual(['job-v9']);
    expect(dead[0]?.reason).toContain('no ack');
    expect(survivorSaw).toEqual([]);
    await watcher.stop({ graceMs: 100 });
    await survivor.destroy();
    await survivor.close();
  });

  it('fails to connect fast with bus.unavailable when nothing listens', async () => {
    const error = await NatsBus.connect({ servers: 'nats://127.0.0.1:1', name: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BusError);
    expect((error as BusError).code).toBe('bus.unavailable');
  });
});

describe.skipIf(Boolean(skip))('durable broadcast subscriptions', () => {
  it('delivers invalidations published while the subscriber was away, in order, once it is back', { timeout: 30_000 }, async () => {
    const subject = `cdn.test-${randomBytes(4).toString('hex')}`;
    const publisher = await NatsBus.connect({ servers: 'nats://127.0.0.1:4222', name: 'vought-test-pub' });
    const subscriber = await NatsBus.connect({ servers: 'nats://127.0.0.1:4222', name: 'vought-test-sub' });
    const got: number[] = [];
    try {
      await subscriber.subscribe<{ n: number }>(subject, ({ data }) => void got.push(data.n), { durable: true });
      await publisher.publish(subject, { n: 1 });
      for (let i = 0; i < 50 && got.length < 1; i++) await new Promise((r) => setTimeout(r, 50));
      // the subscriber's connection drops (as in an outage); meanwhile two more are published
      const nc = (subscriber as unknown as { nc: { reconnect(): Promise<void> } }).nc;
      const reconnecting = nc.reconnect();
      await publisher.publish(subject, { n: 2 });
      await publisher.publish(subject, { n: 3 });
      await reconnecting;
      for (let i = 0; i < 100 && got.length < 3; i++) await new Promise((r) => setTimeout(r, 50));
      expect(got).toEqual([1, 2, 3]);
    } finally {
      await publisher.close();
      await subscriber.close();
    }
  });
});
