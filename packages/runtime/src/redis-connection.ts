import { Redis, type RedisOptions } from 'ioredis';

/**
 * A connected ioredis client, or the connection error: start-up fails fast on a bad URL. Reconnects
 * forever afterwards (backing off to 2 s), so Redis coming back heals the node by itself; 'error'
 * events are swallowed (they would crash the process): failures surface through the commands.
 */
export async function connectRedis(url: string, options: RedisOptions = {}): Promise<Redis> {
  const redis = new Redis(url, {
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 100, 2000),
    ...options,
    lazyConnect: true,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  return redis;
}
