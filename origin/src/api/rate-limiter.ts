// Rate limits for the control API, per token subject and per client IP: a fixed one-minute window,
// counted by the rate limiter port (@vought/runtime: Redis when configured, so every origin node
// shares the count, or in process). Delivery (manifests, segments) is not limited here: that is the
// CDN's job, and players fetch fast.
import type { RateLimiter } from '@vought/runtime';
import type { Context, MiddlewareHandler } from 'hono';
import { ApiError } from '../http/api-error.ts';

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
