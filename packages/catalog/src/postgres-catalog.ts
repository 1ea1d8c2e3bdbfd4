// PostgreSQL through pg: the catalog for many origins. Full-text search indexes the same tokens as
// SQLite (see search-query.ts) in a generated tsvector with a GIN index. Times are the server's
// clock (timestamptz(3)) unless a clock is passed, and are read back in the catalog's one
// timestamp form (timestamp.ts).
import { withSpan } from '@vought/observability';
import pg from 'pg';
import { CatalogError } from './catalog-error.ts';
import type {
  Catalog,
  ListQuery,
  NewDelivery,
  NewVideo,
  NewWebhook,
  Page,
  Rendition,
  Video,
  VideoPatch,
  Webhook,
  WebhookDelivery,
  WebhookStore,
} from './catalog-types.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { latestVersion, migrations } from './migrations.ts';
import { MAX_RELATED_CANDIDATES, rankRelated } from './related-ranker.ts';
import { parseSearch, searchText, tsQuery, tsQueryAny, words } from './search-query.ts';
import { applyPatch, newVideo } from './video-record.ts';
import { checkListQuery, checkNewVideo, checkPatch } from './video-validation.ts';
import {
  checkBatch,
  checkEventType,
  checkId,
  checkLease,
  checkNewDelivery,
  checkNewWebhook,
  checkOutcome,
  shortError,
} from './webhook-validation.ts';

export interface PostgresCatalogOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  /** Schema for every table, created if missing (tests use a fresh one per run). Default: the connection's search_path. */
  schema?: string;
  /** Pool size (default 10). */
  max?: number;
  /** Clock for created/updated times (tests); default: the database server's now(). */
  now?: () => Date;
  /** Statement timeout, so a stuck query fails instead of holding a request forever (default 10 s). */
  statementTimeoutMs?: number;
  /** Called with errors of idle pooled connections (which never crash the process). */
  onPoolError?: (error: Error) => void;
}

const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;

