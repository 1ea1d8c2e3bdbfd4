// The catalog port's types: what origin, encoder and runtime program against, whichever engine
// answers. Kept apart from index.ts so that the adapters can import them without a cycle.

export type Visibility = 'public' | 'unlisted' | 'private';
export type VideoStatus = 'waiting_upload' | 'uploading' | 'queued' | 'processing' | 'ready' | 'failed';

export interface Rendition {
  id: string;
  type: 'video' | 'audio' | 'text';
  codec?: string;
  width?: number;
  height?: number;
  bandwidth?: number;
  language?: string;
}

export type EncryptionScheme = 'aes-128' | 'sample-aes' | 'cenc' | 'cbcs';

export interface EncryptionPolicy {
  /** Schemes delivery may use for this video; while a policy is set, clear delivery is refused. Non-empty, no duplicates, in order of preference. */
  schemes: EncryptionScheme[];
  /** Key rotation: segments per key period (integer 1..1_000_000); absent = one key for the whole video. */
  rotationSegments?: number;
}

export interface Video {
  id: string;
  owner: string;
  title: string;
  description: string;
  tags: string[];
  visibility: Visibility;
  status: VideoStatus;
  error: string | null;
  /** Seconds, once encoded. */
  duration: number | null;
  renditions: Rendition[];
  /** null: clear delivery allowed, encryption optional per request. */
  encryption: EncryptionPolicy | null;
  /** Bumped on every update: optimistic concurrency and cache keys. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface NewVideo {
  id: string;
  owner: string;
  title: string;
  description?: string;
  tags?: string[];
  visibility?: Visibility;
  status?: VideoStatus;
  encryption?: EncryptionPolicy | null;
}

/** `encryption: null` clears the policy. */
export type VideoPatch = Partial<
  Pick<Video, 'title' | 'description' | 'tags' | 'visibility' | 'status' | 'error' | 'duration' | 'renditions' | 'encryption'>
>;

export interface ListQuery {
  /** Full-text query over title, description and tags: every word must match (prefix match on the last). */
  q?: string;
  tag?: string;
  status?: VideoStatus;
  owner?: string;
  /** Visibilities to include (default: all). Listings for the public pass ['public']. */
  visibility?: Visibility[];
  /** Opaque cursor from a previous page. */
  cursor?: string;
  /** 1..100, default 20. */
  limit?: number;
}

export interface Page<T> {
  items: T[];
  /** Cursor for the next page, or null at the end. */
  nextCursor: string | null;
}

export interface Catalog {
  readonly kind: 'sqlite' | 'postgres';
  createVideo(video: NewVideo): Promise<Video>;
  /** Throws catalog.not_found. */
  getVideo(id: string): Promise<Video>;
  findVideo(id: string): Promise<Video | null>;
  /** Applies the patch; with `expectedVersion`, throws catalog.conflict if the row moved on. */
  updateVideo(id: string, patch: VideoPatch, options?: { expectedVersion?: number }): Promise<Video>;
  deleteVideo(id: string): Promise<void>;
  /**
   * Stable order: created_at descending, then id descending (bytewise), with or without `q`:
   * relevance ranks differ between FTS5 and PostgreSQL, and cursor pagination needs an order
   * that does not depend on the query. Throws catalog.invalid on a bad filter, limit or cursor.
   */
  listVideos(query: ListQuery): Promise<Page<Video>>;
  /**
   * Public, ready videos related to `id`, best first (see related-ranker.ts: shared tags, then
   * title-word similarity), never `id` itself. `limit` 1..100. Throws catalog.not_found.
   */
  related(id: string, limit: number): Promise<Video[]>;
  /** Webhook subscriptions and their delivery queue, in the same database. */
  readonly webhooks: WebhookStore;
  /** The schema version the database is at (migrations.ts): for readiness output and operators. */
  schemaVersion(): Promise<number>;
  /** Throws catalog.unavailable when the database cannot answer (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface Webhook {
  id: string;
  owner: string;
  /** Where events are POSTed. */
  url: string;
  /** Key for the payload signature; stored as given (the control API decides its format). */
  secret: string;
  /** Event types subscribed to (`video.ready`, ...); `*` subscribes to every type. */
  events: string[];
  createdAt: string;
}

export type NewWebhook = Omit<Webhook, 'createdAt'>;

/** pending: waiting for (another) attempt; delivered: a 2xx came back; failed: gave up. */
export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDelivery {
  id: string;
  webhookId: string;
  /** The event as sent (JSON object, stored as written). */
  event: Record<string, unknown>;
  status: DeliveryStatus;
  /** Attempts started so far (a claim counts as one). */
  attempts: number;
  lastError: string | null;
  /** When the delivery may next be claimed; null once delivered or failed. */
  nextAttemptAt: string | null;
  createdAt: string;
}

export interface NewDelivery {
  id: string;
  webhookId: string;
  event: Record<string, unknown>;
  /** Default: now. */
  nextAttemptAt?: string;
}

/**
 * Webhooks for the control API: subscriptions, and a delivery queue that several origins can
 * drain together. A delivery is claimed with a lease (its next_attempt_at moves past the lease),
 * so a worker that dies mid-attempt only delays it; delivery is at least once.
 */
export interface WebhookStore {
  /** Throws catalog.conflict on an existing id, catalog.invalid on a bad URL or event list. */
  createWebhook(hook: NewWebhook): Promise<Webhook>;
  /** Throws catalog.not_found. */
  getWebhook(id: string): Promise<Webhook>;
  /** An owner's webhooks, oldest first. */
  listWebhooks(owner: string): Promise<Webhook[]>;
  /** Webhooks subscribed to `eventType` (or to `*`), optionally only `owner`'s, oldest first. */
  webhooksFor(eventType: string, owner?: string): Promise<Webhook[]>;
  /** Deletes the webhook and its deliveries. Throws catalog.not_found. */
  deleteWebhook(id: string): Promise<void>;
  /** Throws catalog.not_found when the webhook is gone, catalog.conflict on an existing id. */
  enqueueDelivery(delivery: NewDelivery): Promise<WebhookDelivery>;
  /**
   * Up to `limit` (1..100) pending deliveries due now, oldest due first; each gets attempts + 1
   * and is hidden from other claims for `leaseMs`.
   */
  claimDeliveries(options: { limit: number; leaseMs: number }): Promise<WebhookDelivery[]>;
  /**
   * The outcome of an attempt: delivered, or failed with a `retryAt` (pending again then) or
   * without one (given up). Throws catalog.not_found.
   */
  recordAttempt(
    id: string,
    outcome: { delivered: true } | { delivered: false; error: string; retryAt: string | null },
  ): Promise<WebhookDelivery>;
  /** A webhook's deliveries, newest first (1..100, default 20). */
  listDeliveries(webhookId: string, limit?: number): Promise<WebhookDelivery[]>;
}
