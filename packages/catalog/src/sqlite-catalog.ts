// The embedded default: SQLite through better-sqlite3, in WAL mode (readers never wait for the
// writer), with FTS5 for search. The port is async; better-sqlite3 is synchronous and fast (a
// point query is microseconds), so each method runs its statement directly inside a resolved
// promise rather than paying for a worker thread. Statements are prepared once and cached.
import fs from 'node:fs';
import path from 'node:path';
import { withSpan } from '@vought/observability';
import Database from 'better-sqlite3';
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
import { fts5Any, fts5Match, indexTokens, parseSearch, searchText, words } from './search-query.ts';
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

export interface SqliteCatalogOptions {
  /** Database file (its folder is created); `:memory:` for a throwaway catalog. */
  path: string;
  /** Clock for created/updated times (tests). */
  now?: () => Date;
  /** How long a writer waits for another process's write lock before catalog.unavailable. */
  busyTimeoutMs?: number;
}

interface VideoRow {
  id: string;
  owner: string;
  title: string;
  description: string;
  tags: string;
  visibility: Video['visibility'];
  status: Video['status'];
  error: string | null;
  duration: number | null;
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
  events: string;
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

const VIDEO_COLUMNS =
  'id, owner, title, description, tags, visibility, status, error, duration, renditions, version, created_at, updated_at';

function toVideo(row: VideoRow): Video {
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
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toWebhook(row: WebhookRow): Webhook {
  return {
    id: row.id,
    owner: row.owner,
    url: row.url,
    secret: row.secret,
    events: JSON.parse(row.events) as string[],
    createdAt: row.created_at,
  };
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

/** better-sqlite3 errors as CatalogErrors: busy or closed is an outage, anything else our bug. */
function catalogError(error: unknown): CatalogError {
  if (error instanceof CatalogError) return error;
  const code = (error as { code?: string }).code ?? '';
  const message = (error as Error).message;
  if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE')
    return new CatalogError('catalog.conflict', 'already exists', {}, { cause: error });
  if (/^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|CORRUPT|NOTADB)/.test(code) || /not open/.test(message))
    return new CatalogError('catalog.unavailable', `SQLite failed: ${message}`, {}, { cause: error });
  return new CatalogError('catalog.internal', `SQLite rejected a statement: ${message}`, {}, { cause: error });
}

export class SqliteCatalog implements Catalog {
  readonly kind = 'sqlite' as const;
  readonly webhooks: WebhookStore;
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(
    readonly db: Database.Database,
    private readonly now: () => Date,
  ) {
    this.webhooks = new SqliteWebhookStore(this);
  }

  static async open(options: SqliteCatalogOptions): Promise<SqliteCatalog> {
    let db: Database.Database | undefined;
    try {
      if (options.path !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(options.path)), { recursive: true });
      db = new Database(options.path);
      db.pragma('journal_mode = WAL');
      db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
      db.pragma('foreign_keys = ON');
      // WAL + NORMAL: a power cut may lose the last commits but never corrupts the file
      // (https://www.sqlite.org/pragma.html#pragma_synchronous).
      db.pragma('synchronous = NORMAL');
      // Migration 3 reindexes search text with the same TypeScript the catalog writes it with.
      db.function('vought_index_tokens', { deterministic: true }, (text: unknown) => indexTokens(String(text ?? '')));
      migrate(db);
    } catch (error) {
      db?.close();
      if (error instanceof CatalogError) throw error;
      throw new CatalogError(
        'catalog.unavailable',
        `cannot open SQLite at ${options.path}: ${(error as Error).message}`,
        { path: options.path },
        { cause: error },
      );
    }
    return new SqliteCatalog(db, options.now ?? (() => new Date()));
  }

  /** A cached prepared statement (the SQL texts are a small fixed set). */
  stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs `fn` in a span, with its errors as CatalogErrors. */
  run<T>(op: string, fn: () => T): Promise<T> {
    return withSpan(`db.${op}`, { 'db.system': 'sqlite', 'db.operation': op }, async () => {
      try {
        return fn();
      } catch (error) {
        throw catalogError(error);
      }
    });
  }

  timestamp(): string {
    return this.now().toISOString();
  }

  async createVideo(input: NewVideo): Promise<Video> {
    checkNewVideo(input);
    const video = newVideo(input, this.timestamp());
    try {
      await this.run('insert', () =>
        this.stmt(
          `INSERT INTO videos (id, owner, title, description, tags, visibility, status, error, duration, renditions, version, search_text, created_at, updated_at)
           VALUES (@id, @owner, @title, @description, @tags, @visibility, @status, NULL, NULL, '[]', 1, @search, @at, @at)`,
        ).run({
          id: video.id,
          owner: video.owner,
          title: video.title,
          description: video.description,
          tags: JSON.stringify(video.tags),
          visibility: video.visibility,
          status: video.status,
          search: searchText(video),
          at: video.createdAt,
        }),
      );
    } catch (error) {
      if (error instanceof CatalogError && error.code === 'catalog.conflict')
        throw new CatalogError('catalog.conflict', `video ${input.id} exists`, { id: input.id });
      throw error;
    }
    return video;
  }

  async findVideo(id: string): Promise<Video | null> {
    if (typeof id !== 'string') return null;
    return this.run('select', () => {
      const row = this.stmt(`SELECT ${VIDEO_COLUMNS} FROM videos WHERE id = ?`).get(id) as VideoRow | undefined;
      return row ? toVideo(row) : null;
    });
  }

  async getVideo(id: string): Promise<Video> {
    const video = await this.findVideo(id);
    if (!video) throw new CatalogError('catalog.not_found', `no video ${id}`, { id });
    return video;
  }

  async updateVideo(id: string, patch: VideoPatch, options: { expectedVersion?: number } = {}): Promise<Video> {
    checkPatch(patch);
    return this.run('update', () =>
      // One transaction: read, compare the version, write. SQLite has one writer at a time, so
      // nothing can slip in between.
      this.db
        .transaction(() => {
          const row = this.stmt(`SELECT ${VIDEO_COLUMNS} FROM videos WHERE id = ?`).get(id) as VideoRow | undefined;
          if (!row) throw new CatalogError('catalog.not_found', `no video ${id}`, { id });
          const current = toVideo(row);
          if (options.expectedVersion !== undefined && current.version !== options.expectedVersion) {
            throw new CatalogError(
              'catalog.conflict',
              `video ${id} changed (version ${current.version}, expected ${options.expectedVersion})`,
              { id, version: current.version, expectedVersion: options.expectedVersion },
            );
          }
          const next: Video = { ...applyPatch(current, patch), version: current.version + 1, updatedAt: this.later(current.updatedAt) };
          this.stmt(
            `UPDATE videos SET title=@title, description=@description, tags=@tags, visibility=@visibility, status=@status, error=@error,
               duration=@duration, renditions=@renditions, version=@version, search_text=@search, updated_at=@updatedAt WHERE id=@id`,
          ).run({
            id,
            title: next.title,
            description: next.description,
            tags: JSON.stringify(next.tags),
            visibility: next.visibility,
            status: next.status,
            error: next.error,
            duration: next.duration,
            renditions: JSON.stringify(next.renditions),
            version: next.version,
            search: searchText(next),
            updatedAt: next.updatedAt,
          });
          return next;
        })
        .immediate(),
    );
  }

  /** A timestamp after `previous` even if the clock stands still or steps back (updates are ordered). */
  private later(previous: string): string {
    const now = this.now().getTime();
    const prev = Date.parse(previous);
    return new Date(now > prev ? now : prev + 1).toISOString();
  }

  async deleteVideo(id: string): Promise<void> {
    const changes = await this.run('delete', () => this.stmt('DELETE FROM videos WHERE id = ?').run(id).changes);
    if (changes === 0) throw new CatalogError('catalog.not_found', `no video ${id}`, { id });
  }

  async listVideos(query: ListQuery): Promise<Page<Video>> {
    const limit = checkListQuery(query);
    const cursor = query.cursor !== undefined ? decodeCursor(query.cursor) : null;
    if (query.visibility?.length === 0) return { items: [], nextCursor: null };
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: limit + 1 };
    const search = parseSearch(query.q);
    if (search) {
      where.push('rowid IN (SELECT rowid FROM videos_fts WHERE videos_fts MATCH @match)');
      params.match = fts5Match(search);
    }
    if (query.tag !== undefined) {
      where.push('EXISTS (SELECT 1 FROM json_each(videos.tags) WHERE json_each.value = @tag)');
      params.tag = query.tag;
    }
    if (query.status !== undefined) {
      where.push('status = @status');
      params.status = query.status;
    }
    if (query.owner !== undefined) {
      where.push('owner = @owner');
      params.owner = query.owner;
    }
    if (query.visibility !== undefined) {
      // One statement text for any list (json_each), so the statement cache stays small.
      where.push('visibility IN (SELECT value FROM json_each(@visibility))');
      params.visibility = JSON.stringify(query.visibility);
    }
    if (cursor) {
      where.push('(created_at < @cAt OR (created_at = @cAt AND id < @cId))');
      params.cAt = cursor.createdAt;
      params.cId = cursor.id;
    }
    const sql = `SELECT ${VIDEO_COLUMNS} FROM videos ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY created_at DESC, id DESC LIMIT @limit`;
    return this.run('select', () => {
      const rows = this.stmt(sql).all(params) as VideoRow[];
      const items = rows.slice(0, limit).map(toVideo);
      const last = items.at(-1);
      return { items, nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null };
    });
  }

