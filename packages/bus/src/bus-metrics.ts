// bus_queue_pending{queue}: jobs waiting or in progress on a work queue, as its consumers see it
// (NATS: the durable consumer's num_pending + num_ack_pending; in process: the queue's jobs not yet
// acknowledged), read on scrape. bus_dead_letters_total{queue}: jobs moved to the dead letter (a
// handler's last failure, a permanent error, or the server's MAX_DELIVERIES advisory). One set per
// process, registered on the service's registry by @vought/runtime (addAdapterMetrics).
import { Counter, Gauge, type SharedMetric } from '@vought/observability';

interface PendingSource {
  queue: string;
  pending(): Promise<number>;
}

const sources = new Set<PendingSource>();
/** A scrape waits this long for a queue's count; past it the queue is left out of that scrape. */
const PENDING_TIMEOUT_MS = 2_000;

const queuePending = new Gauge({
  name: 'bus_queue_pending',
  help: 'Jobs on a work queue not yet acknowledged (waiting or in progress), as seen by its consumers in this process',
  labelNames: ['queue'] as const,
  registers: [],
  async collect() {
    const counts = new Map<string, number>();
    await Promise.all(
      [...sources].map(async (source) => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), PENDING_TIMEOUT_MS);
          timer.unref();
        });
        const count = await Promise.race([source.pending().catch(() => undefined), timeout]).finally(() => clearTimeout(timer));
        if (count !== undefined) counts.set(source.queue, count);
      }),
    );
    this.reset();
    for (const [queue, count] of counts) this.set({ queue }, count);
  },
});

const deadLetters = new Counter({
  name: 'bus_dead_letters_total',
  help: 'Jobs moved to the dead letter, by queue',
  labelNames: ['queue'] as const,
  registers: [],
});

/** A consumer reports its queue's depth on scrape until the returned function is called. */
export function watchQueue(queue: string, pending: () => Promise<number>): () => void {
  const source = { queue, pending };
  sources.add(source);
  return () => {
    sources.delete(source);
  };
}

export function countDeadLetter(queue: string): void {
  deadLetters.inc({ queue });
}

export const busMetrics: readonly SharedMetric[] = [
  { name: 'bus_queue_pending', metric: queuePending },
  { name: 'bus_dead_letters_total', metric: deadLetters },
];
