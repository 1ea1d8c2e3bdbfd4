// Delivery objects (init segments, media segments, stored files, DASH on-demand virtual files)
// served by a plain Node request handler in front of Hono: this is the origin's hot path and its
// miss path (origin/bench: a segment that is not in memory costs about a storage read), so it takes
// no framework round trip, no Fetch Response, and parses the URL once with the shared scheme
// (@vought/manifest delivery-urls.ts). Segment-sized bodies are read whole (one ranged read;
// concurrent misses of the same bytes share it) and kept in a memory budget; anything larger
// streams from storage with back-pressure, so a 200 MB file costs a few chunks of memory per client.
// Encrypted objects (a URL naming a scheme and key period) are encrypted once per fill: kept in the
// same memory budget, shared between origins through Redis when configured, and then served like
// any kept segment (content-keys.ts decides what a video's policy allows).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { videoSurrogateKey } from '@vought/bus';
import { type Cache, countLookup } from '@vought/cache';
import type { ContentKey } from '@vought/keys';
import { type DeliveryResource, type ObjectEncryption, onDemandFile, parseDeliveryUrl, segmentOf, TOKEN_PARAMETER } from '@vought/manifest';
import { encryptAes128Segment, encryptInit, encryptSegment, fragmentIv, type MediaTrack } from '@vought/media';
import { Histogram, type Logger, type ServiceMetrics } from '@vought/observability';
import type { ObjectStore } from '@vought/storage';
import { videoKeys } from '@vought/storage';
import { LRUCache } from 'lru-cache';
import { ApiError } from '../http/api-error.ts';
import { errorBody } from '../http/error-responses.ts';
import { BufferPool } from './buffer-pool.ts';
import { type BytePlan, planBytes, planHeaders } from './byte-response.ts';
import { aesIv, type ContentKeys } from './content-keys.ts';
import type { DeliveryIndex, DeliveryRecord } from './delivery-index.ts';
import type { PlaybackAccess } from './playback-access.ts';
import type { VideoGenerations } from './video-generations.ts';

/** Bodies up to this size are read whole and may be kept in memory; larger ones stream. */
export const STREAM_THRESHOLD = 16 * 1024 * 1024;

/** Metrics labels: the route templates of these objects (stable names for dashboards). */
const ROUTES = {
  init: '/v1/videos/:id/:track/init.mp4',
  segment: '/v1/videos/:id/:track/:plan/:time.m4s',
  file: '/v1/videos/:id/:track/file.mp4',
  ondemand: '/v1/videos/:id/:track/ondemand.mp4',
} as const;

type ObjectKind = keyof typeof ROUTES;

/**
 * Writes with back-pressure: waits for 'drain' when the socket's buffer is full, and fails when the
 * client is gone (so a storage stream is not read for nobody).
 */
