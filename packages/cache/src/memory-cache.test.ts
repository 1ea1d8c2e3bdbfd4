import { describe, expect, it } from 'vitest';
import { cacheContract } from './cache.contract.ts';
import { MemoryCache } from './memory-cache.ts';

cacheContract('memory', async () => new MemoryCache({ maxBytes: 1024 * 1024 }));

describe('MemoryCache byte budget', () => {
  it('evicts the least recently used entries to stay within its bytes, and their tags with them', async () => {
    const cache = new MemoryCache({ maxBytes: 10_000 });
    for (let i = 0; i < 5; i++) await cache.set(`k${i}`, Buffer.alloc(1500), { tags: [`video-${i}`] });
    await cache.get('k0'); // k0 is now recently used; k1 is the oldest
    for (let i = 5; i < 8; i++) await cache.set(`k${i}`, Buffer.alloc(1500), { tags: [`video-${i}`] });
    expect(cache.bytes).toBeLessThanOrEqual(10_000);
    expect(await cache.get('k0')).toBeDefined();
    expect(await cache.get('k1')).toBeUndefined();
    expect(await cache.get('k7')).toBeDefined();
    // no tag index entry outlives its keys
    let live = 0;
    for (let i = 0; i < 8; i++) if (await cache.get(`k${i}`)) live++;
    expect(cache.tagCount).toBe(live);
  });

  it('does not cache an entry larger than the whole budget, and keeps the rest', async () => {
    const cache = new MemoryCache({ maxBytes: 1000 });
    await cache.set('small', Buffer.alloc(100));
    await cache.set('huge', Buffer.alloc(5000), { tags: ['t'] });
    expect(await cache.get('huge')).toBeUndefined();
    expect(await cache.get('small')).toBeDefined();
    expect(cache.tagCount).toBe(0);
    expect(await cache.getOrLoad('huge2', async () => ({ value: Buffer.alloc(5000) }))).toHaveLength(5000);
  });

  it('expires by the injected clock', async () => {
    let now = 1000;
    const cache = new MemoryCache({ maxBytes: 10_000, now: () => now });
    await cache.set('a', Buffer.from('x'), { ttlSeconds: 10, tags: ['t'] });
    now += 9_000;
    expect(await cache.get('a')).toBeDefined();
    now += 2_000;
    expect(await cache.get('a')).toBeUndefined();
  });
});
