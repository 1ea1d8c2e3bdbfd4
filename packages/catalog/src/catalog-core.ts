// The catalog, written once for both engines over a SqlSession (driver + dialect): validation,
// paging, row mapping, error wrapping and related() live here; the adapters (sqlite-catalog.ts,
// postgres-catalog.ts) only open a connection and pick their dialect.
import { CatalogError } from './catalog-error.ts';
import { columnLists, toVideo, type VideoRow } from './catalog-rows.ts';
import type { Catalog, ListQuery, NewVideo, Page, Video, VideoPatch, WebhookStore } from './catalog-types.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { schemaVersion } from './migration-runner.ts';
import { MAX_RELATED_CANDIDATES, rankRelated } from './related-ranker.ts';
import { parseSearch, searchText, words } from './search-query.ts';
import type { SqlParams } from './sql-dialect.ts';
import type { SqlSession } from './sql-session.ts';
import { applyPatch, newVideo } from './video-record.ts';
import { checkListQuery, checkNewVideo, checkPatch } from './video-validation.ts';
import { SqlWebhookStore } from './webhook-store.ts';
import { checkBatch } from './webhook-validation.ts';

/** Updates retried on a newer row before giving up (under that much contention something is wrong). */
const UPDATE_ATTEMPTS = 5;

/** A nullable JSON column: SQL NULL for null (not JSON `null`), else the value as json. */
function nullableJson(p: SqlParams, value: unknown): string {
  return value === null ? 'NULL' : p.add(value, 'json');
}

export class CatalogCore implements Catalog {
  readonly kind: Catalog['kind'];
  readonly webhooks: WebhookStore;
  private readonly columns: string;

  protected constructor(protected readonly session: SqlSession) {
    this.kind = session.dialect.kind;
    this.webhooks = new SqlWebhookStore(session);
    this.columns = columnLists(session.dialect).videos;
  }

  async createVideo(input: NewVideo): Promise<Video> {
    checkNewVideo(input);
    const video = newVideo(input, '');
    const p = this.session.params();
    const at = this.session.now(p);
    const row = await this.session.insert<VideoRow>(
      `INSERT INTO videos (id, owner, title, description, tags, visibility, status, error, duration, renditions, encryption, version,
         search_text, created_at, updated_at)
       VALUES (${p.add(video.id)}, ${p.add(video.owner)}, ${p.add(video.title)}, ${p.add(video.description)}, ${p.add(video.tags, 'text[]')},
         ${p.add(video.visibility)}, ${p.add(video.status)}, NULL, NULL, '[]', ${nullableJson(p, video.encryption)}, 1,
         ${p.add(searchText(video))}, ${at}, ${at})
       RETURNING ${this.columns}`,
      p,
      { exists: () => new CatalogError('catalog.conflict', `video ${input.id} exists`, { id: input.id }) },
    );
    return toVideo(row);
  }

  async findVideo(id: string): Promise<Video | null> {
    if (typeof id !== 'string') return null;
    const p = this.session.params();
    const { rows } = await this.session.query<VideoRow>('select', `SELECT ${this.columns} FROM videos WHERE id = ${p.add(id)}`, p);
    return rows[0] ? toVideo(rows[0]) : null;
  }

  async getVideo(id: string): Promise<Video> {
    const video = await this.findVideo(id);
    if (!video) throw new CatalogError('catalog.not_found', `no video ${id}`, { id });
    return video;
  }