/** Milliseconds, UTC, `Z`: exactly what Date.prototype.toISOString writes (and SQLite stores). */
function iso(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

const VIDEO_COLUMNS = `id, owner, title, description, tags, visibility, status, error, duration, renditions::text AS renditions, version,
  ${iso('created_at')} AS created_at, ${iso('updated_at')} AS updated_at`;
const WEBHOOK_COLUMNS = `id, owner, url, secret, events, ${iso('created_at')} AS created_at`;
const DELIVERY_COLUMNS = `id, webhook_id, event::text AS event, status, attempts, last_error,
  ${iso('next_attempt_at')} AS next_attempt_at, ${iso('created_at')} AS created_at`;

interface VideoRow {
  id: string;
  owner: string;
  title: string;
  description: string;
  tags: string[];
  visibility: Video['visibility'];
  status: Video['status'];
  error: string | null;
  duration: number | null;
  /** json read as text: pg would parse it, but JSON.parse here keeps both adapters alike. */
  renditions: string;
  version: number;
  created_at: string;
  updated_at: string;
}

interface WebhookRow {
  id: string;
  owner: string;
  url: string;
  secret: string;
  events: string[];
  created_at: string;
}

interface DeliveryRow {
  id: string;
  webhook_id: string;
  event: string;
  status: WebhookDelivery['status'];
  attempts: number;
  last_error: string | null;
  next_attempt_at: string | null;
  created_at: string;
}

function toVideo(row: VideoRow): Video {
  return {
    id: row.id,
    owner: row.owner,
    title: row.title,
    description: row.description,
    tags: row.tags,
    visibility: row.visibility,
    status: row.status,
    error: row.error,
    duration: row.duration,
    renditions: JSON.parse(row.renditions) as Rendition[],
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toWebhook(row: WebhookRow): Webhook {
  return { id: row.id, owner: row.owner, url: row.url, secret: row.secret, events: row.events, createdAt: row.created_at };
}

function toDelivery(row: DeliveryRow): WebhookDelivery {
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

/**
 * pg errors as CatalogErrors, by SQLSTATE class (PostgreSQL manual, Appendix A): 23505 unique
 * violation → conflict; 22 data exception / 23 integrity → invalid; 08 connection, 53 resources,
 * 57 operator intervention (shutdown, statement timeout), 40 serialization and network errors
 * (no SQLSTATE) → unavailable; the rest (42 syntax, undefined table...) is our bug → internal.
 */
export function catalogError(error: unknown): CatalogError {
  if (error instanceof CatalogError) return error;
  const code = (error as { code?: string }).code;
  const message = (error as Error).message;
  if (code === '23505') return new CatalogError('catalog.conflict', 'already exists', {}, { cause: error });
  if (code && /^(22|23)/.test(code))
    return new CatalogError('catalog.invalid', `PostgreSQL refused a value: ${message}`, {}, { cause: error });
  if (!code || !/^[0-9A-Z]{5}$/.test(code) || /^(08|53|57|58|40|XX)/.test(code))
    return new CatalogError('catalog.unavailable', `PostgreSQL failed: ${message}`, {}, { cause: error });
  return new CatalogError('catalog.internal', `PostgreSQL rejected a statement: ${message}`, {}, { cause: error });
}

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

export class PostgresCatalog implements Catalog {
  readonly kind = 'postgres' as const;
  readonly webhooks: WebhookStore;

  private constructor(
    readonly pool: pg.Pool,
    private readonly clock: (() => Date) | undefined,
  ) {
    this.webhooks = new PostgresWebhookStore(this);
  }

  static async open(options: PostgresCatalogOptions): Promise<PostgresCatalog> {
    const schema = options.schema;
    if (schema !== undefined && !SCHEMA.test(schema))
      throw new CatalogError('catalog.invalid', `schema must match ${SCHEMA.source}, got ${JSON.stringify(schema)}`, {
        parameter: 'schema',
      });
    const timeout = Math.max(0, Math.trunc(options.statementTimeoutMs ?? 10_000));
    const settings = [`-c statement_timeout=${timeout}`, ...(schema ? [`-c search_path=${schema}`] : [])];
    let pool: pg.Pool;
    try {
      pool = new pg.Pool({
        connectionString: options.url,
        max: options.max ?? 10,
        connectionTimeoutMillis: 3000,
        options: settings.join(' '),
      });
    } catch (error) {
      throw new CatalogError('catalog.invalid', `bad PostgreSQL URL: ${(error as Error).message}`, { parameter: 'url' }, { cause: error });
    }
    // An idle client losing its connection (server restart, network) emits 'error' on the pool:
    // unhandled, that would crash the process. It is not fatal: the next query gets a fresh
    // connection or fails with catalog.unavailable, and readiness reports it.
    pool.on('error', (error) => options.onPoolError?.(error));
    const catalog = new PostgresCatalog(pool, options.now);
    try {
      await catalog.migrate(schema);
    } catch (error) {
      await pool.end().catch(() => {});
      const coded = catalogError(error);
      if (coded.code !== 'catalog.unavailable') throw coded;
      throw new CatalogError('catalog.unavailable', `cannot open PostgreSQL: ${(error as Error).message}`, {}, { cause: error });
    }
    return catalog;
  }

  private async migrate(schema: string | undefined): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // Several origins starting at once: one migrates, the others wait here (the lock is held to
      // the end of the transaction), then find nothing to do. The key is per schema, so test runs
      // in their own schemas do not queue behind each other.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`vought-catalog-migrations:${schema ?? ''}`]);
      if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)',
      );
      const current = Number((await client.query('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations')).rows[0]?.v ?? 0);
      if (current > latestVersion) {
        throw new CatalogError(
          'catalog.invalid',
          `the catalog database is at schema version ${current}, newer than this vought knows (${latestVersion}): upgrade vought, or restore a matching backup`,
          { version: current, latestVersion },
        );
      }
      for (const migration of migrations) {
        if (migration.version <= current) continue;
        await client.query(migration.postgres);
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, now())', [
          migration.version,
          migration.name,
        ]);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  /** The clock's time, or null for the server's now() (used as `COALESCE($n::timestamptz, now())`). */
  timestamp(): string | null {
    return this.clock ? this.clock().toISOString() : null;
  }

  /** One statement in a span, its errors as CatalogErrors. */
  async query<T extends pg.QueryResultRow>(
    op: string,
    sql: string,
    params: unknown[],
    on: Queryable = this.pool,
  ): Promise<pg.QueryResult<T>> {
    return withSpan(`db.${op}`, { 'db.system': 'postgresql', 'db.operation': op }, async () => {
      try {
        return await on.query<T>(sql, params);
      } catch (error) {
        throw catalogError(error);
      }
    });
  }

  /** `fn` in one transaction on one pooled connection. */
  async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw catalogError(error);
    }
    try {
      await this.query('begin', 'BEGIN', [], client);
      const result = await fn(client);
      await this.query('commit', 'COMMIT', [], client);
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  async createVideo(input: NewVideo): Promise<Video> {
    checkNewVideo(input);
    const video = newVideo(input, '');
    try {
      const { rows } = await this.query<VideoRow>(
        'insert',
        `INSERT INTO videos (id, owner, title, description, tags, visibility, status, search_text, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, COALESCE($9::timestamptz, now()), COALESCE($9::timestamptz, now())) RETURNING ${VIDEO_COLUMNS}`,
        [
          video.id,
          video.owner,
          video.title,
          video.description,
          video.tags,
          video.visibility,
          video.status,
          searchText(video),
          this.timestamp(),
        ],
      );
      return toVideo(rows[0] as VideoRow);
    } catch (error) {
      if (error instanceof CatalogError && error.code === 'catalog.conflict')
        throw new CatalogError('catalog.conflict', `video ${input.id} exists`, { id: input.id });
      throw error;
    }
  }

  async findVideo(id: string): Promise<Video | null> {
    if (typeof id !== 'string') return null;
    const { rows } = await this.query<VideoRow>('select', `SELECT ${VIDEO_COLUMNS} FROM videos WHERE id = $1`, [id]);
    return rows[0] ? toVideo(rows[0]) : null;
  }

  async getVideo(id: string): Promise<Video> {
    const video = await this.findVideo(id);
    if (!video) throw new CatalogError('catalog.not_found', `no video ${id}`, { id });
    return video;
  }

  async updateVideo(id: string, patch: VideoPatch, options: { expectedVersion?: number } = {}): Promise<Video> {
    checkPatch(patch);
    // Read, then compare-and-set on the version: a concurrent writer makes the update touch no
    // row. Without an expectation, a lost race is retried on the newer row (a few times: under
    // that much contention something is wrong, and the caller should hear of it).
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.getVideo(id);
      if (options.expectedVersion !== undefined && current.version !== options.expectedVersion) {
        throw new CatalogError(
          'catalog.conflict',
          `video ${id} changed (version ${current.version}, expected ${options.expectedVersion})`,
          { id, version: current.version, expectedVersion: options.expectedVersion },
        );
      }
      const next = applyPatch(current, patch);
      const { rows } = await this.query<VideoRow>(
        'update',
        `UPDATE videos SET title=$3, description=$4, tags=$5, visibility=$6, status=$7, error=$8, duration=$9, renditions=$10::json,
           search_text=$11, version = version + 1,
           updated_at = GREATEST(COALESCE($12::timestamptz, now()), updated_at + interval '1 millisecond')
         WHERE id=$1 AND version=$2 RETURNING ${VIDEO_COLUMNS}`,
        [
          id,
          current.version,
          next.title,
          next.description,
          next.tags,
          next.visibility,
          next.status,
          next.error,
          next.duration,
          JSON.stringify(next.renditions),
          searchText(next),
          this.timestamp(),
        ],
      );
      if (rows[0]) return toVideo(rows[0]);
      if (options.expectedVersion !== undefined)
        throw new CatalogError('catalog.conflict', `video ${id} changed concurrently`, { id, expectedVersion: options.expectedVersion });
    }
    throw new CatalogError('catalog.conflict', `video ${id} kept changing; update not applied`, { id });
  }

  async deleteVideo(id: string): Promise<void> {
    const { rowCount } = await this.query('delete', 'DELETE FROM videos WHERE id = $1', [id]);
    if (!rowCount) throw new CatalogError('catalog.not_found', `no video ${id}`, { id });
  }

  async listVideos(query: ListQuery): Promise<Page<Video>> {
    const limit = checkListQuery(query);
    const cursor = query.cursor !== undefined ? decodeCursor(query.cursor) : null;
    if (query.visibility?.length === 0) return { items: [], nextCursor: null };
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    const search = parseSearch(query.q);
    if (search) where.push(`search_vector @@ to_tsquery('simple', ${add(tsQuery(search))})`);
    if (query.tag !== undefined) where.push(`tags @> ARRAY[${add(query.tag)}::text]`);
    if (query.status !== undefined) where.push(`status = ${add(query.status)}`);
    if (query.owner !== undefined) where.push(`owner = ${add(query.owner)}`);
    if (query.visibility !== undefined) where.push(`visibility = ANY(${add(query.visibility)}::text[])`);
    if (cursor) {
      const at = add(cursor.createdAt);
      where.push(`(created_at < ${at}::timestamptz OR (created_at = ${at}::timestamptz AND id < ${add(cursor.id)}))`);
    }
    // id is COLLATE "C" (migration 3): bytewise, the order SQLite uses.
    const sql = `SELECT ${VIDEO_COLUMNS} FROM videos ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY videos.created_at DESC, id DESC LIMIT ${add(limit + 1)}`;
    const { rows } = await this.query<VideoRow>('select', sql, params);
    const items = rows.slice(0, limit).map(toVideo);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null };
  }

  async related(id: string, limit: number): Promise<Video[]> {
    const max = checkBatch(limit, 'limit');
    const video = await this.getVideo(id);
    const titleWords = [...new Set(words(video.title))];
    const clauses: string[] = [];
    const params: unknown[] = [id, MAX_RELATED_CANDIDATES];
    if (video.tags.length) {
      params.push(video.tags);
      clauses.push(`tags && $${params.length}::text[]`);
    }
    if (titleWords.length) {
      params.push(tsQueryAny(titleWords));
      clauses.push(`search_vector @@ to_tsquery('simple', $${params.length})`);
    }
    if (!clauses.length) return [];
    const { rows } = await this.query<VideoRow>(
      'select',
      `SELECT ${VIDEO_COLUMNS} FROM videos WHERE id != $1 AND visibility = 'public' AND status = 'ready' AND (${clauses.join(' OR ')})
       ORDER BY videos.created_at DESC, id DESC LIMIT $2`,
      params,
    );
    return rankRelated(video, rows.map(toVideo), max);
  }

  async schemaVersion(): Promise<number> {
    const { rows } = await this.query<{ v: number }>('select', 'SELECT MAX(version) AS v FROM schema_migrations', []);
    return Number(rows[0]?.v ?? 0);
  }

  async ping(): Promise<void> {
    await this.query('ping', 'SELECT 1', []);
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end().catch(() => {});
  }
}

