// Checks on webhooks and deliveries, the same for both engines.
import { CatalogError } from './catalog-error.ts';
import type { NewDelivery, NewWebhook } from './catalog-types.ts';
import { checkTimestamp } from './timestamp.ts';
import { ID } from './video-validation.ts';

const EVENT_TYPE = /^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*)$/;
const MAX_EVENTS = 50;
const MAX_URL = 2048;
const MAX_SECRET = 512;
const MAX_ERROR = 2000;

function invalid(message: string, field: string): never {
  throw new CatalogError('catalog.invalid', message, { parameter: field });
}

export function checkId(id: unknown, field = 'id'): asserts id is string {
  if (typeof id !== 'string' || !ID.test(id)) invalid(`${field} must be 1-64 characters of A-Z a-z 0-9 _ -`, field);
}

export function checkNewWebhook(hook: NewWebhook): void {
  if (typeof hook !== 'object' || hook === null) invalid('webhook must be an object', 'webhook');
  checkId(hook.id);
  if (typeof hook.owner !== 'string' || !hook.owner || hook.owner.length > 200 || hook.owner.includes('\u0000'))
    invalid('owner is required (at most 200 characters)', 'owner');
  let url: URL | null = null;
  try {
    url = typeof hook.url === 'string' && hook.url.length <= MAX_URL ? new URL(hook.url) : null;
  } catch {
    url = null;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password)
    invalid(`url must be an http(s) URL without credentials, at most ${MAX_URL} characters`, 'url');
  if (typeof hook.secret !== 'string' || !hook.secret || hook.secret.length > MAX_SECRET || hook.secret.includes('\u0000'))
    invalid(`secret must be 1-${MAX_SECRET} characters`, 'secret');
  if (!Array.isArray(hook.events) || hook.events.length === 0 || hook.events.length > MAX_EVENTS)
    invalid(`events must list 1-${MAX_EVENTS} event types`, 'events');
  for (const event of hook.events)
    if (typeof event !== 'string' || event.length > 64 || !EVENT_TYPE.test(event))
      invalid('each event is a dotted lowercase type like video.ready, or *', 'events');
}

export function checkEventType(eventType: unknown): asserts eventType is string {
  if (typeof eventType !== 'string' || eventType === '*' || eventType.length > 64 || !EVENT_TYPE.test(eventType))
    invalid('event type must be a dotted lowercase type like video.ready', 'eventType');
}

export function checkNewDelivery(delivery: NewDelivery): void {
  if (typeof delivery !== 'object' || delivery === null) invalid('delivery must be an object', 'delivery');
  checkId(delivery.id);
  checkId(delivery.webhookId, 'webhookId');
  if (typeof delivery.event !== 'object' || delivery.event === null || Array.isArray(delivery.event))
    invalid('event must be a JSON object', 'event');
  const json = JSON.stringify(delivery.event);
  if (json.includes('\\u0000')) invalid('event must not contain NUL (PostgreSQL json cannot hold it)', 'event');
  if (json.length > 1_000_000) invalid('event is larger than 1 MB', 'event');
  if (delivery.nextAttemptAt !== undefined) checkTimestamp(delivery.nextAttemptAt, 'nextAttemptAt');
}

export function checkOutcome(outcome: { delivered: true } | { delivered: false; error: string; retryAt: string | null }): void {
  if (typeof outcome !== 'object' || outcome === null || typeof outcome.delivered !== 'boolean')
    invalid('outcome must say whether the event was delivered', 'outcome');
  if (outcome.delivered) return;
  if (typeof outcome.error !== 'string') invalid('a failed attempt needs an error', 'error');
  if (outcome.retryAt !== null) checkTimestamp(outcome.retryAt, 'retryAt');
}

/** Errors are kept short: a receiver's whole HTML error page is not worth storing. */
export function shortError(error: string): string {
  const clean = error.replaceAll('\u0000', '');
  return clean.length > MAX_ERROR ? `${Array.from(clean).slice(0, MAX_ERROR).join('')}…` : clean;
}

export function checkBatch(limit: unknown, field: string, fallback?: number): number {
  if (limit === undefined && fallback !== undefined) return fallback;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 100) invalid(`${field} must be 1..100`, field);
  return limit;
}

export function checkLease(leaseMs: unknown): number {
  if (typeof leaseMs !== 'number' || !Number.isInteger(leaseMs) || leaseMs < 1000 || leaseMs > 86_400_000)
    invalid('leaseMs must be 1 s to 24 h in milliseconds', 'leaseMs');
  return leaseMs;
}