  async updateVideo(id: string, patch: VideoPatch, options: { expectedVersion?: number } = {}): Promise<Video> {
    checkPatch(patch);
    // Read, then compare-and-set on the version: a concurrent writer (another origin, or another
    // call on this connection between our two statements) makes the update touch no row. One
    // statement, so no transaction is needed on either engine. Without an expectation, a lost
    // race is retried on the newer row.
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const current = await this.getVideo(id);
      if (options.expectedVersion !== undefined && current.version !== options.expectedVersion) {
        throw new CatalogError(
          'catalog.conflict',
          `video ${id} changed (version ${current.version}, expected ${options.expectedVersion})`,
          { id, version: current.version, expectedVersion: options.expectedVersion },
        );
      }
      const next = applyPatch(current, patch);
      const p = this.session.params();
      const { rows } = await this.session.query<VideoRow>(
        'update',
        `UPDATE videos SET title = ${p.add(next.title)}, description = ${p.add(next.description)}, tags = ${p.add(next.tags, 'text[]')},
           visibility = ${p.add(next.visibility)}, status = ${p.add(next.status)}, error = ${p.add(next.error)},
           duration = ${p.add(next.duration)}, renditions = ${p.add(next.renditions, 'json')},
           encryption = ${nullableJson(p, next.encryption)}, search_text = ${p.add(searchText(next))},
           version = version + 1, updated_at = ${this.session.dialect.later('updated_at', this.session.now(p))}
         WHERE id = ${p.add(id)} AND version = ${p.add(current.version)} RETURNING ${this.columns}`,
        p,
      );
      if (rows[0]) return toVideo(rows[0]);
      if (options.expectedVersion !== undefined)
        throw new CatalogError('catalog.conflict', `video ${id} changed concurrently`, { id, expectedVersion: options.expectedVersion });
    }
    throw new CatalogError('catalog.conflict', `video ${id} kept changing; update not applied`, { id });
  }

  async deleteVideo(id: string): Promise<void> {
    const p = this.session.params();
    const { rowCount } = await this.session.query('delete', `DELETE FROM videos WHERE id = ${p.add(id)}`, p);
    if (!rowCount) throw new CatalogError('catalog.not_found', `no video ${id}`, { id });
  }

  async listVideos(query: ListQuery): Promise<Page<Video>> {
    const limit = checkListQuery(query);
    const cursor = query.cursor !== undefined ? decodeCursor(query.cursor) : null;
    if (query.visibility?.length === 0) return { items: [], nextCursor: null };
    const d = this.session.dialect;
    const p = this.session.params();
    const where: string[] = [];
    const search = parseSearch(query.q);
    if (search) where.push(d.matchesAll(search, p));
    if (query.tag !== undefined) where.push(d.holdsAny('tags', [query.tag], p));
    if (query.status !== undefined) where.push(`status = ${p.add(query.status)}`);
    if (query.owner !== undefined) where.push(`owner = ${p.add(query.owner)}`);
    if (query.visibility !== undefined) where.push(d.isIn('visibility', query.visibility, p));
    if (cursor) {
      const at = p.add(cursor.createdAt, 'timestamp');
      where.push(`(videos.created_at < ${at} OR (videos.created_at = ${at} AND videos.id < ${p.add(cursor.id)}))`);
    }
    // Qualified columns: on PostgreSQL the unqualified name would be the select list's text copy.
    // Ids compare bytewise on both engines (COLLATE "C" on PostgreSQL, migration 3).
    const { rows } = await this.session.query<VideoRow>(
      'select',
      `SELECT ${this.columns} FROM videos ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY videos.created_at DESC, videos.id DESC LIMIT ${p.add(limit + 1)}`,
      p,
    );
    const items = rows.slice(0, limit).map(toVideo);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null };
  }

  async related(id: string, limit: number): Promise<Video[]> {
    const max = checkBatch(limit, 'limit');
    const video = await this.getVideo(id);
    const titleWords = [...new Set(words(video.title))];
    const d = this.session.dialect;
    const p = this.session.params();
    // Candidates by SQL (bounded), the order by related-ranker.ts, so both engines agree on it.
    const clauses: string[] = [];
    if (video.tags.length) clauses.push(d.holdsAny('tags', video.tags, p));
    if (titleWords.length) clauses.push(d.matchesAny(titleWords, p));
    if (!clauses.length) return [];
    const { rows } = await this.session.query<VideoRow>(
      'select',
      `SELECT ${this.columns} FROM videos
       WHERE videos.id != ${p.add(id)} AND visibility = 'public' AND status = 'ready' AND (${clauses.join(' OR ')})
       ORDER BY videos.created_at DESC, videos.id DESC LIMIT ${p.add(MAX_RELATED_CANDIDATES)}`,
      p,
    );
    return rankRelated(video, rows.map(toVideo), max);
  }

  schemaVersion(): Promise<number> {
    return schemaVersion(this.session);
  }

  async ping(): Promise<void> {
    await this.session.query('ping', 'SELECT 1', null);
  }

  close(): Promise<void> {
    return this.session.driver.close();
  }
}