class PostgresWebhookStore implements WebhookStore {
  constructor(private readonly c: PostgresCatalog) {}

  async createWebhook(hook: NewWebhook): Promise<Webhook> {
    checkNewWebhook(hook);
    try {
      const { rows } = await this.c.query<WebhookRow>(
        'insert',
        `INSERT INTO webhooks (id, owner, url, secret, events, created_at) VALUES ($1, $2, $3, $4, $5::jsonb, COALESCE($6::timestamptz, now()))
         RETURNING ${WEBHOOK_COLUMNS}`,
        [hook.id, hook.owner, hook.url, hook.secret, JSON.stringify(hook.events), this.c.timestamp()],
      );
      return toWebhook(rows[0] as WebhookRow);
    } catch (error) {
      if (error instanceof CatalogError && error.code === 'catalog.conflict')
        throw new CatalogError('catalog.conflict', `webhook ${hook.id} exists`, { id: hook.id });
      throw error;
    }
  }

  async getWebhook(id: string): Promise<Webhook> {
    const { rows } = await this.c.query<WebhookRow>('select', `SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE id = $1`, [id]);
    if (!rows[0]) throw new CatalogError('catalog.not_found', `no webhook ${id}`, { id });
    return toWebhook(rows[0]);
  }

  async listWebhooks(owner: string): Promise<Webhook[]> {
    const { rows } = await this.c.query<WebhookRow>(
      'select',
      `SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE owner = $1 ORDER BY webhooks.created_at, id`,
      [owner],
    );
    return rows.map(toWebhook);
  }

