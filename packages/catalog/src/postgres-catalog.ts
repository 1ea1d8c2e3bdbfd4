// PostgreSQL through pg: the catalog for many origins. Full-text search indexes the same words as
// SQLite (see search-query.ts) in a generated tsvector with a GIN index.
import { withSpan } from '@vought/observability';
import pg from 'pg';
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
import { parseSearch, searchText, tsQuery, words } from './search-query.ts';
import { checkNewVideo, checkPatch, clampLimit } from './video-validation.ts';

export interface PostgresCatalogOptions {
  url: string;
  /** Schema for every table (tests use a fresh one per run). Default: the connection's search_path. */
  schema?: string;
  max?: number;
}

const COLUMNS = `id, owner, title, description, tags, visibility, status, error, duration, renditions, version,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at,
  to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS updated_at`;

interface Row {
  id: string;
  owner: string;
  title: string;
  description: string;
  tags: string[];
  visibility: Video['visibility'];
  status: Video['status'];
  error: string | null;
  duration: number | null;
  renditions: Rendition[];
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
    tags: row.tags,
    visibility: row.visibility,
    status: row.status,
    error: row.error,
    duration: row.duration,
    renditions: row.renditions,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class PostgresCatalog implements Catalog {
  readonly kind = 'postgres' as const;

  private constructor(readonly pool: pg.Pool) {}

  static async open(options: PostgresCatalogOptions): Promise<PostgresCatalog> {
    const schema = options.schema;
    if (schema && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new CatalogError('catalog.invalid', `bad schema name ${schema}`);
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.max ?? 10,
      connectionTimeoutMillis: 3000,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    });
    // An idle client losing its connection emits 'error' on the pool: never fatal; the next query
    // fails with catalog.unavailable and readiness reports it.
    pool.on('error', () => {});
    const catalog = new PostgresCatalog(pool);
    try {
      await catalog.migrate(schema);
    } catch (error) {
      await pool.end().catch(() => {});
      if (error instanceof CatalogError) throw error;
      throw new CatalogError('catalog.unavailable', `cannot open PostgreSQL: ${(error as Error).message}`, {}, { cause: error });
    }
    return catalog;
  }

