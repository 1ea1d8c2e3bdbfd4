// The edge's object cache: whole responses in memory within a byte budget, and request
// coalescing: any number of concurrent misses for one key make one upstream request, and the
// followers receive the bytes as they arrive (each follower replays what has come so far, then
// follows the live stream), not after the whole body.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { LRUCache } from 'lru-cache';

export interface CachedObject {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  storedAt: number;
  ttl: number;
  staleWhileRevalidate: number;
  staleIfError: number;
  surrogateKeys: string[];
  /** Soft-purged: serve only while revalidating. */
  stale: boolean;
}

/** A response on its way from upstream, shared by every request that wants it. */
export class InFlight {
  readonly chunks: Buffer[] = [];
  status = 0;
  headers: Record<string, string> = {};
  done = false;
  error: Error | null = null;
  followers = 0;
  private readonly listeners = new Set<() => void>();
  private readonly headReady: Promise<void>;
  private resolveHead!: () => void;

  constructor() {
    this.headReady = new Promise((resolve) => {
      this.resolveHead = resolve;
    });
  }

  head(status: number, headers: Record<string, string>): void {
    this.status = status;
    this.headers = headers;
    this.resolveHead();
  }

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    for (const l of this.listeners) l();
  }

  finish(error: Error | null = null): void {
    this.done = true;
    this.error = error;
    this.resolveHead();
    for (const l of this.listeners) l();
  }

  waitHead(): Promise<void> {
    return this.headReady;
  }

  /** A stream of the body: what has arrived, then the rest as it comes. */
  stream(): ReadableStream<Uint8Array> {
    let index = 0;
    let wake: (() => void) | null = null;
    const listener = () => wake?.();
    this.listeners.add(listener);
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        while (index >= this.chunks.length && !this.done) await new Promise<void>((r) => (wake = r));
        wake = null;
        if (index < this.chunks.length) {
          controller.enqueue(this.chunks[index++] as Buffer);
          return;
        }
        this.listeners.delete(listener);
        if (this.error) controller.error(this.error);
        else controller.close();
      },
      cancel: () => {
        this.listeners.delete(listener);
      },
    });
  }
}

export interface DiskTierOptions {
  dir: string;
  maxBytes: number;
}

/** What the disk tier remembers of an object without reading its file. */
interface DiskEntry {
  file: string;
  size: number;
  surrogateKeys: string[];
}

export class EdgeCache {
  readonly objects: LRUCache<string, CachedObject>;
  readonly inFlight = new Map<string, InFlight>();
  /** Optional second tier: objects evicted from memory are written here and read back on a miss. */
  private readonly disk: LRUCache<string, DiskEntry> | null = null;

  constructor(maxBytes: number, diskTier?: DiskTierOptions) {
    if (diskTier) {
      fs.mkdirSync(diskTier.dir, { recursive: true });
      this.disk = new LRUCache<string, DiskEntry>({
        maxSize: Math.max(1, diskTier.maxBytes),
        sizeCalculation: (e) => e.size + 512,
        dispose: (entry) => fs.unlink(entry.file, () => {}),
      });
    }
    const dir = diskTier?.dir;
    this.objects = new LRUCache<string, CachedObject>({
      maxSize: Math.max(1, maxBytes),
      sizeCalculation: (o) => o.body.length + 512,
      // Memory evictions (not purges) move down to disk, written synchronously: objects are
      // segments of a few hundred KiB and an eviction happens on the way to serving a new one.
      dispose: (object, key, reason) => {
        if (reason !== 'evict' || !dir || !this.disk || object.stale) return;
        const file = path.join(dir, createHash('sha256').update(key).digest('hex'));
        const head = Buffer.from(`${JSON.stringify({ ...object, body: undefined })}\n`);
        try {
          fs.writeFileSync(file, Buffer.concat([head, object.body]));
          this.disk.set(key, { file, size: head.length + object.body.length, surrogateKeys: object.surrogateKeys });
        } catch {
          // a full or failing disk only loses the second tier
        }
      },
    });
  }

  /** Memory first, then the disk tier (promoting what it finds back to memory). */
  get(key: string): CachedObject | undefined {
    const hot = this.objects.get(key);
    if (hot || !this.disk) return hot;
    const entry = this.disk.get(key);
    if (!entry) return undefined;
    try {
      const bytes = fs.readFileSync(entry.file);
      const newline = bytes.indexOf(10);
      const object = {
        ...(JSON.parse(bytes.subarray(0, newline).toString()) as Omit<CachedObject, 'body'>),
        body: bytes.subarray(newline + 1),
      } as CachedObject;
      this.disk.delete(key);
      this.objects.set(key, object);
      return object;
    } catch {
      this.disk.delete(key);
      return undefined;
    }
  }

  /** Drops (or with `soft`, marks stale) every object carrying one of the surrogate keys. */
  purge(keys: string[], soft = false): number {
    let n = 0;
    const wanted = new Set(keys);
    for (const [key, object] of this.objects.entries()) {
      if (!object.surrogateKeys.some((k) => wanted.has(k))) continue;
      if (soft) object.stale = true;
      else this.objects.delete(key);
      n++;
    }
    // the disk tier holds no stale objects: a soft purge drops them there too
    if (this.disk) {
      for (const [key, entry] of this.disk.entries()) {
        if (!entry.surrogateKeys.some((k) => wanted.has(k))) continue;
        this.disk.delete(key);
        n++;
      }
    }
    return n;
  }

  get diskEntries(): number {
    return this.disk?.size ?? 0;
  }

  get bytes(): number {
    return this.objects.calculatedSize;
  }
}
