// The embedded default: an in-process LRU bounded by bytes (lru-cache's maxSize with a size per
// entry), with TTLs and a tag index kept consistent on eviction, overwrite and delete.
import { LRUCache } from 'lru-cache';
import { counted } from './cache-metrics.ts';
import type { Cache, Loaded, SetOptions } from './cache-types.ts';
import { SingleFlight } from './single-flight.ts';

export interface MemoryCacheOptions {
  /** Budget for keys + values, in bytes. */
  maxBytes: number;
  /** Clock for TTLs (tests). */
  now?: () => number;
}

interface Entry {
  value: Buffer;
  tags: readonly string[];
}

/** Bookkeeping bytes per entry beyond key and value (object headers, LRU links). */
const OVERHEAD = 64;

export class MemoryCache implements Cache {
  readonly kind = 'memory' as const;
  private readonly lru: LRUCache<string, Entry>;
  private readonly tagIndex = new Map<string, Set<string>>();
  private readonly flights = new SingleFlight<Buffer>();
  readonly maxBytes: number;

  constructor(options: MemoryCacheOptions) {
    this.maxBytes = options.maxBytes;
    this.lru = new LRUCache<string, Entry>({
      maxSize: options.maxBytes,
      // An entry larger than the whole budget is not cached (lru-cache refuses it silently):
      // serving it uncached is better than evicting everything else for it.
      sizeCalculation: (entry, key) => entry.value.length + key.length * 2 + OVERHEAD,
      ttlAutopurge: false,
      allowStale: false,
      // An injected clock is read on every check (no cached 'now' between timer ticks).
      ...(options.now ? { perf: { now: options.now }, ttlResolution: 0 } : {}),
      dispose: (entry, key, reason) => {
        // 'set' disposes the replaced value: its tags go, the new value's tags are added after.
        if (reason === 'set' || reason === 'evict' || reason === 'delete' || reason === 'expire') this.untag(key, entry.tags);
      },
    });
  }

  private untag(key: string, tags: readonly string[]): void {
    for (const tag of tags) {
      const keys = this.tagIndex.get(tag);
      if (!keys) continue;
      keys.delete(key);
      if (keys.size === 0) this.tagIndex.delete(tag);
    }
  }

  /** Synchronous read, for hot paths that must not pay for a promise. */
  peek(key: string): Buffer | undefined {
    return this.lru.get(key)?.value;
  }

  async get(key: string): Promise<Buffer | undefined> {
    return counted('memory', this.lru.get(key)?.value);
  }

  async set(key: string, value: Buffer, options: SetOptions = {}): Promise<void> {
    this.setSync(key, value, options);
  }

  setSync(key: string, value: Buffer, options: SetOptions = {}): void {
    const tags = [...new Set(options.tags ?? [])];
    this.lru.set(key, { value, tags }, options.ttlSeconds ? { ttl: options.ttlSeconds * 1000 } : {});
    if (!this.lru.has(key)) return; // refused: larger than the budget
    for (const tag of tags) {
      let keys = this.tagIndex.get(tag);
      if (!keys) {
        keys = new Set();
        this.tagIndex.set(tag, keys);
      }
      keys.add(key);
    }
  }

  /** Remaining time to live in ms (Infinity without a TTL, 0 when absent). */
  ttlOf(key: string): number {
    if (!this.lru.has(key)) return 0;
    const remaining = this.lru.getRemainingTTL(key);
    return remaining === 0 ? Number.POSITIVE_INFINITY : remaining;
  }

  async delete(key: string): Promise<void> {
    this.lru.delete(key);
  }

  async deleteTag(tag: string): Promise<number> {
    const keys = this.tagIndex.get(tag);
    if (!keys) return 0;
    const all = [...keys];
    for (const key of all) this.lru.delete(key);
    this.tagIndex.delete(tag);
    return all.length;
  }

  async getOrLoad(key: string, loader: () => Promise<Loaded>): Promise<Buffer> {
    const hit = counted('memory', this.lru.get(key));
    if (hit) return hit.value;
    return this.flights.do(key, async () => {
      const loaded = await loader();
      this.setSync(key, loaded.value, loaded);
      return loaded.value;
    });
  }

  /** Bytes in use (keys, values and overhead). */
  get bytes(): number {
    return this.lru.calculatedSize;
  }

  get tagCount(): number {
    return this.tagIndex.size;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.lru.clear();
    this.tagIndex.clear();
  }
}
