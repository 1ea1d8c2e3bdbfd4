// The embedded default: the same semantics as the NATS adapter, in one process. Work queues keep
// jobs until a consumer acks them; an unacked job comes back after the ack wait; heartbeats push
// that back; deliveries are bounded, then the job goes to `dead.{queue}`.
import { randomUUID } from 'node:crypto';
import { injectTraceContext, SpanKind, withSpan } from '@vought/observability';
import { BusError } from './bus-error.ts';
import { countDeadLetter, watchQueue } from './bus-metrics.ts';
import type { Bus, ConsumeOptions, EnqueueOptions, Headers, Job, JobConsumer, JobHandler, Message, Subscription } from './bus-types.ts';
import { type Delivery, defaults, JobRunner } from './job-runner.ts';
import { subjectMatches } from './subject-matcher.ts';

export interface MemoryBusOptions {
  /** Deduplication window for enqueue ids. */
  dedupWindowMs?: number;
}

interface StoredJob {
  id: string;
  data: unknown;
  headers: Headers;
  deliveries: number;
  /** Not deliverable before this time (retry delay). */
  notBefore: number;
  /** Held by a consumer until this time (ack wait); 0 when free. */
  leasedUntil: number;
  lease: number;
  done: boolean;
}

interface QueueState {
  jobs: StoredJob[];
  consumers: Set<MemoryConsumer>;
  /** The ack wait and max deliveries of the queue's consumers (the first consumer sets them, like a durable). */
  ackWaitMs: number;
  maxDeliver: number;
  deadLetterHandlers: Set<(job: Job<unknown>, reason: string) => Promise<void> | void>;
}

export class MemoryBus implements Bus {
  readonly kind = 'memory' as const;
  private readonly subscriptions = new Set<{ pattern: string; handler: (m: Message<unknown>) => void | Promise<void> }>();
  private readonly queues = new Map<string, QueueState>();
  private readonly dedup = new Map<string, number>();
  private readonly dedupWindowMs: number;
  private closed = false;
  private timer: NodeJS.Timeout;

  constructor(options: MemoryBusOptions = {}) {
    this.dedupWindowMs = options.dedupWindowMs ?? 120_000;
    // The clock of ack waits and retry delays: a few ticks a second is enough for both.
    this.timer = setInterval(() => this.pump(), 50);
    this.timer.unref();
  }

  private assertOpen(subject: string): void {
    if (this.closed) throw new BusError('bus.closed', 'the bus is closed', { subject });
  }

  async publish(subject: string, data: unknown, headers?: Headers): Promise<void> {
    this.assertOpen(subject);
    const message: Message<unknown> = { subject, data: structuredClone(data), headers: headers ?? injectTraceContext({}) };
    for (const sub of this.subscriptions) {
      if (!subjectMatches(sub.pattern, subject)) continue;
      // Delivered asynchronously, as over a network: a publisher never runs subscriber code inline.
      queueMicrotask(() => {
        void withSpan('bus.receive', { 'messaging.destination.name': subject }, async () => sub.handler(message), {
          kind: SpanKind.CONSUMER,
        }).catch(() => {});
      });
    }
  }

  /** In one process nothing is ever cut off, so `durable` changes nothing here. */
  async subscribe<T>(
    pattern: string,
    handler: (message: Message<T>) => void | Promise<void>,
    _options: { durable?: boolean } = {},
  ): Promise<Subscription> {
    this.assertOpen(pattern);
    const entry = { pattern, handler: handler as (m: Message<unknown>) => void | Promise<void> };
    this.subscriptions.add(entry);
    return {
      unsubscribe: async () => {
        this.subscriptions.delete(entry);
      },
    };
  }

  private queue(name: string): QueueState {
    let state = this.queues.get(name);
    if (!state) {
      state = {
        jobs: [],
        consumers: new Set(),
        ackWaitMs: defaults.ackWaitMs,
        maxDeliver: defaults.maxDeliver,
        deadLetterHandlers: new Set(),
      };
      this.queues.set(name, state);
    }
    return state;
  }

  async enqueue(queue: string, data: unknown, options: EnqueueOptions = {}): Promise<void> {
    this.assertOpen(queue);
    const now = Date.now();
    for (const [id, at] of this.dedup) if (now - at > this.dedupWindowMs) this.dedup.delete(id);
    const id = options.id ?? randomUUID();
    if (options.id) {
      const key = `${queue}\u0000${options.id}`;
      if (this.dedup.has(key)) return;
      this.dedup.set(key, now);
    }
    this.queue(queue).jobs.push({
      id,
      data: structuredClone(data),
      headers: options.headers ?? injectTraceContext({}),
      deliveries: 0,
      notBefore: 0,
      leasedUntil: 0,
      lease: 0,
      done: false,
    });
    queueMicrotask(() => this.pump());
  }

