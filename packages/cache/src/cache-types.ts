// The cache port. The origin keeps media indexes and rendered manifests here: an in-process LRU
// with a byte budget (memory-cache.ts, the embedded default) in front of Redis (redis-cache.ts) when
// configured (tiered-cache.ts). Entries carry tags (surrogate keys such as `video-{id}`) so that one
// invalidation drops everything derived from a video.

export interface SetOptions {
  /** Time to live in seconds; unset: until evicted or invalidated. */
  ttlSeconds?: number;
  /** Surrogate keys: deleteTag(tag) drops this entry. */
  tags?: readonly string[];
}

export interface Loaded extends SetOptions {
  value: Buffer;
}

export interface Cache {
  readonly kind: 'memory' | 'redis' | 'tiered';
  get(key: string): Promise<Buffer | undefined>;
  set(key: string, value: Buffer, options?: SetOptions): Promise<void>;
  delete(key: string): Promise<void>;
  /** Drops every entry set with this tag; returns how many went (best effort for Redis). */
  deleteTag(tag: string): Promise<number>;
  /**
   * Get, or on a miss run `loader` once and store what it returns. Concurrent misses for one key in
   * this process share one loader call (single-flight); a loader that throws is not cached and every
   * waiter sees its error.
   */
  getOrLoad(key: string, loader: () => Promise<Loaded>): Promise<Buffer>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
