// Webhooks: every video event becomes a signed POST to the URLs its owner registered.
// Every origin node hears every event (bus pub/sub) and enqueues a delivery with an id derived from
// the event, so the catalog stores it once however many nodes heard it; every node then drains the
// shared delivery queue by claiming deliveries under a lease, so a node that dies mid-attempt only
// delays one. Attempts back off exponentially and give up after MAX_ATTEMPTS; the catalog keeps the
// log. Bodies are signed with a timestamp (webhook-signature.ts); deliveries connect only to
// addresses checked at connection time (webhook-target.ts). docs/webhooks.md is the receiver's view.
import { createHash } from 'node:crypto';
import type { Bus } from '@vought/bus';
import { readMessage, type Subscription, subjects, type VideoEvent, VideoEventSchema } from '@vought/bus';
import type { Catalog, WebhookDelivery } from '@vought/catalog';
import type { Logger } from '@vought/observability';
import { type Agent, request } from 'undici';
import { SIGNATURE_HEADER, signWebhook } from './webhook-signature.ts';
import { type Resolver, systemResolver, webhookAgent } from './webhook-target.ts';

// The registration route (api-routes.ts) imports the target check from here.
export { checkTarget } from './webhook-target.ts';

export const MAX_ATTEMPTS = 8;
const LEASE_MS = 30_000;
const TIMEOUT_MS = 10_000;

/** `video.status` events are named by their status (`video.ready`, `video.failed`, ...). */
export function eventType(event: VideoEvent): string {
  return event.type === 'video.status' ? `video.${event.status}` : event.type;
}

/** Seconds before attempt n + 1: 5 s, 10 s, 20 s ... capped at an hour. */
export function backoffSeconds(attempts: number): number {
  return Math.min(3600, 5 * 2 ** Math.max(0, attempts - 1));
}

export class WebhookDispatcher {
  private subscription: Subscription | null = null;
  private timer: NodeJS.Timeout | null = null;
  private draining = false;
  private stopped = false;
  private readonly agent: Agent;

  /** `resolve` is for tests: a resolver whose answers change between calls emulates DNS rebinding. */
  constructor(
    private readonly catalog: Catalog,
    private readonly bus: Bus,
    private readonly logger: Logger,
    allowPrivateTargets = false,
    private readonly pollMs = 1000,
    resolve: Resolver = systemResolver,
  ) {
    this.agent = webhookAgent({ allowPrivate: allowPrivateTargets, resolve, connectTimeoutMs: TIMEOUT_MS });
  }

  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe<VideoEvent>(subjects.allVideoEvents, ({ data }) => {
      const read = readMessage(VideoEventSchema, data);
      if (read.ok) return this.enqueue(read.value);
      this.logger.warn({ err: read.error }, 'malformed video event ignored');
    });
    this.timer = setInterval(() => void this.drain(), this.pollMs);
    this.timer.unref();
  }

  private async enqueue(event: VideoEvent): Promise<void> {
    if (!event?.videoId || event.type === 'video.progress') return; // progress is for live UIs (SSE), not webhooks
    try {
      const video = await this.catalog.findVideo(event.videoId);
      const owner = video?.owner ?? (event.type === 'video.status' && event.status === 'deleted' ? event.owner : undefined);
      const type = eventType(event);
      const hooks = owner ? await this.catalog.webhooks.webhooksFor(type, owner) : [];
      for (const hook of hooks) {
        const id = createHash('sha256')
          .update(`${hook.id}|${JSON.stringify(event)}`)
          .digest('base64url')
          .slice(0, 24);
        await this.catalog.webhooks
          .enqueueDelivery({ id, webhookId: hook.id, event: { ...event, event: type } as unknown as Record<string, unknown> })
          .catch((error: { code?: string }) => {
            if (error.code !== 'catalog.conflict') throw error; // another node enqueued it first
          });
      }
      if (hooks.length) void this.drain();
    } catch (error) {
      this.logger.warn({ err: (error as Error).message, video_id: event.videoId }, 'webhook enqueue failed');
    }
  }

  /** Claims due deliveries and attempts them. */
  async drain(): Promise<void> {
    if (this.draining || this.stopped) return;
    this.draining = true;
    try {
      for (;;) {
        const batch = await this.catalog.webhooks.claimDeliveries({ limit: 20, leaseMs: LEASE_MS });
        if (!batch.length) return;
        await Promise.all(batch.map((d) => this.attempt(d)));
      }
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'webhook drain failed');
    } finally {
      this.draining = false;
    }
  }

  private async attempt(delivery: WebhookDelivery): Promise<void> {
    const hook = await this.catalog.webhooks.getWebhook(delivery.webhookId).catch(() => null);
    if (!hook) return;
    const body = JSON.stringify({ id: delivery.id, ...delivery.event });
    let error: string | null = null;
    try {
      // undici's request never follows redirects: a 3xx is a failed attempt, so a receiver cannot
      // bounce a delivery to an address it could not register.
      const res = await request(hook.url, {
        dispatcher: this.agent,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'vought-webhooks/1',
          'x-vought-event': String(delivery.event.event ?? ''),
          'x-vought-delivery': delivery.id,
          [SIGNATURE_HEADER]: signWebhook(hook.secret, body),
        },
        body,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      await res.body.dump().catch(() => undefined);
      if (res.statusCode < 200 || res.statusCode >= 300) error = `answered ${res.statusCode}`;
    } catch (e) {
      error = (e as Error).message;
    }
    if (!error) {
      await this.catalog.webhooks.recordAttempt(delivery.id, { delivered: true });
      return;
    }
    const retryAt =
      delivery.attempts >= MAX_ATTEMPTS ? null : new Date(Date.now() + backoffSeconds(delivery.attempts) * 1000).toISOString();
    await this.catalog.webhooks.recordAttempt(delivery.id, { delivered: false, error, retryAt });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.subscription?.unsubscribe();
    await this.agent.close();
  }
}
