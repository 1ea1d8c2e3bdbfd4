// @vought/bus: the message port (bus-types.ts), its errors (bus-error.ts), the adapters
// (memory-bus.ts, nats-bus.ts), createBus, and the messages vought sends (messages.ts).
import type { Bus } from './bus-types.ts';
import { MemoryBus } from './memory-bus.ts';
import { NatsBus } from './nats-bus.ts';

export { BusError, type BusErrorCode, PermanentJobError } from './bus-error.ts';
export { busMetrics } from './bus-metrics.ts';
export type {
  Bus,
  ConsumeOptions,
  EnqueueOptions,
  Headers,
  Job,
  JobConsumer,
  JobHandler,
  Message,
  Subscription,
} from './bus-types.ts';
export type { MemoryBusOptions } from './memory-bus.ts';
export type { NatsBusOptions } from './nats-bus.ts';
export { subjectMatches } from './subject-matcher.ts';
export { MemoryBus, NatsBus };

/** The in-process bus, or NATS JetStream when a URL is configured. */
export async function createBus(options: { natsUrl: string | undefined; name: string; namespace?: string }): Promise<Bus> {
  if (!options.natsUrl) return new MemoryBus();
  return NatsBus.connect({ servers: options.natsUrl, name: options.name, ...(options.namespace ? { namespace: options.namespace } : {}) });
}
export {
  type EncodeJob,
  EncodeJobSchema,
  type Invalidation,
  InvalidationSchema,
  readMessage,
  subjects,
  VIDEO_STATUSES,
  type VideoEvent,
  VideoEventSchema,
  type VideoStatus,
  videoOfSurrogateKey,
  videoSurrogateKey,
} from './messages.ts';
