// The measured hot path for manifests (origin/bench: warm playlists): a public manifest already
// served once is answered straight from memory by a plain Node request handler, before Hono,
// routing, middleware and the Fetch Response round trip (objects have their own plain handler,
// object-routes.ts). Anything else (a token, a Range,
// a conditional request that does not match, an unknown path) falls through to the full app,
// which is also what fills this table. Invalidations empty it per video, and an entry is served
// only while the delivery record it was made from is still current (not dropped by an
// invalidation, not older than the catalog re-check): a lost invalidation cannot keep it alive.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { countLookup } from '@vought/cache';
import { parseDeliveryPath } from '@vought/manifest';
import type { ServiceMetrics } from '@vought/observability';
import { LRUCache } from 'lru-cache';

export interface HotEntry {
  /** Route template, the metrics label of the full app's answer to the same request. */
  route: string;
  body: Buffer;
  headers: Record<string, string>;
  etag: string;
  videoId: string;
  /** The access decision this entry was made under (a DeliveryRecord): see `isCurrent`. */
  record: object;
}

export class HotManifests {
  private readonly entries: LRUCache<string, HotEntry>;

  constructor(
    maxBytes: number,
    /** Whether an entry's record is still the one delivery serves (DeliveryIndex.isCurrent). */
    private readonly isCurrent: (entry: HotEntry) => boolean,
  ) {
    this.entries = new LRUCache<string, HotEntry>({ maxSize: Math.max(1, maxBytes), sizeCalculation: (e) => e.body.length + 512 });
  }

  /** Only plain public manifest URLs qualify (no query: no token, no parameters). */
  static eligible(path: string): boolean {
    return parseDeliveryPath(path)?.kind === 'manifest';
  }

  /** Keeps an answer, unless its record was invalidated while it was being made. */
  remember(path: string, entry: HotEntry): void {
    if (this.isCurrent(entry)) this.entries.set(path, entry);
  }

  forget(videoId: string): void {
    for (const [key, entry] of this.entries.entries()) if (entry.videoId === videoId) this.entries.delete(key);
  }

  /** Answers the request when it can; false hands it to the full app. */
  serve(req: IncomingMessage, res: ServerResponse, metrics: Pick<ServiceMetrics, 'httpDuration' | 'responseBytes'>): boolean {
    const method = req.method;
    if ((method !== 'GET' && method !== 'HEAD') || req.headers.range || !req.url) return false;
    const entry = this.entries.get(req.url);
    if (!entry || !this.isCurrent(entry)) {
      if (entry) this.entries.delete(req.url);
      if (HotManifests.eligible(req.url)) countLookup('hot', false);
      return false;
    }
    const started = performance.now();
    const inm = req.headers['if-none-match'];
    if (inm !== undefined) {
      if (inm !== entry.etag) return false;
      res.writeHead(304, { etag: entry.etag, 'cache-control': entry.headers['cache-control'] ?? '' });
      res.end();
    } else {
      res.writeHead(200, entry.headers);
      res.end(method === 'HEAD' ? undefined : entry.body);
      if (method !== 'HEAD') metrics.responseBytes.inc({ route: entry.route }, entry.body.length);
    }
    countLookup('hot', true);
    metrics.httpDuration.observe(
      { method, route: entry.route, status: inm !== undefined ? '304' : '200' },
      (performance.now() - started) / 1000,
    );
    return true;
  }
}
