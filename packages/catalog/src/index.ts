// The catalog port: video metadata and search. Adapters: sqlite-catalog.ts (better-sqlite3, WAL,
// embedded default) and postgres-catalog.ts (pg). Versioned migrations (migrations.ts) are applied
// at open. Search must give the same answers on both: see search-query.ts for the shared rules.

export type CatalogErrorCode = 'catalog.not_found' | 'catalog.conflict' | 'catalog.invalid' | 'catalog.unavailable';

export class CatalogError extends Error {
  override readonly name = 'CatalogError';
  constructor(
    readonly code: CatalogErrorCode,
    message: string,
    readonly detail: { id?: string; [k: string]: unknown } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

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
}

export type VideoPatch = Partial<
  Pick<Video, 'title' | 'description' | 'tags' | 'visibility' | 'status' | 'error' | 'duration' | 'renditions'>
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
  /** Stable order: created_at descending, then id descending; cursor pagination. */
  listVideos(query: ListQuery): Promise<Page<Video>>;
  /** Public, ready videos related to `id` (shared tags, then title similarity), best first. */
  related(id: string, limit: number): Promise<Video[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export { PostgresCatalog, type PostgresCatalogOptions } from './postgres-catalog.ts';
export { matches as searchMatches, parseSearch, words as searchWords } from './search-query.ts';
export { SqliteCatalog, type SqliteCatalogOptions } from './sqlite-catalog.ts';

import { PostgresCatalog as Postgres } from './postgres-catalog.ts';
import { SqliteCatalog as Sqlite } from './sqlite-catalog.ts';

/** PostgreSQL when a URL is configured, else SQLite at `sqlitePath`. */
export async function openCatalog(options: { databaseUrl: string | undefined; sqlitePath: string }): Promise<Catalog> {
  if (options.databaseUrl) return Postgres.open({ url: options.databaseUrl });
  return Sqlite.open({ path: options.sqlitePath });
}
