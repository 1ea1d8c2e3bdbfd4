// Webhooks (issue 6): every video event becomes a signed POST to the URLs its owner registered.
// Every origin node hears every event (bus pub/sub) and enqueues a delivery with an id derived from
// the event, so the catalog stores it once however many nodes heard it; every node then drains the
// shared delivery queue by claiming deliveries under a lease, so a node that dies mid-attempt only
// delays one. Attempts back off exponentially and give up after MAX_ATTEMPTS; the catalog keeps the
// log. Bodies are signed with HMAC-SHA256 of the raw body under the webhook's secret.
import { createHash, createHmac } from 'node:crypto';
import dns from 'node:dns/promises';
import net from 'node:net';
import type { Bus } from '@vought/bus';
import { type Subscription, subjects, type VideoEvent } from '@vought/bus';
import type { Catalog, WebhookDelivery } from '@vought/catalog';
import type { Logger } from '@vought/observability';

export const MAX_ATTEMPTS = 8;
const LEASE_MS = 30_000;
const TIMEOUT_MS = 10_000;

/** `video.status` events are named by their status (`video.ready`, `video.failed`, ...). */
export function eventType(event: VideoEvent): string {
  return event.type === 'video.status' ? `video.${event.status}` : event.type;
}

export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Seconds before attempt n + 1: 5 s, 10 s, 20 s ... capped at an hour. */
export function backoffSeconds(attempts: number): number {
  return Math.min(3600, 5 * 2 ** Math.max(0, attempts - 1));
}

/**
 * Whether an address is loopback, private, link-local or otherwise not on the public internet
 * (RFC 1918, RFC 6890, RFC 4193): webhooks there could probe the network vought runs in (SSRF).
 */
export function isPrivateAddress(address: string): boolean {
  if (address.startsWith('::ffff:')) return isPrivateAddress(address.slice(7));
  if (net.isIPv4(address)) {
    const [a = 0, b = 0] = address.split('.').map(Number);
    return (
      a === 10 ||
      a === 127 ||
      a === 0 ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b <= 127) ||
      a >= 224
    );
  }
  const lower = address.toLowerCase();
  return lower === '::1' || lower === '::' || lower.startsWith('fc') || lower.startsWith('fd') || lower.startsWith('fe80');
}

/** Throws when the URL's host resolves to a private address (unless allowed). */
export async function checkTarget(url: string, allowPrivate: boolean): Promise<void> {
  if (allowPrivate) return;
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  const addresses = net.isIP(host) ? [host] : (await dns.lookup(host, { all: true })).map((a) => a.address);
  if (addresses.some(isPrivateAddress))
    throw new Error(`${host} resolves to a private address; refused (VOUGHT_WEBHOOK_PRIVATE_TARGETS=true allows it in development)`);
}

export class WebhookDispatcher {
  private subscription: Subscription | null = null;
  private timer: NodeJS.Timeout | null = null;
  private draining = false;
  private stopped = false;

  constructor(
    private readonly catalog: Catalog,
    private readonly bus: Bus,
    private readonly logger: Logger,
    private readonly allowPrivateTargets = false,
    private readonly pollMs = 1000,
  ) {}

  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe<VideoEvent>(subjects.allVideoEvents, ({ data }) => this.enqueue(data));
    this.timer = setInterval(() => void this.drain(), this.pollMs);
    this.timer.unref();
  }

  private async enqueue(event: VideoEvent): Promise<void> {
    if (!event?.videoId || event.type === 'video.progress') return; // progress is for live UIs (SSE), not webhooks
    try {
      const video = await this.catalog.findVideo(event.videoId);
      const owner = video?.owner;
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
      await checkTarget(hook.url, this.allowPrivateTargets);
      const res = await fetch(hook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'vought-webhooks/1',
          'x-vought-event': String(delivery.event.event ?? ''),
          'x-vought-delivery': delivery.id,
          'x-vought-signature': signature(hook.secret, body),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status < 200 || res.status >= 300) error = `answered ${res.status}`;
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
  }
}
