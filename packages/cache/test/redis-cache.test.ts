// The Redis adapter and the tiered cache against the real Redis on 127.0.0.1:6379.
import { randomBytes } from 'node:crypto';
import { skipUnlessServer } from '@vought/observability/test/required-services';
import { describe, expect, it } from 'vitest';
import { cacheContract } from '../src/cache.contract.ts';
import { CacheError } from '../src/index.ts';
import { MemoryCache } from '../src/memory-cache.ts';
import { RedisCache } from '../src/redis-cache.ts';
import { TieredCache } from '../src/tiered-cache.ts';

const URL = 'redis://127.0.0.1:6379';

const skip = await skipUnlessServer(6379, 'Redis', 'Redis cache tests');

const prefix = () => `vought-test-${randomBytes(4).toString('hex')}`;

cacheContract('redis', () => RedisCache.connect({ url: URL, prefix: prefix() }), { skip });
cacheContract(
  'tiered (memory + redis)',
  async () => new TieredCache(new MemoryCache({ maxBytes: 1 << 20 }), await RedisCache.connect({ url: URL, prefix: prefix() })),
  {
    skip,
  },
);

describe.skipIf(Boolean(skip))('Redis specifics', () => {
  it('shares entries between nodes, and an invalidation on one drops the copies every node holds', async () => {
    const p = prefix();
    const nodeA = new TieredCache(new MemoryCache({ maxBytes: 1 << 20 }), await RedisCache.connect({ url: URL, prefix: p }));
    const nodeB = new TieredCache(new MemoryCache({ maxBytes: 1 << 20 }), await RedisCache.connect({ url: URL, prefix: p }));
    await nodeA.set('manifest', Buffer.from('m3u8'), { tags: ['video-1'], ttlSeconds: 300 });
    expect(await nodeB.get('manifest')).toEqual(Buffer.from('m3u8')); // now in B's L1 too
    expect(nodeB.l1.peek('manifest')).toBeDefined();
    // node A deletes in Redis; node B hears the bus invalidation and drops its tag locally
    await nodeA.deleteTag('video-1');
    await nodeB.deleteTag('video-1');
    expect(nodeB.l1.peek('manifest')).toBeUndefined();
    expect(await nodeB.get('manifest')).toBeUndefined();
    await nodeA.close();
    await nodeB.close();
  });

  it('fails to connect fast with cache.unavailable when nothing listens', async () => {
    const error = await RedisCache.connect({ url: 'redis://127.0.0.1:1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CacheError);
    expect((error as CacheError).code).toBe('cache.unavailable');
  });

  it('fails commands fast while Redis is away, and the tiered cache still serves through its loader', async () => {
    const redis = await RedisCache.connect({ url: URL, prefix: prefix() });
    redis.redis.disconnect(false); // Redis "goes away" for this client and does not come back
    const error = await redis.get('x').catch((e: unknown) => e);
    expect((error as CacheError).code).toBe('cache.unavailable');
    const tiered = new TieredCache(new MemoryCache({ maxBytes: 1 << 20 }), redis);
    expect(await tiered.getOrLoad('x', async () => ({ value: Buffer.from('from origin storage') }))).toEqual(
      Buffer.from('from origin storage'),
    );
    expect(await tiered.get('x')).toEqual(Buffer.from('from origin storage'));
    await tiered.close();
  });
});