  async consume<T>(queue: string, handler: JobHandler<T>, options: ConsumeOptions<T> = {}): Promise<JobConsumer> {
    this.assertOpen(queue);
    const state = this.queue(queue);
    if (state.consumers.size === 0) {
      state.ackWaitMs = options.ackWaitMs ?? defaults.ackWaitMs;
      state.maxDeliver = options.maxDeliver ?? defaults.maxDeliver;
    }
    if (options.onDeadLetter) state.deadLetterHandlers.add(options.onDeadLetter as (job: Job<unknown>, reason: string) => void);
    const consumer = new MemoryConsumer(queue, new JobRunner(queue, handler, options) as JobRunner<unknown>);
    state.consumers.add(consumer);
    const unwatch = watchQueue(queue, async () => state.jobs.filter((job) => !job.done).length);
    queueMicrotask(() => this.pump());
    return {
      stop: async ({ graceMs = 30_000 } = {}) => {
        state.consumers.delete(consumer);
        unwatch();
        if (options.onDeadLetter) state.deadLetterHandlers.delete(options.onDeadLetter as (job: Job<unknown>, reason: string) => void);
        await consumer.runner.stop(graceMs);
      },
    };
  }

  /** Hands deliverable jobs to consumers with free slots; expires leases; dead-letters the exhausted. */
  private pump(): void {
    const now = Date.now();
    for (const [queue, state] of this.queues) {
      state.jobs = state.jobs.filter((job) => !job.done);
      for (const job of state.jobs) {
        const leased = job.leasedUntil > now;
        if (leased || job.notBefore > now) continue;
        if (job.leasedUntil !== 0) {
          // The lease ran out with no ack (the consumer died or hung): that delivery is spent.
          job.leasedUntil = 0;
          if (job.deliveries >= state.maxDeliver) {
            void this.deadLetter(queue, state, job, `no ack after ${job.deliveries} deliveries`);
            continue;
          }
        }
        const consumer = [...state.consumers].find((c) => !c.runner.stopping && c.runner.free > 0);
        if (!consumer) break;
        this.deliver(queue, state, job, consumer);
      }
    }
  }

  private deliver(queue: string, state: QueueState, job: StoredJob, consumer: MemoryConsumer): void {
    job.deliveries++;
    job.lease++;
    const lease = job.lease;
    job.leasedUntil = Date.now() + state.ackWaitMs;
    const current = () => job.lease === lease && !job.done;
    const abort = new AbortController();
    const delivery: Delivery<unknown> = {
      abort,
      job: {
        id: job.id,
        queue,
        data: structuredClone(job.data),
        headers: { ...job.headers },
        deliveryCount: job.deliveries,
        signal: abort.signal,
        inProgress: async () => {
          if (current()) job.leasedUntil = Date.now() + state.ackWaitMs;
        },
      },
      ack: () => {
        if (current()) job.done = true;
      },
      nak: (delayMs) => {
        if (!current()) return;
        job.leasedUntil = 0;
        job.notBefore = Date.now() + delayMs;
      },
      deadLetter: async (reason) => {
        if (current()) await this.deadLetter(queue, state, job, reason);
      },
    };
    consumer.runner.run(delivery);
  }

  private async deadLetter(queue: string, state: QueueState, job: StoredJob, reason: string): Promise<void> {
    if (job.done) return;
    job.done = true;
    const dead: Job<unknown> = {
      id: job.id,
      queue,
      data: job.data,
      headers: job.headers,
      deliveryCount: job.deliveries,
      signal: new AbortController().signal,
      inProgress: async () => {},
    };
    countDeadLetter(queue);
    await this.publish(
      this.deadLetterSubject(queue),
      { id: job.id, queue, reason, deliveries: job.deliveries, data: job.data },
      { ...job.headers, 'x-dead-reason': reason },
    );
    for (const handler of state.deadLetterHandlers) await Promise.resolve(handler(dead, reason)).catch(() => {});
  }

  deadLetterSubject(queue: string): string {
    return `dead.${queue}`;
  }

  async ping(): Promise<void> {
    this.assertOpen('');
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.subscriptions.clear();
  }
}

class MemoryConsumer {
  constructor(
    readonly queue: string,
    readonly runner: JobRunner<unknown>,
  ) {}
}
