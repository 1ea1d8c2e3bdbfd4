// Rows as both engines hand them back, and their mapping to the port's types. The column lists
// ask the dialect to read arrays and JSON as JSON text and timestamps in the catalog's one form
// (timestamp.ts), so one mapper serves both engines; JSON is parsed here rather than by pg so
// that it reads back exactly as written (key order included) on both.
import type { EncryptionPolicy, Rendition, Video, Webhook, WebhookDelivery } from './catalog-types.ts';
import type { SqlDialect } from './sql-dialect.ts';

export interface VideoRow {
  id: string;
  owner: string;
  title: string;
  description: string;
  /** JSON array of strings. */
  tags: string;
  visibility: Video['visibility'];
  status: Video['status'];
  error: string | null;
  duration: number | null;
  /** JSON array of renditions. */
  renditions: string;
  /** JSON object of the encryption policy, or NULL for none. */
  encryption: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface WebhookRow {
  id: string;
  owner: string;
  url: string;
  secret: string;
  /** JSON array of event types. */
  events: string;
  created_at: string;
}

export interface DeliveryRow {
  id: string;
  webhook_id: string;
  /** JSON object. */
  event: string;
  status: WebhookDelivery['status'];
  attempts: number;
  last_error: string | null;
  next_attempt_at: string | null;
  created_at: string;
}

/** The SELECT (or RETURNING) lists of the three tables, in this dialect. */
export function columnLists(d: SqlDialect): { videos: string; webhooks: string; deliveries: string } {
  const at = (column: string) => `${d.column(column, 'timestamp')} AS ${column}`;
  return {
    videos: `id, owner, title, description, ${d.column('tags', 'text[]')} AS tags, visibility, status, error, duration,
      ${d.column('renditions', 'json')} AS renditions, ${d.column('encryption', 'json')} AS encryption, version, ${at('created_at')},
      ${at('updated_at')}`,
    webhooks: `id, owner, url, secret, ${d.column('events', 'json')} AS events, ${at('created_at')}`,
    deliveries: `id, webhook_id, ${d.column('event', 'json')} AS event, status, attempts, last_error, ${at('next_attempt_at')},
      ${at('created_at')}`,
  };
}

export function toVideo(row: VideoRow): Video {
  return {
    id: row.id,
    owner: row.owner,
    title: row.title,
    description: row.description,
    tags: JSON.parse(row.tags) as string[],
    visibility: row.visibility,
    status: row.status,
    error: row.error,
    duration: row.duration,
    renditions: JSON.parse(row.renditions) as Rendition[],
    encryption: row.encryption === null ? null : (JSON.parse(row.encryption) as EncryptionPolicy),
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The row's own fields keep their order (id, owner, url, secret), then the parsed and renamed ones. */
export function toWebhook({ events, created_at, ...hook }: WebhookRow): Webhook {
  return { ...hook, events: JSON.parse(events) as string[], createdAt: created_at };
}

export function toDelivery(row: DeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    webhookId: row.webhook_id,
    event: JSON.parse(row.event) as Record<string, unknown>,
    status: row.status,
    attempts: row.attempts,
    lastError: row.last_error,
    nextAttemptAt: row.next_attempt_at,
    createdAt: row.created_at,
  };
}
