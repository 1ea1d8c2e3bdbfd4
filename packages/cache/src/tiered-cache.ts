// L1 in process, L2 in Redis (ARCHITECTURE: "an in-process LRU sits in front of it"). A hit in
// Redis fills L1 with the entry's tags (so invalidations reach it) and its remaining TTL, bounded so
// that a node that missed an invalidation message cannot serve a stale entry for long. While Redis is unavailable the tiered cache keeps working
// on L1 and the loader; the readiness probe reports Redis, requests do not fail for it.

import { counted } from './cache-metrics.ts';
import type { Cache, Loaded, SetOptions } from './cache-types.ts';
import type { MemoryCache } from './memory-cache.ts';
import type { RedisCache } from './redis-cache.ts';
import { SingleFlight } from './single-flight.ts';

/** Longest an L1 copy of a Redis entry lives (seconds). */
const L1_MAX_TTL_SECONDS = 60;

export class TieredCache implements Cache {
  readonly kind = 'tiered' as const;
  private readonly flights = new SingleFlight<Buffer>();

  constructor(
    readonly l1: MemoryCache,
    readonly l2: RedisCache,
  ) {}

  private l1Ttl(ttlSeconds: number | undefined): number {
    return Math.min(ttlSeconds ?? L1_MAX_TTL_SECONDS, L1_MAX_TTL_SECONDS);
  }

  async get(key: string): Promise<Buffer | undefined> {
    const local = counted('memory', this.l1.peek(key));
    if (local) return local;
    return this.remote(key);
  }

  /** L2 (counted there), filling L1 on a hit. */
  private async remote(key: string): Promise<Buffer | undefined> {
    const remote = await this.l2.getEntry(key).catch(() => undefined);
    if (!remote) return undefined;
    this.l1.setSync(key, remote.value, { tags: remote.tags, ttlSeconds: this.l1Ttl(remote.ttlMs > 0 ? remote.ttlMs / 1000 : undefined) });
    return remote.value;
  }

  async set(key: string, value: Buffer, options: SetOptions = {}): Promise<void> {
    this.l1.setSync(key, value, { ...options, ttlSeconds: this.l1Ttl(options.ttlSeconds) });
    await this.l2.set(key, value, options).catch(() => {});
  }

  async delete(key: string): Promise<void> {
    await this.l1.delete(key);
    await this.l2.delete(key);
  }

  async deleteTag(tag: string): Promise<number> {
    const local = await this.l1.deleteTag(tag);
    const remote = await this.l2.deleteTag(tag);
    return Math.max(local, remote);
  }

  async getOrLoad(key: string, loader: () => Promise<Loaded>): Promise<Buffer> {
    const local = counted('memory', this.l1.peek(key));
    if (local) return local;
    return this.flights.do(key, async () => {
      // another flight may have filled L1 since (not a lookup of its own: not counted)
      const remote = this.l1.peek(key) ?? (await this.remote(key));
      if (remote) return remote;
      const loaded = await loader();
      await this.set(key, loaded.value, loaded);
      return loaded.value;
    });
  }

  async ping(): Promise<void> {
    await this.l2.ping();
  }

  async close(): Promise<void> {
    await this.l1.close();
    await this.l2.close();
  }
}
