// The message port. Three kinds of traffic (ARCHITECTURE.md, "Messages"):
//  - work queues (`jobs.encode`): durable, each job to one consumer, ack on completion, in-progress
//    heartbeats, redelivery after the ack wait, bounded deliveries, then a dead letter;
//  - events (`events.video.{id}`) and invalidations (`cdn.invalidate`): publish/subscribe, every
//    subscriber gets every message.
// Adapters: memory-bus.ts (in-process, embedded default) and nats-bus.ts (NATS JetStream).
// W3C trace context travels in `headers` (traceparent, tracestate).

export type Headers = Record<string, string>;

export interface Message<T = unknown> {
  subject: string;
  data: T;
  headers: Headers;
}

export interface Subscription {
  unsubscribe(): Promise<void>;
}

export interface Job<T = unknown> {
  /** Stable id of the job (the dedup id given at enqueue, or one generated). */
  id: string;
  queue: string;
  data: T;
  headers: Headers;
  /** 1 on first delivery. */
  deliveryCount: number;
  /** Heartbeat: resets the ack-wait timer for a long-running job. */
  inProgress(): Promise<void>;
  /** Aborted when the consumer stops and the grace period is over: the job is then nak'ed for redelivery. */
  signal: AbortSignal;
}

export interface EnqueueOptions {
  /** Deduplication id: enqueueing the same id twice within the dedup window delivers once. */
  id?: string;
  headers?: Headers;
}

export interface ConsumeOptions<T> {
  /** Jobs handled at once by this consumer. */
  concurrency?: number;
  /** Without a heartbeat or an ack for this long, the job is redelivered (elsewhere). */
  ackWaitMs?: number;
  /** Deliveries before the job is dead-lettered. */
  maxDeliver?: number;
  /** Delay before a failed job is redelivered. */
  retryDelayMs?: number;
  /**
   * Called once when a job exhausts its deliveries (its handler threw on the last one, or the
   * consumer holding it died). The job is then on `dead.{queue}` and never redelivered.
   */
  onDeadLetter?: (job: Job<T>, reason: string) => Promise<void> | void;
}

export interface JobConsumer {
  /** Stops taking jobs. Jobs in hand: their handlers finish (drain) or, after `graceMs`, are nak'ed for redelivery. */
  stop(options?: { graceMs?: number }): Promise<void>;
}

/**
 * Handler outcome: resolve → ack. Throw → nak (redelivered after retryDelayMs) until maxDeliver,
 * then dead letter. Throw a `PermanentJobError` → dead letter at once (bad input never heals).
 */
export type JobHandler<T> = (job: Job<T>) => Promise<void>;

export interface Bus {
  readonly kind: 'memory' | 'nats';
  /** Fire-and-forget publish to every current subscriber. */
  publish(subject: string, data: unknown, headers?: Headers): Promise<void>;
  /**
   * `pattern` uses NATS wildcards: `events.video.*`, `events.>`. With `durable`, messages on
   * broadcast subjects (`cdn.>`: invalidations) published while this subscriber was cut off from the
   * bus (an outage, a reconnect) are still delivered once it is back, in order.
   */
  subscribe<T = unknown>(
    pattern: string,
    handler: (message: Message<T>) => void | Promise<void>,
    options?: { durable?: boolean },
  ): Promise<Subscription>;
  enqueue(queue: string, data: unknown, options?: EnqueueOptions): Promise<void>;
  consume<T = unknown>(queue: string, handler: JobHandler<T>, options?: ConsumeOptions<T>): Promise<JobConsumer>;
  /** Where a queue's dead letters are published (subscribe to inspect or alert). */
  deadLetterSubject(queue: string): string;
  ping(): Promise<void>;
  close(): Promise<void>;
}
