// Rate limits for the control API, per token subject and per client IP: a fixed one-minute window,
// counted in Redis when configured (every origin node shares the count) or in process otherwise.
// Delivery (manifests, segments) is not limited here: that is the CDN's job, and players fetch fast.
import type { Context, MiddlewareHandler } from 'hono';
import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { ApiError } from '../http/api-error.ts';

export interface RateLimiter {
  /** Counts one request for `key`; returns the count in the current window. */
  hit(key: string, windowSeconds: number): Promise<number>;
  close(): Promise<void>;
}

export class MemoryRateLimiter implements RateLimiter {
  private readonly counts = new LRUCache<string, { window: number; n: number }>({ max: 100_000 });

  async hit(key: string, windowSeconds: number): Promise<number> {
    const window = Math.floor(Date.now() / 1000 / windowSeconds);
    const entry = this.counts.get(key);
    if (!entry || entry.window !== window) {
      this.counts.set(key, { window, n: 1 });
      return 1;
    }
    entry.n++;
    return entry.n;
  }

  async close(): Promise<void> {}
}

export class RedisRateLimiter implements RateLimiter {
  private readonly redis: Redis;

  constructor(url: string) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false, commandTimeout: 500 });
    this.redis.on('error', () => {});
  }

  async hit(key: string, windowSeconds: number): Promise<number> {
    const window = Math.floor(Date.now() / 1000 / windowSeconds);
    const redisKey = `vought:rl:${key}:${window}`;
    const [[, n]] = (await this.redis
      .multi()
      .incr(redisKey)
      .expire(redisKey, windowSeconds * 2)
      .exec()) as [[null, number], [null, number]];
    return n;
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

/**
 * 429 with Retry-After once a token or a client address exceeds `perMinute` requests in the window.
 * The address is the client's, read through trusted proxies only (an edge in front must not make
 * every client share its bucket, and a client must not pick another's by sending X-Forwarded-For).
 */
export function rateLimit(limiter: RateLimiter, perMinute: number, clientAddress: (c: Context) => string): MiddlewareHandler {
  return async (c, next) => {
    if (perMinute <= 0 || c.req.method === 'OPTIONS') return next();
    const principal = c.get('principal');
    const ip = clientAddress(c);
    const keys = [`ip:${ip}`, ...(principal ? [`sub:${principal.sub}`] : [])];
    let highest = 0;
    for (const key of keys) {
      // A limiter that cannot count (Redis away) lets requests through: availability first.
      highest = Math.max(highest, await limiter.hit(key, 60).catch(() => 0));
    }
    c.header('ratelimit-limit', String(perMinute));
    c.header('ratelimit-remaining', String(Math.max(0, perMinute - highest)));
    if (highest > perMinute) {
      const retry = 60 - (Math.floor(Date.now() / 1000) % 60);
      c.header('retry-after', String(retry));
      throw new ApiError('http.rate_limited', `more than ${perMinute} requests a minute: try again in ${retry} s`, { limit: perMinute });
    }
    return next();
  };
}