  async related(id: string, limit: number): Promise<Video[]> {
    const max = checkBatch(limit, 'limit');
    const video = await this.getVideo(id);
    const titleWords = [...new Set(words(video.title))];
    const clauses: string[] = [];
    const params: Record<string, unknown> = { id, max: MAX_RELATED_CANDIDATES };
    if (video.tags.length) {
      clauses.push('EXISTS (SELECT 1 FROM json_each(videos.tags) AS t WHERE t.value IN (SELECT value FROM json_each(@tags)))');
      params.tags = JSON.stringify(video.tags);
    }
    if (titleWords.length) {
      clauses.push('rowid IN (SELECT rowid FROM videos_fts WHERE videos_fts MATCH @words)');
      params.words = fts5Any(titleWords);
    }
    if (!clauses.length) return [];
    return this.run('select', () => {
      const rows = this.stmt(
        `SELECT ${VIDEO_COLUMNS} FROM videos WHERE id != @id AND visibility = 'public' AND status = 'ready' AND (${clauses.join(' OR ')})
         ORDER BY created_at DESC, id DESC LIMIT @max`,
      ).all(params) as VideoRow[];
      return rankRelated(video, rows.map(toVideo), max);
    });
  }

  async schemaVersion(): Promise<number> {
    return this.run('select', () => (this.stmt('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number }).v);
  }

  async ping(): Promise<void> {
    await this.run('ping', () => this.stmt('SELECT 1').get());
  }

  async close(): Promise<void> {
    this.statements.clear();
    if (this.db.open) this.db.close();
  }
}

class SqliteWebhookStore implements WebhookStore {
  constructor(private readonly c: SqliteCatalog) {}

  async createWebhook(hook: NewWebhook): Promise<Webhook> {
    checkNewWebhook(hook);
    const webhook: Webhook = {
      id: hook.id,
      owner: hook.owner,
      url: hook.url,
      secret: hook.secret,
      events: [...hook.events],
      createdAt: this.c.timestamp(),
    };
    try {
      await this.c.run('insert', () =>
        this.c
          .stmt('INSERT INTO webhooks (id, owner, url, secret, events, created_at) VALUES (?, ?, ?, ?, ?, ?)')
          .run(webhook.id, webhook.owner, webhook.url, webhook.secret, JSON.stringify(webhook.events), webhook.createdAt),
      );
    } catch (error) {
      if (error instanceof CatalogError && error.code === 'catalog.conflict')
        throw new CatalogError('catalog.conflict', `webhook ${hook.id} exists`, { id: hook.id });
      throw error;
    }
    return webhook;
  }

  async getWebhook(id: string): Promise<Webhook> {
    const row = await this.c.run('select', () => this.c.stmt('SELECT * FROM webhooks WHERE id = ?').get(id) as WebhookRow | undefined);
    if (!row) throw new CatalogError('catalog.not_found', `no webhook ${id}`, { id });
    return toWebhook(row);
  }

  async listWebhooks(owner: string): Promise<Webhook[]> {
    const rows = await this.c.run(
      'select',
      () => this.c.stmt('SELECT * FROM webhooks WHERE owner = ? ORDER BY created_at, id').all(owner) as WebhookRow[],
    );
    return rows.map(toWebhook);
  }

  async webhooksFor(eventType: string, owner?: string): Promise<Webhook[]> {
    checkEventType(eventType);
    const rows = await this.c.run(
      'select',
      () =>
        this.c
          .stmt(
            `SELECT * FROM webhooks WHERE (@owner IS NULL OR owner = @owner)
               AND EXISTS (SELECT 1 FROM json_each(webhooks.events) WHERE value IN (@type, '*'))
             ORDER BY created_at, id`,
          )
          .all({ owner: owner ?? null, type: eventType }) as WebhookRow[],
    );
    return rows.map(toWebhook);
  }

  async deleteWebhook(id: string): Promise<void> {
    // Deliveries go with it: ON DELETE CASCADE (foreign_keys is on for every connection).
    const changes = await this.c.run('delete', () => this.c.stmt('DELETE FROM webhooks WHERE id = ?').run(id).changes);
    if (changes === 0) throw new CatalogError('catalog.not_found', `no webhook ${id}`, { id });
  }

  async enqueueDelivery(input: NewDelivery): Promise<WebhookDelivery> {
    checkNewDelivery(input);
    const at = this.c.timestamp();
    const delivery: WebhookDelivery = {
      id: input.id,
      webhookId: input.webhookId,
      event: input.event,
      status: 'pending',
      attempts: 0,
      lastError: null,
      nextAttemptAt: input.nextAttemptAt ?? at,
      createdAt: at,
    };
    return this.c.run('insert', () =>
      this.c.db
        .transaction(() => {
          if (!this.c.stmt('SELECT 1 FROM webhooks WHERE id = ?').get(input.webhookId))
            throw new CatalogError('catalog.not_found', `no webhook ${input.webhookId}`, { id: input.webhookId });
          if (this.c.stmt('SELECT 1 FROM webhook_deliveries WHERE id = ?').get(input.id))
            throw new CatalogError('catalog.conflict', `delivery ${input.id} exists`, { id: input.id });
          this.c
            .stmt(
              `INSERT INTO webhook_deliveries (id, webhook_id, event, status, attempts, last_error, next_attempt_at, created_at)
               VALUES (?, ?, ?, 'pending', 0, NULL, ?, ?)`,
            )
            .run(delivery.id, delivery.webhookId, JSON.stringify(delivery.event), delivery.nextAttemptAt, delivery.createdAt);
          return delivery;
        })
        .immediate(),
    );
  }

  async claimDeliveries(options: { limit: number; leaseMs: number }): Promise<WebhookDelivery[]> {
    const limit = checkBatch(options?.limit, 'limit');
    const leaseMs = checkLease(options.leaseMs);
    const now = this.c.timestamp();
    const until = new Date(Date.parse(now) + leaseMs).toISOString();
    return this.c.run('update', () =>
      this.c.db
        .transaction(() => {
          const due = this.c
            .stmt(
              `SELECT * FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ?
               ORDER BY next_attempt_at, id LIMIT ?`,
            )
            .all(now, limit) as DeliveryRow[];
          const claim = this.c.stmt('UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ?');
          for (const row of due) claim.run(until, row.id);
          return due.map((row) => toDelivery({ ...row, attempts: row.attempts + 1, next_attempt_at: until }));
        })
        .immediate(),
    );
  }

  async recordAttempt(
    id: string,
    outcome: { delivered: true } | { delivered: false; error: string; retryAt: string | null },
  ): Promise<WebhookDelivery> {
    checkOutcome(outcome);
    const [status, lastError, next] = outcome.delivered
      ? (['delivered', null, null] as const)
      : ([outcome.retryAt ? 'pending' : 'failed', shortError(outcome.error), outcome.retryAt] as const);
    const row = await this.c.run('update', () => {
      this.c
        .stmt('UPDATE webhook_deliveries SET status = ?, last_error = ?, next_attempt_at = ? WHERE id = ?')
        .run(status, lastError, next, id);
      return this.c.stmt('SELECT * FROM webhook_deliveries WHERE id = ?').get(id) as DeliveryRow | undefined;
    });
    if (!row) throw new CatalogError('catalog.not_found', `no delivery ${id}`, { id });
    return toDelivery(row);
  }

  async listDeliveries(webhookId: string, limit?: number): Promise<WebhookDelivery[]> {
    checkId(webhookId, 'webhookId');
    const max = checkBatch(limit, 'limit', 20);
    const rows = await this.c.run(
      'select',
      () =>
        this.c
          .stmt('SELECT * FROM webhook_deliveries WHERE webhook_id = ? ORDER BY created_at DESC, id DESC LIMIT ?')
          .all(webhookId, max) as DeliveryRow[],
    );
    return rows.map(toDelivery);
  }
}

function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  // BEGIN IMMEDIATE takes the write lock first: two processes opening one file migrate in turn,
  // and the second finds nothing left to do.
  db.transaction(() => {
    const current = (db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
    if (current > latestVersion) {
      throw new CatalogError(
        'catalog.invalid',
        `the catalog database is at schema version ${current}, newer than this vought knows (${latestVersion}): upgrade vought, or restore a matching backup`,
        { version: current, latestVersion },
      );
    }
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      db.exec(migration.sqlite);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.name,
        new Date().toISOString(),
      );
    }
  }).immediate();
}