  private async migrate(schema: string | undefined): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // Several origins starting at once: one migrates, the others wait here, then find nothing to do.
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('vought-catalog-migrations'))`);
      if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)',
      );
      const current = Number((await client.query('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations')).rows[0]?.v ?? 0);
      if (current > latestVersion) {
        throw new CatalogError(
          'catalog.invalid',
          `the catalog is at schema version ${current}, newer than this vought knows (${latestVersion}): upgrade vought`,
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

  private async query<T extends pg.QueryResultRow>(op: string, sql: string, params: unknown[]): Promise<pg.QueryResult<T>> {
    return withSpan(`db.${op}`, { 'db.system': 'postgresql', 'db.operation': op }, async () => {
      try {
        return await this.pool.query<T>(sql, params);
      } catch (error) {
        if (error instanceof CatalogError) throw error;
        const code = (error as { code?: string }).code;
        if (code === '23505') throw new CatalogError('catalog.conflict', 'already exists', {}, { cause: error });
        if (code && /^(22|23|42)/.test(code)) throw error; // our bug or bad input: not an outage
        throw new CatalogError('catalog.unavailable', `PostgreSQL failed: ${(error as Error).message}`, {}, { cause: error });
      }
    });
  }

  async createVideo(input: NewVideo): Promise<Video> {
    checkNewVideo(input);
    const video = {
      id: input.id,
      owner: input.owner,
      title: input.title.trim(),
      description: input.description ?? '',
      tags: input.tags ?? [],
      visibility: input.visibility ?? 'public',
      status: input.status ?? 'waiting_upload',
    };
    try {
      const { rows } = await this.query<Row>(
        'insert',
        `INSERT INTO videos (id, owner, title, description, tags, visibility, status, search_text, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now(), now()) RETURNING ${COLUMNS}`,
        [video.id, video.owner, video.title, video.description, video.tags, video.visibility, video.status, searchText(video)],
      );
      return toVideo(rows[0] as Row);
    } catch (error) {
      if (error instanceof CatalogError && error.code === 'catalog.conflict')
        throw new CatalogError('catalog.conflict', `video ${input.id} exists`, { id: input.id });
      throw error;
    }
  }

  async findVideo(id: string): Promise<Video | null> {
    const { rows } = await this.query<Row>('select', `SELECT ${COLUMNS} FROM videos WHERE id = $1`, [id]);
    return rows[0] ? toVideo(rows[0]) : null;
  }

  async getVideo(id: string): Promise<Video> {
    const video = await this.findVideo(id);
    if (!video) throw new CatalogError('catalog.not_found', `no video ${id}`, { id });
    return video;
  }

  async updateVideo(id: string, patch: VideoPatch, options: { expectedVersion?: number } = {}): Promise<Video> {
    checkPatch(patch);
    const current = await this.getVideo(id);
    if (options.expectedVersion !== undefined && current.version !== options.expectedVersion) {
      throw new CatalogError('catalog.conflict', `video ${id} changed (version ${current.version}, expected ${options.expectedVersion})`, {
        id,
      });
    }
    const next = { ...current, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) } as Video;
    // Compare-and-set on the version: a concurrent writer makes this update touch no row.
    const { rows } = await this.query<Row>(
      'update',
      `UPDATE videos SET title=$3, description=$4, tags=$5, visibility=$6, status=$7, error=$8, duration=$9, renditions=$10,
         search_text=$11, version = version + 1, updated_at = GREATEST(now(), updated_at + interval '1 millisecond')
       WHERE id=$1 AND version=$2 RETURNING ${COLUMNS}`,
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
      ],
    );
    if (!rows[0]) {
      if (options.expectedVersion !== undefined) throw new CatalogError('catalog.conflict', `video ${id} changed concurrently`, { id });
      return this.updateVideo(id, patch); // lost a race without an expectation: apply on the new version
    }
    return toVideo(rows[0]);
  }

  async deleteVideo(id: string): Promise<void> {
    const { rowCount } = await this.query('delete', 'DELETE FROM videos WHERE id = $1', [id]);
    if (!rowCount) throw new CatalogError('catalog.not_found', `no video ${id}`, { id });
  }

  async listVideos(query: ListQuery): Promise<Page<Video>> {
    const limit = clampLimit(query.limit);
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    const search = parseSearch(query.q);
    if (search) where.push(`search_vector @@ to_tsquery('simple', ${add(tsQuery(search))})`);
    if (query.tag !== undefined) where.push(`tags @> ARRAY[${add(query.tag)}]::text[]`);
    if (query.status) where.push(`status = ${add(query.status)}`);
    if (query.owner) where.push(`owner = ${add(query.owner)}`);
    if (query.visibility) {
      if (query.visibility.length === 0) return { items: [], nextCursor: null };
      where.push(`visibility = ANY(${add(query.visibility)}::text[])`);
    }
    if (query.cursor) {
      const cursor = decodeCursor(query.cursor);
      const at = add(cursor.createdAt);
      where.push(`(created_at < ${at}::timestamptz OR (created_at = ${at}::timestamptz AND id < ${add(cursor.id)}))`);
    }
    const sql = `SELECT ${COLUMNS} FROM videos ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY videos.created_at DESC, id DESC LIMIT ${add(limit + 1)}`;
    const { rows } = await this.query<Row>('select', sql, params);
    const items = rows.slice(0, limit).map(toVideo);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null };
  }

  async related(id: string, limit: number): Promise<Video[]> {
    const video = await this.getVideo(id);
    const titleWords = words(video.title);
    const clauses: string[] = [];
    const params: unknown[] = [id];
    if (video.tags.length) {
      params.push(video.tags);
      clauses.push(`tags && $${params.length}::text[]`);
    }
    if (titleWords.length) {
      params.push(titleWords.map((w) => `'${w}'`).join(' | '));
      clauses.push(`search_vector @@ to_tsquery('simple', $${params.length})`);
    }
    if (!clauses.length) return [];
    const { rows } = await this.query<Row>(
      'select',
      `SELECT ${COLUMNS} FROM videos WHERE id != $1 AND visibility = 'public' AND status = 'ready' AND (${clauses.join(' OR ')})
       ORDER BY videos.created_at DESC, id DESC LIMIT 200`,
      params,
    );
    return rankRelated(video, rows.map(toVideo), limit);
  }

  async ping(): Promise<void> {
    await this.query('ping', 'SELECT 1', []);
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => {});
  }
}
