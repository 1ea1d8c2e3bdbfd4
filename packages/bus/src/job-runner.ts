// What both adapters share about running jobs: the concurrency cap, the outcome of a handler
// (ack, nak for a retry, or dead letter), and stopping with a grace period. The adapters only say
// how a delivery is acknowledged on their transport.
import { extractTraceContext, SpanKind, withSpan } from '@vought/observability';
import { PermanentJobError } from './bus-error.ts';
import type { ConsumeOptions, Job, JobHandler } from './bus-types.ts';

export interface Delivery<T> {
  job: Job<T>;
  /** Aborts the job's signal (stop past grace). */
  abort: AbortController;
  ack(): Promise<void> | void;
  nak(delayMs: number): Promise<void> | void;
  /** Moves the job to the dead letter with the reason, and stops its redelivery. */
  deadLetter(reason: string): Promise<void>;
}

export const defaults = { concurrency: 1, ackWaitMs: 30_000, maxDeliver: 5, retryDelayMs: 1_000 } as const;

export class JobRunner<T> {
  private readonly inFlight = new Set<Delivery<T>>();
  private readonly waiters: Array<() => void> = [];
  private readonly concurrency: number;
  private readonly maxDeliver: number;
  private readonly retryDelayMs: number;
  stopping = false;

  constructor(
    private readonly queue: string,
    private readonly handler: JobHandler<T>,
    options: ConsumeOptions<T>,
  ) {
    this.concurrency = Math.max(1, options.concurrency ?? defaults.concurrency);
    this.maxDeliver = Math.max(1, options.maxDeliver ?? defaults.maxDeliver);
    this.retryDelayMs = options.retryDelayMs ?? defaults.retryDelayMs;
  }

  get free(): number {
    return this.concurrency - this.inFlight.size;
  }

  /** Resolves when a slot is free. */
  async slot(): Promise<void> {
    while (this.free <= 0 && !this.stopping) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  run(delivery: Delivery<T>): void {
    this.inFlight.add(delivery);
    void this.execute(delivery).finally(() => {
      this.inFlight.delete(delivery);
      this.waiters.shift()?.();
    });
  }

  private async execute(delivery: Delivery<T>): Promise<void> {
    const { job } = delivery;
    let outcome: { kind: 'ack' } | { kind: 'retry'; reason: string } | { kind: 'dead'; reason: string };
    try {
      await withSpan(
        'bus.consume',
        { 'messaging.destination.name': this.queue, 'messaging.message.id': job.id, 'messaging.delivery_count': job.deliveryCount },
        () => this.handler(job),
        { kind: SpanKind.CONSUMER, parent: extractTraceContext(job.headers) },
      );
      outcome = { kind: 'ack' };
    } catch (error) {
      const reason = (error as Error)?.message ?? String(error);
      if (delivery.abort.signal.aborted) outcome = { kind: 'retry', reason: 'consumer stopped' };
      else if (error instanceof PermanentJobError) outcome = { kind: 'dead', reason };
      else if (job.deliveryCount >= this.maxDeliver)
        outcome = { kind: 'dead', reason: `failed ${job.deliveryCount} deliveries; last: ${reason}` };
      else outcome = { kind: 'retry', reason };
    }
    // Stopped past grace (aborted), or failed while this consumer stops (its ffmpeg got the same
    // Ctrl-C, say): another consumer takes it now, not after the retry delay.
    if (outcome.kind !== 'ack' && (delivery.abort.signal.aborted || (this.stopping && outcome.kind === 'retry'))) {
      await delivery.nak(0);
      return;
    }
    if (outcome.kind === 'ack') await delivery.ack();
    else if (outcome.kind === 'retry') await delivery.nak(this.retryDelayMs);
    else await delivery.deadLetter(outcome.reason);
  }

  /** Stops: in-flight jobs get `graceMs` to finish, then their signals abort and they are nak'ed. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    for (const waiter of this.waiters.splice(0)) waiter();
    const drained = this.drained();
    const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
    if ((await Promise.race([drained.then(() => 'done' as const), timer])) === 'timeout') {
      for (const delivery of this.inFlight) delivery.abort.abort(new Error('consumer stopped'));
      // Give handlers a moment to notice the abort; their deliveries are nak'ed as they return.
      await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
      for (const delivery of this.inFlight) await delivery.nak(0);
    }
  }

  private async drained(): Promise<void> {
    while (this.inFlight.size > 0) await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
