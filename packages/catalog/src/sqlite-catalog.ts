// The embedded default: SQLite through better-sqlite3, in WAL mode (readers never wait for the
// writer), with FTS5 for search. The port is async; better-sqlite3 is synchronous and fast, so
// each method runs its statement directly.
import fs from 'node:fs';
import path from 'node:path';
import { withSpan } from '@vought/observability';
import Database from 'better-sqlite3';
import { decodeCursor, encodeCursor } from './cursor.ts';
import {
  type Catalog,
  CatalogError,
  type ListQuery,
  type NewVideo,
  type Page,
  type Rendition,
  type Video,
  type VideoPatch,
} from './index.ts';
import { latestVersion, migrations } from './migrations.ts';
import { rankRelated } from './related-ranker.ts';
import { fts5Match, parseSearch, searchText, words } from './search-query.ts';
import { checkNewVideo, checkPatch, clampLimit } from './video-validation.ts';

export interface SqliteCatalogOptions {
  path: string;
  /** Clock for created/updated times (tests). */
  now?: () => Date;
}

interface Row {
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

function toVideo(row: Row): Video {
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

export class SqliteCatalog implements Catalog {
  readonly kind = 'sqlite' as const;
  private readonly now: () => Date;

  private constructor(
    readonly db: Database.Database,
    now: (() => Date) | undefined,
  ) {
    this.now = now ?? (() => new Date());
  }

  static async open(options: SqliteCatalogOptions): Promise<SqliteCatalog> {
    fs.mkdirSync(path.dirname(path.resolve(options.path)), { recursive: true });
    let db: Database.Database;
    try {
      db = new Database(options.path);
      db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON');
      db.pragma('synchronous = NORMAL');
    } catch (error) {
      throw new CatalogError(
        'catalog.unavailable',
        `cannot open SQLite at ${options.path}: ${(error as Error).message}`,
        {},
        { cause: error },
      );
    }
    migrate(db);
    return new SqliteCatalog(db, options.now);
  }

  private span<T>(op: string, fn: () => T): Promise<T> {
    return withSpan(`db.${op}`, { 'db.system': 'sqlite', 'db.operation': op }, async () => fn());
  }

  async createVideo(input: NewVideo): Promise<Video> {
    checkNewVideo(input);
    return this.span('insert', () => {
      const at = this.now().toISOString();
      const video: Video = {
        id: input.id,
        owner: input.owner,
        title: input.title.trim(),
        description: input.description ?? '',
        tags: input.tags ?? [],
        visibility: input.visibility ?? 'public',
        status: input.status ?? 'waiting_upload',
        error: null,
        duration: null,
        renditions: [],
        version: 1,
        createdAt: at,
        updatedAt: at,
      };
      try {
        this.db
          .prepare(
            `INSERT INTO videos (id, owner, title, description, tags, visibility, status, error, duration, renditions, version, search_text, created_at, updated_at)
             VALUES (@id, @owner, @title, @description, @tags, @visibility, @status, NULL, NULL, '[]', 1, @search, @at, @at)`,
          )
          .run({ ...video, tags: JSON.stringify(video.tags), search: searchText(video), at });
      } catch (error) {
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
          throw new CatalogError('catalog.conflict', `video ${input.id} exists`, { id: input.id });
        throw error;
      }
      return video;
    });
  }

  async findVideo(id: string): Promise<Video | null> {
    return this.span('select', () => {
      const row = this.db.prepare('SELECT * FROM videos WHERE id = ?').get(id) as Row | undefined;
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
    return this.span('update', () =>
      this.db.transaction(() => {
        const row = this.db.prepare('SELECT * FROM videos WHERE id = ?').get(id) as Row | undefined;
        if (!row) throw new CatalogError('catalog.not_found', `no video ${id}`, { id });
        const current = toVideo(row);
        if (options.expectedVersion !== undefined && current.version !== options.expectedVersion) {
          throw new CatalogError(
            'catalog.conflict',
            `video ${id} changed (version ${current.version}, expected ${options.expectedVersion})`,
            { id },
          );
        }
        const next: Video = { ...current, ...definedOnly(patch), version: current.version + 1, updatedAt: this.later(current.updatedAt) };
        this.db
          .prepare(
            `UPDATE videos SET title=@title, description=@description, tags=@tags, visibility=@visibility, status=@status, error=@error,
               duration=@duration, renditions=@renditions, version=@version, search_text=@search, updated_at=@updatedAt WHERE id=@id`,
          )
          .run({ ...next, tags: JSON.stringify(next.tags), renditions: JSON.stringify(next.renditions), search: searchText(next) });
        return next;
      })(),
    );
  }

  /** A timestamp after `previous` even if the clock stands still (updates are ordered). */
  private later(previous: string): string {
    const now = this.now();
    const prev = Date.parse(previous);
    return (now.getTime() > prev ? now : new Date(prev + 1)).toISOString();
  }

  async deleteVideo(id: string): Promise<void> {
    await this.span('delete', () => {
      const result = this.db.prepare('DELETE FROM videos WHERE id = ?').run(id);
      if (result.changes === 0) throw new CatalogError('catalog.not_found', `no video ${id}`, { id });
    });
  }

  async listVideos(query: ListQuery): Promise<Page<Video>> {
    const limit = clampLimit(query.limit);
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
    if (query.status) {
      where.push('status = @status');
      params.status = query.status;
    }
    if (query.owner) {
      where.push('owner = @owner');
      params.owner = query.owner;
    }
    if (query.visibility) {
      if (query.visibility.length === 0) return { items: [], nextCursor: null };
      where.push(`visibility IN (${query.visibility.map((_, i) => `@vis${i}`).join(',')})`);
      query.visibility.forEach((v, i) => {
        params[`vis${i}`] = v;
      });
    }
    if (query.cursor) {
      const cursor = decodeCursor(query.cursor);
      where.push('(created_at < @cAt OR (created_at = @cAt AND id < @cId))');
      params.cAt = cursor.createdAt;
      params.cId = cursor.id;
    }
    const sql = `SELECT * FROM videos ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT @limit`;
    return this.span('select', () => {
      const rows = this.db.prepare(sql).all(params) as Row[];
      const items = rows.slice(0, limit).map(toVideo);
      const last = items.at(-1);
      return { items, nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null };
    });
  }

  async related(id: string, limit: number): Promise<Video[]> {
    const video = await this.getVideo(id);
    const titleWords = words(video.title);
    return this.span('select', () => {
      const clauses: string[] = [];
      const params: Record<string, unknown> = { id };
      if (video.tags.length) {
        clauses.push(
          `EXISTS (SELECT 1 FROM json_each(videos.tags) WHERE json_each.value IN (${video.tags.map((_, i) => `@t${i}`).join(',')}))`,
        );
        video.tags.forEach((t, i) => {
          params[`t${i}`] = t;
        });
      }
      if (titleWords.length) {
        clauses.push('rowid IN (SELECT rowid FROM videos_fts WHERE videos_fts MATCH @words)');
        params.words = titleWords.map((w) => `"${w}"`).join(' OR ');
      }
      if (!clauses.length) return [];
      const rows = this.db
        .prepare(
          `SELECT * FROM videos WHERE id != @id AND visibility = 'public' AND status = 'ready' AND (${clauses.join(' OR ')})
           ORDER BY created_at DESC, id DESC LIMIT 200`,
        )
        .all(params) as Row[];
      return rankRelated(video, rows.map(toVideo), limit);
    });
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  // BEGIN IMMEDIATE takes the write lock first: two processes opening one file migrate in turn.
  db.transaction(() => {
    const current = (db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
    if (current > latestVersion) {
      throw new CatalogError(
        'catalog.invalid',
        `the catalog is at schema version ${current}, newer than this vought knows (${latestVersion}): upgrade vought`,
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
