// NATS JetStream through the maintained v3 clients (@nats-io/transport-node, @nats-io/jetstream).
// - Work queues: stream `{ns}JOBS` (WorkQueue retention, file storage, 2 min dedup window) on
//   subjects `{ns.}jobs.{queue}`; a durable pull consumer `{queue}-workers` per queue, fetched in
//   batches of exactly the free slots, so no job waits in a local buffer while its ack wait runs.
// - Dead letters: stream `{ns}DEAD` (Limits retention: kept for inspection) on `{ns.}dead.{queue}`.
//   A handler failing its last delivery publishes there and terms the message; a consumer that died
//   holding a job on its last delivery is caught by the server's MAX_DELIVERIES advisory.
// - Events and invalidations: core NATS publish/subscribe, JSON bodies, headers as given.
import { randomUUID } from 'node:crypto';
import {
  AckPolicy,
  type Consumer,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { type MsgHdrs, type NatsConnection, nanos, headers as natsHeaders } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { injectTraceContext, SpanKind, withSpan } from '@vought/observability';
import { BusError } from './bus-error.ts';
import { countDeadLetter, watchQueue } from './bus-metrics.ts';
import type { Bus, ConsumeOptions, EnqueueOptions, Headers, Job, JobConsumer, JobHandler, Message, Subscription } from './bus-types.ts';
import { type Delivery, defaults, JobRunner } from './job-runner.ts';

export interface NatsBusOptions {
  servers: string | string[];
  name: string;
  /** Prefix of stream names and job subjects; tests use a random one. Default: none (`jobs.encode`). */
  namespace?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function toHeaders(h: MsgHdrs | undefined): Headers {
  const out: Headers = {};
  if (!h) return out;
  for (const [key, values] of h) if (values[0] !== undefined) out[key.toLowerCase()] = values[0];
  return out;
}

function fromHeaders(h: Headers): MsgHdrs {
  const out = natsHeaders();
  for (const [key, value] of Object.entries(h)) out.set(key, value);
  return out;
}

export class NatsBus implements Bus {
  readonly kind = 'nats' as const;
  private readonly consumers = new Set<{ stop: (o?: { graceMs?: number }) => Promise<void> }>();
  private readonly ensured = new Map<string, Promise<void>>();

  private constructor(
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    private readonly ns: string,
    /** Called after every reconnect (see connect). */
    private readonly reconnected: Set<() => void> = new Set(),
  ) {}

  static async connect(options: NatsBusOptions): Promise<NatsBus> {
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: options.servers,
        name: options.name,
        // Reconnect forever: NATS coming back must heal the node by itself.
        maxReconnectAttempts: -1,
        reconnectTimeWait: 1000,
        timeout: 3000,
      });
    } catch (error) {
      throw new BusError('bus.unavailable', `cannot connect to NATS: ${(error as Error).message}`, {}, { cause: error });
    }
    // Status events (disconnect, reconnect) are read here, once (two readers of nc.status() would
    // split the events between them), and handed to whoever registered for them.
    const reconnected = new Set<() => void>();
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === 'reconnect') for (const listener of reconnected) listener();
      }
    })().catch(() => {});
    const jsm = await jetstreamManager(nc).catch((error: Error) => {
      void nc.close();
      throw new BusError('bus.unavailable', `NATS has no JetStream: ${error.message}`, {}, { cause: error });
    });
    const ns = options.namespace ? options.namespace.replace(/[^A-Za-z0-9_-]/g, '_') : '';
    return new NatsBus(nc, jetstream(nc), jsm, ns, reconnected);
  }

  private get jobsStream(): string {
    return `${this.ns}JOBS`;
  }

  /**
   * Broadcast subjects (`cdn.>`) are kept for an hour in one stream shared by every namespace, so a
   * subscriber cut off by an outage replays what it missed (an ordered consumer resumes from the
   * last message it saw). Publishers keep publishing plain NATS messages: the stream captures them,
   * and the client holds them while reconnecting.
   */
  private readonly broadcastStream = 'VOUGHT_BROADCAST';

  private get deadStream(): string {
    return `${this.ns}DEAD`;
  }

  deadLetterSubject(queue: string): string {
    return this.subject('dead', queue);
  }

  private subject(kind: 'jobs' | 'dead', queue: string): string {
    return `${this.ns ? `${this.ns}.` : ''}${kind}.${queue}`;
  }

  /** Creates (or updates) the streams once per process. */
  private ensureStreams(): Promise<void> {
    const key = 'streams';
    let ensured = this.ensured.get(key);
    if (!ensured) {
      ensured = (async () => {
        const prefix = this.ns ? `${this.ns}.` : '';
        await this.upsertStream({
          name: this.jobsStream,
          subjects: [`${prefix}jobs.>`],
          retention: RetentionPolicy.Workqueue,
          storage: StorageType.File,
          duplicate_window: nanos(120_000),
        });
        await this.upsertStream({
          name: this.broadcastStream,
          subjects: ['cdn.>'],
          retention: RetentionPolicy.Limits,
          duplicate_window: nanos(120_000),
          storage: StorageType.File,
          max_age: nanos(3600 * 1000),
        });
        await this.upsertStream({
          name: this.deadStream,
          subjects: [`${prefix}dead.>`],
          retention: RetentionPolicy.Limits,
          storage: StorageType.File,
          max_age: nanos(14 * 24 * 3600 * 1000),
        });
      })();
      ensured.catch(() => this.ensured.delete(key));
      this.ensured.set(key, ensured);
    }
    return ensured;
  }

  private async upsertStream(config: Parameters<JetStreamManager['streams']['add']>[0] & { name: string }): Promise<void> {
    try {
      await this.jsm.streams.info(config.name);
      await this.jsm.streams.update(config.name, config);
    } catch (error) {
      if (!/not found/i.test((error as Error).message)) throw error;
      await this.jsm.streams.add(config).catch(async (e: Error) => {
        // Another process created it between our info and add: fine.
        if (!/already in use|exists/i.test(e.message)) throw e;
      });
    }
  }

  /**
   * Broadcasts (invalidations) waiting for JetStream's acknowledgement, in order. A plain publish
   * during an outage was lost (the client's buffer went out before JetStream was back); these are
   * retried until the stream has them, so a change made during an outage reaches every node once
   * the bus returns (as long as this process lives).
   */
  private readonly outbox: Array<{ subject: string; payload: Uint8Array; headers: MsgHdrs; id: string }> = [];
  private flushing: Promise<void> | null = null;

  private flushOutbox(): Promise<void> {
    this.flushing ??= (async () => {
      try {
        while (this.outbox.length && !this.nc.isClosed()) {
          const message = this.outbox[0] as (typeof this.outbox)[number];
          try {
            await this.ensureStreams();
            await this.js.publish(message.subject, message.payload, { headers: message.headers, msgID: message.id, timeout: 2000 });
            this.outbox.shift();
          } catch {
            await new Promise((r) => setTimeout(r, 1000));
          }
        }
      } finally {
        this.flushing = null;
      }
    })();
    return this.flushing;
  }

  get pendingBroadcasts(): number {
    return this.outbox.length;
  }

  async publish(subject: string, data: unknown, headers?: Headers): Promise<void> {
    if (this.nc.isClosed()) throw new BusError('bus.closed', 'the bus is closed', { subject });
    if (subject.startsWith('cdn.')) {
      const hdrs = fromHeaders(headers ?? injectTraceContext({}));
      this.outbox.push({ subject, payload: encoder.encode(JSON.stringify(data)), headers: hdrs, id: randomUUID() });
      // wait a moment for the acknowledgement when the bus is up; during an outage it stays queued
      await Promise.race([this.flushOutbox(), new Promise((r) => setTimeout(r, 2000).unref())]);
      return;
    }
    await withSpan(
      'bus.publish',
      { 'messaging.destination.name': subject },
      async () => {
        this.nc.publish(subject, encoder.encode(JSON.stringify(data)), { headers: fromHeaders(headers ?? injectTraceContext({})) });
      },
      { kind: SpanKind.PRODUCER },
    );
  }

  async subscribe<T>(
    pattern: string,
    handler: (message: Message<T>) => void | Promise<void>,
    options: { durable?: boolean } = {},
  ): Promise<Subscription> {
    if (options.durable && pattern.startsWith('cdn.')) return this.subscribeDurable(pattern, handler);
    const sub = this.nc.subscribe(pattern, {
      callback: (error, msg) => {
        if (error) return;
        let data: T;
        try {
          data = JSON.parse(decoder.decode(msg.data)) as T;
        } catch {
          return; // not JSON: not one of ours; skipped
        }
        void Promise.resolve(handler({ subject: msg.subject, data, headers: toHeaders(msg.headers) })).catch(() => {});
      },
    });
    // Make sure the server knows the subscription before the caller publishes.
    await this.nc.flush();
    return { unsubscribe: async () => sub.unsubscribe() };
  }

  /**
   * A consumer on the broadcast stream from now on that picks up where it left off after a
   * reconnect or a server restart: it remembers the stream sequence of the last message it handled
   * and, on every reconnect, starts a new consumer at the next one (the client library's ordered
   * consumer restarted "from now" after a forced reconnect and lost what was published meanwhile).
   */
  private async subscribeDurable<T>(pattern: string, handler: (message: Message<T>) => void | Promise<void>): Promise<Subscription> {
    await this.ensureStreams();
    let next = (await this.jsm.streams.info(this.broadcastStream)).state.last_seq + 1;
    const current: { messages: { close(): Promise<unknown> } | null } = { messages: null };
    let closed = false;
    let started!: () => void;
    const first = new Promise<void>((resolve) => {
      started = resolve;
    });
    // A supervisor: whenever the consumer's iterator ends (a reconnect closed it below, the server
    // restarted and forgot it, heartbeats stopped), a new one starts at the next unseen message.
    void (async () => {
      for (let attempt = 0; !closed; attempt++) {
        try {
          const consumer = await this.js.consumers.get(this.broadcastStream, {
            filter_subjects: pattern, // one subject: also for servers before 2.10 (Debian's)
            deliver_policy: DeliverPolicy.StartSequence,
            opt_start_seq: next,
          });
          const messages = await consumer.consume({ expires: 2000, idle_heartbeat: 1000 });
          current.messages = messages;
          started();
          // a consumer the server forgot (restart) stops sending heartbeats: end it, start anew
          void (async () => {
            for await (const status of messages.status()) {
              if (status.type === 'heartbeats_missed' || status.type === 'consumer_deleted' || status.type === 'consumer_not_found')
                await messages.close().catch(() => undefined);
            }
          })().catch(() => {});
          attempt = 0;
          for await (const msg of messages) {
            next = msg.info.streamSequence + 1;
            let data: T;
            try {
              data = JSON.parse(decoder.decode(msg.data)) as T;
            } catch {
              continue; // not JSON: not one of ours
            }
            await Promise.resolve(handler({ subject: msg.subject, data, headers: toHeaders(msg.headers) })).catch(() => {});
          }
        } catch {
          // the server is away or JetStream not back yet: try again shortly
        }
        if (!closed) await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** Math.min(attempt, 5))));
      }
    })();
    // after a reconnect the old consumer may be gone or stalled: end it, the supervisor restarts it
    const onReconnect = () => void current.messages?.close().catch(() => undefined);
    this.reconnected.add(onReconnect);
    await first;
    return {
      unsubscribe: async () => {
        closed = true;
        this.reconnected.delete(onReconnect);
        await current.messages?.close().catch(() => undefined);
      },
    };
  }

  async enqueue(queue: string, data: unknown, options: EnqueueOptions = {}): Promise<void> {
    await this.ensureStreams();
    const subject = this.subject('jobs', queue);
    await withSpan(
      'bus.enqueue',
      { 'messaging.destination.name': subject },
      async () => {
        const headers = options.headers ?? injectTraceContext({});
        try {
          await this.js.publish(subject, encoder.encode(JSON.stringify(data)), {
            headers: fromHeaders(headers),
            msgID: options.id ?? randomUUID(),
          });
        } catch (error) {
          throw new BusError('bus.unavailable', `cannot enqueue on ${subject}: ${(error as Error).message}`, { subject }, { cause: error });
        }
      },
      { kind: SpanKind.PRODUCER },
    );
  }

  async consume<T>(queue: string, handler: JobHandler<T>, options: ConsumeOptions<T> = {}): Promise<JobConsumer> {
    await this.ensureStreams();
    const durable = `${queue}-workers`;
    const maxDeliver = options.maxDeliver ?? defaults.maxDeliver;
    const ackWaitMs = options.ackWaitMs ?? defaults.ackWaitMs;
    const config = {
      durable_name: durable,
      filter_subject: this.subject('jobs', queue),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(ackWaitMs),
      max_deliver: maxDeliver,
      max_ack_pending: 10_000,
    };
    try {
      await this.jsm.consumers.info(this.jobsStream, durable);
      await this.jsm.consumers.update(this.jobsStream, durable, {
        ack_wait: config.ack_wait,
        max_deliver: maxDeliver,
        max_ack_pending: config.max_ack_pending,
      });
    } catch (error) {
      if (!/not found/i.test((error as Error).message)) throw error;
      await this.jsm.consumers.add(this.jobsStream, config);
    }
    const consumer: Consumer = await this.js.consumers.get(this.jobsStream, durable);
    const runner = new JobRunner<T>(queue, handler, options);
    const unwatch = watchQueue(queue, async () => {
      const info = await this.jsm.consumers.info(this.jobsStream, durable);
      return info.num_pending + info.num_ack_pending;
    });

    const deadLetter = async (job: Job<T>, reason: string, data: unknown) => {
      await this.js.publish(
        this.subject('dead', queue),
        encoder.encode(JSON.stringify({ id: job.id, queue, reason, deliveries: job.deliveryCount, data })),
        {
          headers: fromHeaders({ ...job.headers, 'x-dead-reason': reason.slice(0, 1000) }),
        },
      );
      countDeadLetter(queue);
      await Promise.resolve(options.onDeadLetter?.(job, reason)).catch(() => {});
    };

    const toJob = (msg: JsMsg, data: T, abort: AbortController): Job<T> => {
      const headers = toHeaders(msg.headers);
      return {
        id: headers['nats-msg-id'] ?? `${this.jobsStream}:${msg.seq}`,
        queue,
        data,
        headers,
        deliveryCount: msg.info.deliveryCount,
        signal: abort.signal,
        inProgress: async () => msg.working(),
      };
    };

    // The server gives up on a job whose last delivery was never acknowledged (its consumer died):
    // the advisory names it; one consumer instance (queue group) moves it to the dead letter.
    const advisory = this.nc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${this.jobsStream}.${durable}`, {
      queue: `${durable}-dlq`,
      callback: (error, msg) => {
        if (error) return;
        void (async () => {
          const event = JSON.parse(decoder.decode(msg.data)) as { stream_seq: number; deliveries: number };
          const stored = await this.jsm.streams.getMessage(this.jobsStream, { seq: event.stream_seq }).catch(() => null);
          if (!stored) return; // already handled (termed by a handler, or by another instance)
          let data: unknown = null;
          try {
            data = JSON.parse(decoder.decode(stored.data));
          } catch {
            data = null;
          }
          const headers = toHeaders(stored.header);
          const job: Job<T> = {
            id: headers['nats-msg-id'] ?? `${this.jobsStream}:${event.stream_seq}`,
            queue,
            data: data as T,
            headers,
            deliveryCount: event.deliveries,
            signal: new AbortController().signal,
            inProgress: async () => {},
          };
          const deleted = await this.jsm.streams.deleteMessage(this.jobsStream, event.stream_seq).catch(() => false);
          if (deleted)
            await deadLetter(job, `no ack after ${event.deliveries} deliveries (the consumer holding it stopped answering)`, data);
        })().catch(() => {});
      },
    });

    let running = true;
    const loop = (async () => {
      while (running) {
        await runner.slot();
        if (!running) break;
        let batch: Awaited<ReturnType<Consumer['fetch']>>;
        try {
          batch = await consumer.fetch({ max_messages: runner.free, expires: 1000 });
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 500));
          continue;
        }
        try {
          for await (const msg of batch) {
            if (!running) {
              msg.nak();
              continue;
            }
            let data: T;
            try {
              data = JSON.parse(decoder.decode(msg.data)) as T;
            } catch {
              // Malformed job: it can never succeed; dead-letter it at once.
              const abort = new AbortController();
              await deadLetter(toJob(msg, null as T, abort), 'malformed job payload (not JSON)', decoder.decode(msg.data).slice(0, 1000));
              msg.term('malformed');
              continue;
            }
            const abort = new AbortController();
            const job = toJob(msg, data, abort);
            let settled = false;
            const once = (fn: () => void) => {
              if (settled) return;
              settled = true;
              fn();
            };
            const delivery: Delivery<T> = {
              job,
              abort,
              ack: () => once(() => msg.ack()),
              nak: (delayMs) => once(() => msg.nak(delayMs)),
              deadLetter: async (reason) => {
                if (settled) return;
                settled = true;
                await deadLetter(job, reason, data);
                msg.term(reason.slice(0, 200));
              },
            };
            runner.run(delivery);
          }
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    })();

    const handle = {
      stop: async ({ graceMs = 30_000 }: { graceMs?: number } = {}) => {
        running = false;
        unwatch();
        const stopped = runner.stop(graceMs);
        await loop.catch(() => {});
        advisory.unsubscribe();
        await stopped;
        this.consumers.delete(handle);
      },
    };
    this.consumers.add(handle);
    return handle;
  }

  /** Deletes this namespace's streams (tests). */
  async destroy(): Promise<void> {
    for (const stream of [this.jobsStream, this.deadStream]) await this.jsm.streams.delete(stream).catch(() => {});
  }

  async ping(): Promise<void> {
    if (this.nc.isClosed()) throw new BusError('bus.closed', 'the NATS connection is closed');
    try {
      await this.nc.flush();
      await this.jsm.getAccountInfo();
    } catch (error) {
      throw new BusError('bus.unavailable', `NATS does not answer: ${(error as Error).message}`, {}, { cause: error });
    }
  }

  async close(): Promise<void> {
    for (const consumer of [...this.consumers]) await consumer.stop({ graceMs: 5_000 });
    if (!this.nc.isClosed()) await this.nc.drain().catch(() => this.nc.close());
  }
}