async function write(res: ServerResponse, chunk: Uint8Array): Promise<void> {
  if (res.destroyed) throw new Error('the client left');
  if (res.write(chunk)) return;
  await new Promise<void>((resolve, reject) => {
    const onDrain = () => {
      res.off('close', onClose);
      resolve();
    };
    const onClose = () => {
      res.off('drain', onDrain);
      reject(new Error('the client left'));
    };
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}

/** A run of bytes of the object: from a stored file, or generated (the on-demand sidx). */
type Piece = { at: number; size: number } & ({ key: string; offset: number } | { bytes: Uint8Array });

interface ObjectBody {
  kind: ObjectKind;
  contentType: string;
  etag: string;
  size: number;
  pieces: Piece[];
  /** Whole-object bytes may be kept in the memory budget (segments and init). */
  keep: boolean;
}

export interface ObjectRoutesOptions {
  index: DeliveryIndex;
  access: PlaybackAccess;
  store: ObjectStore;
  generations: VideoGenerations;
  /** Byte budget of kept segment bytes. */
  memoryBytes: number;
  keys: ContentKeys;
  /** Where origins share encrypted bytes (Redis), when configured. */
  shared?: Pick<Cache, 'get' | 'set'> | undefined;
  metrics: Pick<ServiceMetrics, 'httpDuration' | 'responseBytes' | 'registry'>;
  logger: Logger;
}

const mediaType = (track: MediaTrack) => (track.type === 'video' ? 'video/mp4' : 'audio/mp4');

/**
 * One storage read of an object's bytes, shared by every request that arrives while it runs. Bytes
 * that will not be kept land in a pooled buffer, given back when the last response using it has
 * been handed to the kernel ('finish'); a response that ended otherwise leaves it to the GC.
 */
interface SharedRead {
  bytes: Promise<Buffer>;
  pooled: Buffer | null;
  users: number;
  settled: boolean;
  /** A user's response did not finish: the buffer may still be referenced, never reuse it. */
  abandoned: boolean;
}

export class ObjectRoutes {
  private readonly kept: LRUCache<string, Buffer>;
  /** Reads in progress, so concurrent misses of the same bytes make one storage read. */
  private readonly reading = new Map<string, SharedRead>();
  /** Encryptions in progress, so concurrent misses of one encrypted object encrypt it once. */
  private readonly encrypting = new Map<string, Promise<Buffer>>();
  private readonly pool: BufferPool;
  /** Bodies above this are not kept, so one object cannot push out many. */
  private readonly keepLimit: number;
  /** Encryptions done (fills, not requests: shared and kept results are not counted) and their time. */
  private readonly encryptSeconds: Histogram<'scheme' | 'kind'>;

  constructor(private readonly options: ObjectRoutesOptions) {
    this.kept = new LRUCache<string, Buffer>({ maxSize: Math.max(1, options.memoryBytes), sizeCalculation: (b) => b.length + 64 });
    this.keepLimit = Math.floor(options.memoryBytes / 8);
    // idle pooled buffers: a few segments' worth, outside the cache budget
    this.pool = new BufferPool(64 * 1024 * 1024);
    this.encryptSeconds = new Histogram({
      name: 'vought_encryption_seconds',
      help: 'Time to encrypt one object just in time, by scheme and kind (one per fill: shared and kept results are not counted)',
      labelNames: ['scheme', 'kind'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers: [options.metrics.registry],
    });
    options.generations.onBump((id) => {
      for (const key of this.kept.keys()) if (key.startsWith(`${id}/`)) this.kept.delete(key);
    });
  }

  get keptBytes(): number {
    return this.kept.calculatedSize;
  }

  /** Serves the request when it names a delivery object; false hands it to the app. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const method = req.method;
    if ((method !== 'GET' && method !== 'HEAD') || !req.url) return false;
    const q = req.url.indexOf('?');
    const parsed = parseDeliveryUrl(q < 0 ? req.url : req.url.slice(0, q));
    if (!parsed) return false;
    const { resource } = parsed;
    if (resource.kind !== 'init' && resource.kind !== 'segment' && resource.kind !== 'file' && resource.kind !== 'ondemand') return false;
    const started = performance.now();
    const route = ROUTES[resource.kind];
    void this.serve(req, res, parsed.videoId, resource, q < 0 ? '' : req.url.slice(q + 1)).then(
      (status) =>
        this.options.metrics.httpDuration.observe({ method, route, status: String(status) }, (performance.now() - started) / 1000),
      (error: unknown) => {
        const status = this.fail(res, error);
        this.options.metrics.httpDuration.observe({ method, route, status: String(status) }, (performance.now() - started) / 1000);
      },
    );
    return true;
  }

  private async serve(
    req: IncomingMessage,
    res: ServerResponse,
    videoId: string,
    resource: Extract<DeliveryResource, { kind: ObjectKind }>,
    query: string,
  ): Promise<number> {
    const { index, access } = this.options;
    const record = index.peek(videoId) ?? (await index.get(videoId));
    const queryToken = query.includes(TOKEN_PARAMETER) ? new URLSearchParams(query).get(TOKEN_PARAMETER) : null;
    await access.check(record, req.headers.authorization, queryToken);
    const encryption = resource.kind === 'init' || resource.kind === 'segment' ? resource.encryption : undefined;
    this.options.keys.checkObject(record, encryption, resource.kind);
    const clear = this.objectOf(record, resource);
    const object = encryption ? await this.encrypted(record, resource, clear, encryption) : clear;
    const plan = planBytes(
      { method: req.method ?? 'GET', range: req.headers.range, ifNoneMatch: req.headers['if-none-match'] },
      object.size,
      object.etag,
    );
    const headers = planHeaders(plan, access.headers(record, 'object', object.contentType, object.etag));
    if (plan.status === 304 || plan.status === 416 || !plan.body) {
      res.writeHead(plan.status, headers);
      res.end();
      return plan.status;
    }
    // bytes out, counted as planned (an aborted transfer counts what it was going to send)
    this.options.metrics.responseBytes.inc({ route: ROUTES[resource.kind] }, plan.end - plan.start + 1);
    if (object.size <= STREAM_THRESHOLD) {
      const release = await this.whole(record, object, (body) => {
        res.writeHead(plan.status, headers);
        res.end(plan.status === 206 ? body.subarray(plan.start, plan.end + 1) : body);
      });
      res.once('close', () => release(res.writableFinished));
      return plan.status;
    }
    res.writeHead(plan.status, headers);
    await this.stream(res, object, plan);
    return plan.status;
  }

  /** What a resource is, in bytes of the stored files: the one place a URL becomes byte ranges. */
  private objectOf(record: DeliveryRecord, resource: Extract<DeliveryResource, { kind: ObjectKind }>): ObjectBody {
    const track = record.tracks.get(resource.trackId);
    if (!track) throw new ApiError('http.not_found', `video ${record.video.id} has no track ${resource.trackId}`);
    const key = videoKeys.file(record.video.id, track.file);
    const tag = `"${record.version}-${track.id}`;
    const stored = (offset: number, size: number, at = 0): Piece => ({ at, size, key, offset });
    switch (resource.kind) {
      case 'init':
        return {
          kind: 'init',
          contentType: mediaType(track),
          etag: `${tag}-init"`,
          size: track.init.size,
          pieces: [stored(track.init.offset, track.init.size)],
          keep: true,
        };
      case 'segment': {
        const segment = segmentOf(track, resource.plan, resource.time);
        if (!segment) throw new ApiError('http.not_found', `no segment of ${track.id} starts at ${resource.time} before the clip's end`);
        return {
          kind: 'segment',
          contentType: mediaType(track),
          etag: `${tag}-${segment.offset}-${segment.size}"`,
          size: segment.size,
          pieces: [stored(segment.offset, segment.size)],
          keep: true,
        };
      }
      case 'file':
        return {
          kind: 'file',
          contentType: mediaType(track),
          etag: `${tag}-file"`,
          size: track.fileSize,
          pieces: [stored(0, track.fileSize)],
          keep: false,
        };
      case 'ondemand': {
        const file = onDemandFile(track, resource.plan, resource.startTicks);
        if (!file) throw new ApiError('http.not_found', `no on-demand file of ${track.id} for that clip`);
        const clip = `${resource.plan.targetMs}-${resource.startTicks ?? ''}-${resource.plan.endTicks ?? ''}`;
        return {
          kind: 'ondemand',
          contentType: mediaType(track),
          etag: `${tag}-od${clip}"`,
          size: file.total,
          pieces: [
            stored(track.init.offset, file.initSize, 0),
            { at: file.sidxOffset, size: file.sidxSize, bytes: file.sidx() },
            stored(file.storedMediaOffset, file.mediaSize, file.mediaOffset),
          ],
          keep: false,
        };
      }
    }
  }

  /**
   * The encrypted object: kept bytes, an encryption in progress, the bytes another origin shared
   * through Redis, or one storage read encrypted here. Kept only while the video's delivery is
   * unchanged, like clear bytes; its ETag names the scheme and key period.
   */
  private async encrypted(
    record: DeliveryRecord,
    resource: Extract<DeliveryResource, { kind: ObjectKind }>,
    clear: ObjectBody,
    encryption: ObjectEncryption,
  ): Promise<ObjectBody> {
    const piece = clear.pieces[0];
    const track = 'trackId' in resource ? record.tracks.get(resource.trackId) : undefined;
    if (!piece || !('key' in piece) || !track || (resource.kind !== 'init' && resource.kind !== 'segment'))
      throw new Error('only init and media segments are encrypted');
    const { keys } = this.options;
    keys.checkPeriod(record, track, encryption.period);
    const name = `${encryption.scheme}-k${encryption.period}`;
    // the KID names the key: bytes made under another master secret or key-server answer never match
    const key = await keys.keyFor(record.video.id, encryption.period);
    const kid = Buffer.from(key.kid.buffer, key.kid.byteOffset, 6).toString('base64url');
    const id = `${record.video.id}/${record.version}/${name}/${kid}/${piece.key}:${piece.offset}:${piece.size}`;
    const etag = `${clear.etag.slice(0, -1)}-${name}-${kid}"`;
    const hit = this.kept.get(id);
    countLookup('segments', hit !== undefined);
    if (hit) return { ...clear, etag, size: hit.length, pieces: [{ at: 0, size: hit.length, bytes: hit }], keep: false };
    let pending = this.encrypting.get(id);
    if (!pending) {
      const generation = record.generation;
      pending = this.encrypt(record, resource, track, piece, encryption, key, `enc:${id}`).finally(() => {
        if (this.encrypting.get(id) === pending) this.encrypting.delete(id);
      });
      this.encrypting.set(id, pending);
      pending.then(
        (bytes) => {
          if (bytes.length <= this.keepLimit && this.options.generations.isCurrent(record.video.id, generation)) this.kept.set(id, bytes);
        },
        () => undefined,
      );
    }
    const bytes = await pending;
    return { ...clear, etag, size: bytes.length, pieces: [{ at: 0, size: bytes.length, bytes }], keep: false };
  }

  private async encrypt(
    record: DeliveryRecord,
    resource: Extract<DeliveryResource, { kind: 'init' | 'segment' }>,
    track: MediaTrack,
    piece: Piece & { key: string; offset: number },
    { scheme }: ObjectEncryption,
    key: ContentKey,
    sharedKey: string,
  ): Promise<Buffer> {
    const { shared, keys, store } = this.options;
    const remote = shared ? await shared.get(sharedKey).catch(() => undefined) : undefined;
    if (remote) return remote;
    const clear = await this.readPiece(piece, 0, piece.size);
    let started = performance.now();
    let out: Uint8Array;
    if (resource.kind === 'init') {
      out = encryptInit(clear, { scheme: scheme === 'cbcs' ? 'cbcs' : 'cenc', kid: key.kid, constantIv: key.iv, pssh: key.pssh });
    } else if (scheme === 'aes-128') {
      out = encryptAes128Segment(clear, key.key, aesIv(key, track.id, resource.plan, resource.time));
    } else {
      const target = await keys.targetOf(`${record.version}/${track.id}`, () =>
        store.read(videoKeys.file(record.video.id, track.file), track.init.offset, track.init.size),
      );
      started = performance.now(); // the init read above is not encryption
      out =
        scheme === 'cenc'
          ? encryptSegment(clear, { ...target, scheme, key: key.key, iv: fragmentIv(key.iv, track.id, resource.time) })
          : encryptSegment(clear, { ...target, scheme, key: key.key, constantIv: key.iv });
    }
    this.encryptSeconds.observe({ scheme, kind: resource.kind }, (performance.now() - started) / 1000);
    const bytes = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    if (shared) void shared.set(sharedKey, bytes, { tags: [videoSurrogateKey(record.video.id)], ttlSeconds: 3600 }).catch(() => undefined);
    return bytes;
  }

  /**
   * Sends the whole body from memory: kept bytes, a read in progress, or one storage read. Returns
   * the function to call when the response is over (with whether it finished), which gives a
   * pooled buffer back once no response uses it.
   */
  private async whole(record: DeliveryRecord, object: ObjectBody, send: (body: Buffer) => void): Promise<(finished: boolean) => void> {
    const none = () => undefined;
    const only = object.pieces.length === 1 ? object.pieces[0] : undefined;
    if (only && 'bytes' in only && only.at === 0 && only.size === object.size) {
      send(Buffer.isBuffer(only.bytes) ? only.bytes : Buffer.from(only.bytes));
      return none;
    }
    if (!only || !('key' in only)) {
      send(Buffer.concat(await Promise.all(object.pieces.map((p) => this.readPiece(p, 0, p.size)))));
      return none;
    }
    const id = `${record.video.id}/${record.version}/${only.key}:${only.offset}:${only.size}`;
    const hit = this.kept.get(id);
    countLookup('segments', hit !== undefined);
    if (hit) {
      send(hit);
      return none;
    }
    let read = this.reading.get(id);
    if (!read) read = this.startRead(id, record, object, only);
    read.users++;
    const shared = read;
    let done = false;
    const release = (finished: boolean) => {
      if (done) return;
      done = true;
      if (!finished) shared.abandoned = true;
      if (--shared.users === 0 && shared.settled && shared.pooled && !shared.abandoned) this.pool.release(shared.pooled);
    };
    try {
      send(await shared.bytes);
    } catch (error) {
      release(true);
      throw error;
    }
    return release;
  }

  private startRead(id: string, record: DeliveryRecord, object: ObjectBody, piece: Piece & { key: string; offset: number }): SharedRead {
    const keep = object.keep && piece.size <= this.keepLimit;
    const pooled = keep ? null : this.pool.acquire(piece.size);
    const generation = record.generation;
    const read: SharedRead = { bytes: Promise.resolve(Buffer.alloc(0)), pooled, users: 0, settled: false, abandoned: false };
    read.bytes = this.readPiece(piece, 0, piece.size, pooled ?? undefined).finally(() => {
      read.settled = true;
      if (this.reading.get(id) === read) this.reading.delete(id);
    });
    this.reading.set(id, read);
    if (keep) {
      void read.bytes.then(
        (bytes) => {
          // kept only while the video's delivery is unchanged (SECURITY.md)
          if (this.options.generations.isCurrent(record.video.id, generation)) this.kept.set(id, bytes);
        },
        () => undefined,
      );
    }
    return read;
  }

  private async readPiece(piece: Piece, from: number, length: number, into?: Buffer): Promise<Buffer> {
    if ('bytes' in piece) return Buffer.from(piece.bytes.subarray(from, from + length));
    const data = await this.options.store.read(piece.key, piece.offset + from, length, into);
    if (data.length !== length) throw new ApiError('http.not_found', 'a stored file is shorter than its index says');
    return data;
  }

  /** Streams the planned range over the pieces, each stored piece as one ranged storage read. */
  private async stream(res: ServerResponse, object: ObjectBody, plan: Extract<BytePlan, { start: number }>): Promise<void> {
    for (const piece of object.pieces) {
      const from = Math.max(plan.start, piece.at);
      const to = Math.min(plan.end, piece.at + piece.size - 1);
      if (from > to) continue;
      if ('bytes' in piece) {
        await write(res, piece.bytes.subarray(from - piece.at, to - piece.at + 1));
        continue;
      }
      const start = piece.offset + (from - piece.at);
      const { body } = await this.options.store.get(piece.key, { start, end: start + (to - from) });
      try {
        for await (const chunk of body) await write(res, chunk as Buffer);
      } finally {
        body.destroy();
      }
    }
    res.end();
  }

  /** An error as the one JSON shape, or (after the head went out) an aborted transfer. */
  private fail(res: ServerResponse, error: unknown): number {
    if (res.headersSent) {
      res.destroy(error as Error);
      return 500;
    }
    const { status, body, headers } = errorBody(error, this.options.logger);
    const text = JSON.stringify(body);
    res.writeHead(status, {
      ...headers,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(text)),
      'access-control-allow-origin': '*',
    });
    res.end(text);
    return status;
  }
}
