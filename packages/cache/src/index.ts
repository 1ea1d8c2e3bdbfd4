// @vought/cache: the cache port (cache-types.ts), its one error (cache-error.ts), the adapters
// (memory-cache.ts, redis-cache.ts, tiered-cache.ts) and createCache.
import type { Cache } from './cache-types.ts';
import { MemoryCache } from './memory-cache.ts';
import { RedisCache } from './redis-cache.ts';
import { TieredCache } from './tiered-cache.ts';

export { CacheError, type CacheErrorCode } from './cache-error.ts';
export { type CacheTier, cacheMetrics, countLookup } from './cache-metrics.ts';
export type { Cache, Loaded, SetOptions } from './cache-types.ts';
export type { MemoryCacheOptions } from './memory-cache.ts';
export type { RedisCacheOptions } from './redis-cache.ts';
export { SingleFlight } from './single-flight.ts';
export { MemoryCache, RedisCache, TieredCache };

/** The in-process LRU alone, or in front of Redis when a URL is configured. */
export async function createCache(options: { redisUrl: string | undefined; memoryBytes: number; prefix?: string }): Promise<Cache> {
  const l1 = new MemoryCache({ maxBytes: options.memoryBytes });
  if (!options.redisUrl) return l1;
  const l2 = await RedisCache.connect({ url: options.redisUrl, prefix: options.prefix ?? 'vought' });
  return new TieredCache(l1, l2);
}
