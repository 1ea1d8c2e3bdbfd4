// The edge's object cache: whole responses in memory within a byte budget, and request
// coalescing: any number of concurrent misses for one key make one upstream request, and the
// followers receive the bytes as they arrive (each follower replays what has come so far, then
// follows the live stream), not after the whole body.
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

export class EdgeCache {
  readonly objects: LRUCache<string, CachedObject>;
  readonly inFlight = new Map<string, InFlight>();

  constructor(maxBytes: number) {
    this.objects = new LRUCache<string, CachedObject>({ maxSize: Math.max(1, maxBytes), sizeCalculation: (o) => o.body.length + 512 });
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
    return n;
  }

  get bytes(): number {
    return this.objects.calculatedSize;
  }
}