  async webhooksFor(eventType: string, owner?: string): Promise<Webhook[]> {
    checkEventType(eventType);
    const { rows } = await this.c.query<WebhookRow>(
      'select',
      `SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE ($2::text IS NULL OR owner = $2) AND (events ? $1 OR events ? '*')
       ORDER BY webhooks.created_at, id`,
      [eventType, owner ?? null],
    );
    return rows.map(toWebhook);
  }

  async deleteWebhook(id: string): Promise<void> {
    const { rowCount } = await this.c.query('delete', 'DELETE FROM webhooks WHERE id = $1', [id]);
    if (!rowCount) throw new CatalogError('catalog.not_found', `no webhook ${id}`, { id });
  }

  async enqueueDelivery(input: NewDelivery): Promise<WebhookDelivery> {
    checkNewDelivery(input);
    const at = this.c.timestamp();
    try {
      const { rows } = await this.c.query<DeliveryRow>(
        'insert',
        `INSERT INTO webhook_deliveries (id, webhook_id, event, status, attempts, last_error, next_attempt_at, created_at)
         VALUES ($1, $2, $3::json, 'pending', 0, NULL, COALESCE($4::timestamptz, $5::timestamptz, now()), COALESCE($5::timestamptz, now()))
         RETURNING ${DELIVERY_COLUMNS}`,
        [input.id, input.webhookId, JSON.stringify(input.event), input.nextAttemptAt ?? null, at],
      );
      return toDelivery(rows[0] as DeliveryRow);
    } catch (error) {
      if (error instanceof CatalogError && error.code === 'catalog.conflict')
        throw new CatalogError('catalog.conflict', `delivery ${input.id} exists`, { id: input.id });
      // 23503 foreign key violation: the webhook is gone.
      if (error instanceof CatalogError && (error.cause as { code?: string } | undefined)?.code === '23503')
        throw new CatalogError('catalog.not_found', `no webhook ${input.webhookId}`, { id: input.webhookId });
      throw error;
    }
  }

