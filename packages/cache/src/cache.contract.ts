// One contract for every Cache adapter: memory, Redis and the tiered pair run the same suite.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cache } from './cache-types.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function cacheContract(name: string, open: () => Promise<Cache>, options: { skip?: string | false } = {}) {
  describe.skipIf(Boolean(options.skip))(`Cache contract: ${name}`, () => {
    let cache: Cache;
    const ns = `t${randomBytes(4).toString('hex')}`;
    const k = (key: string) => `${ns}:${key}`;

    beforeAll(async () => {
      cache = await open();
    });
    afterAll(async () => {
      await cache?.close();
    });

    it('round-trips every byte value', async () => {
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      await cache.set(k('bin'), bytes);
      expect(await cache.get(k('bin'))).toEqual(bytes);
      expect(await cache.get(k('absent'))).toBeUndefined();
    });

    it('expires entries after their TTL', async () => {
      await cache.set(k('ttl'), Buffer.from('x'), { ttlSeconds: 0.3 });
      expect(await cache.get(k('ttl'))).toEqual(Buffer.from('x'));
      await sleep(700);
      expect(await cache.get(k('ttl'))).toBeUndefined();
    });

    it('deletes by key', async () => {
      await cache.set(k('d'), Buffer.from('x'));
      await cache.delete(k('d'));
      expect(await cache.get(k('d'))).toBeUndefined();
    });

    it('deletes by tag exactly the tagged entries, across several tags', async () => {
      await cache.set(k('a'), Buffer.from('a'), { tags: [`${ns}-video-1`] });
      await cache.set(k('b'), Buffer.from('b'), { tags: [`${ns}-video-1`, `${ns}-all`] });
      await cache.set(k('c'), Buffer.from('c'), { tags: [`${ns}-video-2`, `${ns}-all`] });
      await cache.set(k('d'), Buffer.from('d'));
      expect(await cache.deleteTag(`${ns}-video-1`)).toBe(2);
      expect(await cache.get(k('a'))).toBeUndefined();
      expect(await cache.get(k('b'))).toBeUndefined();
      expect(await cache.get(k('c'))).toEqual(Buffer.from('c'));
      expect(await cache.get(k('d'))).toEqual(Buffer.from('d'));
      await cache.deleteTag(`${ns}-all`);
      expect(await cache.get(k('c'))).toBeUndefined();
      expect(await cache.deleteTag(`${ns}-nothing`)).toBe(0);
    });

    it('replaces tags when an entry is overwritten', async () => {
      await cache.set(k('o'), Buffer.from('1'), { tags: [`${ns}-old`] });
      await cache.set(k('o'), Buffer.from('2'), { tags: [`${ns}-new`] });
      await cache.deleteTag(`${ns}-old`);
      expect(await cache.get(k('o'))).toEqual(Buffer.from('2'));
      await cache.deleteTag(`${ns}-new`);
      expect(await cache.get(k('o'))).toBeUndefined();
    });

    it('runs one loader for any number of concurrent misses (single-flight)', async () => {
      let calls = 0;
      const loader = async () => {
        calls++;
        await sleep(50);
        return { value: Buffer.from('loaded'), tags: [`${ns}-sf`] };
      };
      const results = await Promise.all(Array.from({ length: 100 }, () => cache.getOrLoad(k('sf'), loader)));
      expect(calls).toBe(1);
      expect(results.every((r) => r.toString() === 'loaded')).toBe(true);
      expect(await cache.getOrLoad(k('sf'), loader)).toEqual(Buffer.from('loaded'));
      expect(calls).toBe(1);
      await cache.deleteTag(`${ns}-sf`);
      await cache.getOrLoad(k('sf'), loader);
      expect(calls).toBe(2);
    });

    it('gives a failing loader error to every waiter, caches nothing, and retries next time', async () => {
      let calls = 0;
      const failing = async () => {
        calls++;
        await sleep(20);
        throw new Error('origin down');
      };
      const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => cache.getOrLoad(k('f'), failing)));
      expect(calls).toBe(1);
      expect(outcomes.every((o) => o.status === 'rejected' && (o.reason as Error).message === 'origin down')).toBe(true);
      expect(await cache.get(k('f'))).toBeUndefined();
      expect(await cache.getOrLoad(k('f'), async () => ({ value: Buffer.from('ok') }))).toEqual(Buffer.from('ok'));
    });

    it('answers ping', async () => {
      await cache.ping();
    });
  });
}
