// The cache port. The origin keeps media indexes and rendered manifests here: an in-process LRU
// with a byte budget (memory-cache.ts, the embedded default) in front of Redis (redis-cache.ts) when
// configured (tiered-cache.ts). Entries carry tags (surrogate keys such as `video-{id}`) so that one
// invalidation drops everything derived from a video.

export type CacheErrorCode = 'cache.unavailable' | 'cache.too_large';

export class CacheError extends Error {
  override readonly name = 'CacheError';
  constructor(
    readonly code: CacheErrorCode,
    message: string,
    readonly detail: { key?: string; [k: string]: unknown } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

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

export { MemoryCache, type MemoryCacheOptions } from './memory-cache.ts';
export { RedisCache, type RedisCacheOptions } from './redis-cache.ts';
export { SingleFlight } from './single-flight.ts';
export { TieredCache } from './tiered-cache.ts';

import { MemoryCache as Memory } from './memory-cache.ts';
import { RedisCache as RedisAdapter } from './redis-cache.ts';
import { TieredCache as Tiered } from './tiered-cache.ts';

/** The in-process LRU alone, or in front of Redis when a URL is configured. */
export async function createCache(options: { redisUrl: string | undefined; memoryBytes: number; prefix?: string }): Promise<Cache> {
  const l1 = new Memory({ maxBytes: options.memoryBytes });
  if (!options.redisUrl) return l1;
  const l2 = await RedisAdapter.connect({ url: options.redisUrl, prefix: options.prefix ?? 'vought' });
  return new Tiered(l1, l2);
}
