// The rate-limit counter port: a fixed window per key, counted in Redis when configured (every
// origin node shares the count) or in process otherwise. The HTTP middleware that answers 429 is
// the origin's (api/rate-limiter.ts).
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { connectRedis } from './redis-connection.ts';

export interface RateLimiter {
  readonly kind: 'memory' | 'redis';
  /** Counts one request for `key`; returns the count in the current window. */
  hit(key: string, windowSeconds: number): Promise<number>;
  /** Answers when the backing counter is reachable (start-up, readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

const windowOf = (windowSeconds: number) => Math.floor(Date.now() / 1000 / windowSeconds);

export class MemoryRateLimiter implements RateLimiter {
  readonly kind = 'memory' as const;
  private readonly counts = new LRUCache<string, { window: number; n: number }>({ max: 100_000 });

  async hit(key: string, windowSeconds: number): Promise<number> {
    const window = windowOf(windowSeconds);
    const entry = this.counts.get(key);
    if (!entry || entry.window !== window) {
      this.counts.set(key, { window, n: 1 });
      return 1;
    }
    entry.n++;
    return entry.n;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}
}

export class RedisRateLimiter implements RateLimiter {
  readonly kind = 'redis' as const;

  private constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /** Connects (failing fast when Redis is not there). Counting fails fast too: no offline queue, 500 ms per command. */
  static async connect(options: { url: string; prefix?: string }): Promise<RedisRateLimiter> {
    const redis = await connectRedis(options.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: 500 });
    return new RedisRateLimiter(redis, options.prefix ?? 'vought:rl');
  }

  async hit(key: string, windowSeconds: number): Promise<number> {
    const redisKey = `${this.prefix}:${key}:${windowOf(windowSeconds)}`;
    const [[, n]] = (await this.redis
      .multi()
      .incr(redisKey)
      .expire(redisKey, windowSeconds * 2)
      .exec()) as [[null, number], [null, number]];
    return n;
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