  async claimDeliveries(options: { limit: number; leaseMs: number }): Promise<WebhookDelivery[]> {
    const limit = checkBatch(options?.limit, 'limit');
    const leaseMs = checkLease(options.leaseMs);
    // FOR UPDATE SKIP LOCKED: origins claiming at the same moment take disjoint rows instead of
    // queueing on each other's locks.
    const { rows } = await this.c.query<DeliveryRow & { due_at: string }>(
      'update',
      `WITH due AS (
         SELECT id AS due_id, next_attempt_at AS due_time FROM webhook_deliveries
         WHERE status = 'pending' AND next_attempt_at <= COALESCE($1::timestamptz, now())
         ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
       UPDATE webhook_deliveries SET attempts = attempts + 1,
         next_attempt_at = COALESCE($1::timestamptz, now()) + $3 * interval '1 millisecond'
       FROM due WHERE webhook_deliveries.id = due.due_id
       RETURNING ${DELIVERY_COLUMNS}, ${iso('due.due_time')} AS due_at`,
      [this.c.timestamp(), limit, leaseMs],
    );
    const order = (a: DeliveryRow & { due_at: string }, b: DeliveryRow & { due_at: string }) =>
      a.due_at < b.due_at ? -1 : a.due_at > b.due_at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    return rows.sort(order).map(toDelivery);
  }

  async recordAttempt(
    id: string,
    outcome: { delivered: true } | { delivered: false; error: string; retryAt: string | null },
  ): Promise<WebhookDelivery> {
    checkOutcome(outcome);
    const [status, lastError, next] = outcome.delivered
      ? (['delivered', null, null] as const)
      : ([outcome.retryAt ? 'pending' : 'failed', shortError(outcome.error), outcome.retryAt] as const);
    const { rows } = await this.c.query<DeliveryRow>(
      'update',
      `UPDATE webhook_deliveries SET status = $2, last_error = $3, next_attempt_at = $4::timestamptz WHERE id = $1 RETURNING ${DELIVERY_COLUMNS}`,
      [id, status, lastError, next],
    );
    if (!rows[0]) throw new CatalogError('catalog.not_found', `no delivery ${id}`, { id });
    return toDelivery(rows[0]);
  }

  async listDeliveries(webhookId: string, limit?: number): Promise<WebhookDelivery[]> {
    checkId(webhookId, 'webhookId');
    const max = checkBatch(limit, 'limit', 20);
    const { rows } = await this.c.query<DeliveryRow>(
      'select',
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY webhook_deliveries.created_at DESC, id DESC LIMIT $2`,
      [webhookId, max],
    );
    return rows.map(toDelivery);
  }
}
