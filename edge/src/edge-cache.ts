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

/**
 * A cacheable response on its way from upstream, shared by every anonymous request that wants it
 * (requests with credentials never join one). Its clients are counted: when the last one leaves
 * before the body is complete, the upstream request is aborted and nothing is stored.
 */
export class InFlight {
  readonly chunks: Buffer[] = [];
  bytes = 0;
  status = 0;
  headers: Record<string, string> = {};
  /** Decided at the head: followers may replay this body (a storable response of bounded size). */
  shareable = false;
  done = false;
  error: Error | null = null;
  readonly controller = new AbortController();
  /** The cache's purge sequence when the fill started: a purge after it makes the fill stale. */
  readonly startSeq: number;
  readonly startedAt = Date.now();
  private clients = 0;
  private readonly listeners = new Set<() => void>();
  private readonly headReady: Promise<void>;
  private resolveHead!: () => void;

  constructor(
    startSeq: number,
    /** A background refresh has no client and is never aborted for lack of one. */
    private readonly detached = false,
  ) {
    this.startSeq = startSeq;
    this.headReady = new Promise((resolve) => {
      this.resolveHead = resolve;
    });
  }

  get aborted(): boolean {
    return this.controller.signal.aborted;
  }

  head(status: number, headers: Record<string, string>, shareable: boolean): void {
    this.status = status;
    this.headers = headers;
    this.shareable = shareable;
    this.resolveHead();
  }

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    for (const l of this.listeners) l();
  }

  finish(error: Error | null = null): void {
    if (this.done) return;
    this.done = true;
    this.error = error;
    this.resolveHead();
    for (const l of this.listeners) l();
  }

  waitHead(): Promise<void> {
    return this.headReady;
  }

  /** Resolves when the body is complete (or failed). */
  waitDone(): Promise<void> {
    if (this.done) return Promise.resolve();
    return new Promise((resolve) => {
      const listener = () => {
        if (!this.done) return;
        this.listeners.delete(listener);
        resolve();
      };
      this.listeners.add(listener);
    });
  }

  /** Counts a client; the returned function (idempotent) uncounts it and aborts the fill when none is left. */
  attach(): () => void {
    this.clients++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.clients === 0 && !this.done && !this.detached) this.controller.abort(new Error('every client left'));
    };
  }

  /** A stream of the body: what has arrived, then the rest as it comes; `release` runs when it ends. */
  stream(release: () => void): ReadableStream<Uint8Array> {
    let index = 0;
    let wake: (() => void) | null = null;
    const listener = () => wake?.();
    this.listeners.add(listener);
    const end = () => {
      this.listeners.delete(listener);
      release();
    };
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        while (index >= this.chunks.length && !this.done) await new Promise<void>((r) => (wake = r));
        wake = null;
        if (index < this.chunks.length) {
          controller.enqueue(this.chunks[index++] as Buffer);
          return;
        }
        end();
        if (this.error) controller.error(this.error);
        else controller.close();
      },
      cancel: end,
    });
  }
}

/**
 * Fills that started less than this long after a purge are not stored: origins apply the same
 * invalidation a moment after the edge does (the bus delivers to each on its own), and a fill in
 * that moment may carry the old answer. The bound on invalidation propagation between vought's
 * nodes (SECURITY.md).
 */
export const PURGE_GRACE_MS = 1000;

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

  /**
   * Makes `flight` the one later requests for `key` join, until its body is complete or it failed
   * (a fill the head showed unshareable is finished at once, so it leaves the table at once).
   */
  track(key: string, flight: InFlight): void {
    this.inFlight.set(key, flight);
    void flight.waitDone().then(() => {
      if (this.inFlight.get(key) === flight) this.inFlight.delete(key);
    });
  }
  /** Purges by surrogate key (and `url:` key), so a fill that raced one is not stored. */
  private purgeSeq = 0;
  private forgottenSeq = 0;
  private readonly purges = new LRUCache<string, { seq: number; at: number }>({
    max: 100_000,
    dispose: (value, _key, reason) => {
      if (reason === 'evict') this.forgottenSeq = Math.max(this.forgottenSeq, value.seq);
    },
  });
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

  /** The purge sequence a fill starts under. */
  get epoch(): number {
    return this.purgeSeq;
  }

  /**
   * Whether a fill that started at `flight.startSeq`/`startedAt` may be stored under these keys: no
   * purge of any of them since it started, nor within PURGE_GRACE_MS before. When the purge log has
   * forgotten entries newer than the fill, it is not stored either (never wrongly kept).
   */
  mayStore(keys: readonly string[], flight: Pick<InFlight, 'startSeq' | 'startedAt'>): boolean {
    if (this.forgottenSeq > flight.startSeq) return false;
    for (const key of keys) {
      const purge = this.purges.get(key);
      if (purge && (purge.seq > flight.startSeq || flight.startedAt < purge.at + PURGE_GRACE_MS)) return false;
    }
    return true;
  }

  private notePurge(key: string): void {
    this.purges.set(key, { seq: ++this.purgeSeq, at: Date.now() });
  }

  /** Drops (or with `soft`, marks stale) the object stored under one cache key. */
  purgeKey(key: string, soft = false): number {
    this.notePurge(`url:${key}`);
    const object = this.objects.get(key);
    if (!object) return 0;
    if (soft) object.stale = true;
    else this.objects.delete(key);
    return 1;
  }

  /** Drops (or with `soft`, marks stale) every object carrying one of the surrogate keys. */
  purge(keys: string[], soft = false): number {
    let n = 0;
    for (const key of keys) this.notePurge(key);
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
