// Delivery (issue 5): manifests built per request from the media index and cached; init, segments
// and whole files served as byte ranges of the stored renditions. The hot path for a segment is one
// parsed-index lookup (in process), a fragment search, and one storage read (or none: hot segment
// bytes stay in an in-process LRU, see origin/bench).
import { createHash } from 'node:crypto';
import { ACCESS_HEADER, ACCESS_TOKEN, CachedPlaybackVerifier, PlaybackVerifier, playbackTokenOf } from '@vought/auth';
import {
  buildIframePlaylist,
  buildMediaPlaylist,
  buildMpd,
  buildMultivariantPlaylist,
  buildOnDemandMpd,
  buildSubtitlePlaylist,
  findFragment,
  type ManifestQuery,
  mediaPlaylistQuery,
  normaliseQuery,
  onDemandLayout,
  parseManifestQuery,
  present,
  segmentAt,
  TOKEN_PARAMETER,
  targetTicks,
} from '@vought/manifest';
import { sidxSize, writeSidx } from '@vought/media';
import { decideRange } from '@vought/runtime';
import type { Context, Hono } from 'hono';
import { routePath } from 'hono/route';
import { LRUCache } from 'lru-cache';
import type { OriginDeps } from '../app.ts';
import { ApiError } from '../http/api-error.ts';
import { DeliveryIndex, type DeliveryRecord } from './delivery-index.ts';
import { type HotEntry, HotSegments, SEGMENT_ROUTE } from './hot-path.ts';

const IMMUTABLE = 'public, max-age=31536000, immutable';
const MANIFEST_CACHE = 'public, max-age=30, stale-while-revalidate=300, stale-if-error=86400';
// Private videos: browsers may keep them, shared caches may not (our edge checks tokens itself and
// caches by the Surrogate-Control it is given).
const PRIVATE = 'private, max-age=3600';

/** Segments larger than this are streamed, not kept in memory. */
const MAX_CACHED_SEGMENT = 16 * 1024 * 1024;

/** A Buffer as the Uint8Array<ArrayBuffer> Hono's body() takes, without copying. */
const view = (b: Buffer) => new Uint8Array(b.buffer as ArrayBuffer, b.byteOffset, b.length);

export interface Delivery {
  index: DeliveryIndex;
  hot: HotSegments;
}

export function mountDelivery(app: Hono, deps: OriginDeps): Delivery {
  const index = new DeliveryIndex(deps.catalog, deps.store, deps.cache, deps.generations);
  const verifier = new CachedPlaybackVerifier([PlaybackVerifier.fromKeys(deps.keys)]);
  // Hot segment bytes in memory: a cached segment is served without touching storage.
  const segments = new LRUCache<string, Buffer>({ maxSize: deps.config.cache.memoryBytes, sizeCalculation: (b) => b.length + 100 });
  const hot = new HotSegments(deps.config.cache.memoryBytes, (entry) => index.isCurrent(entry.record as DeliveryRecord));
  deps.generations.onBump((id) => {
    hot.forget(id);
    for (const key of segments.keys()) if (key.startsWith(`${id}:`)) segments.delete(key);
  });

  async function authorize(c: Context, record: DeliveryRecord): Promise<string> {
    if (record.video.visibility !== 'private') return '';
    const token = playbackTokenOf(c.req.header('authorization'), c.req.query(TOKEN_PARAMETER));
    await verifier.verify(token, record.video.id);
    return `${TOKEN_PARAMETER}=${encodeURIComponent(token ?? '')}`;
  }

  /**
   * Cache-Control of an immutable object. Private videos' objects are `private` for browsers and
   * shared caches, but vought's own edge may keep them (Surrogate-Control) because it checks the
   * playback token itself on every hit (`X-Vought-Access: token`).
   */
  function cacheFor(c: Context, record: DeliveryRecord): string {
    if (record.video.visibility !== 'private') return IMMUTABLE;
    c.header('surrogate-control', 'max-age=31536000');
    return PRIVATE;
  }

  /** What the hot path answers for a public object: the same headers the app sends. */
  function hotEntry(route: string, record: DeliveryRecord, body: Buffer, type: string, cacheControl: string, etag: string): HotEntry {
    return {
      route,
      body,
      etag,
      videoId: record.video.id,
      record,
      headers: {
        'content-type': type,
        'content-length': String(body.length),
        'cache-control': cacheControl,
        etag,
        'last-modified': record.lastModified.toUTCString(),
        'surrogate-key': `video-${record.video.id}`,
        'accept-ranges': 'bytes',
        'access-control-allow-origin': '*',
        'access-control-expose-headers': 'Content-Length,Content-Range,Accept-Ranges,ETag,Last-Modified',
        vary: 'Origin',
      },
    };
  }

  function common(c: Context, record: DeliveryRecord): void {
    if (record.video.visibility === 'private') c.header(ACCESS_HEADER, ACCESS_TOKEN);
    c.header('surrogate-key', `video-${record.video.id}`);
    c.header('last-modified', record.lastModified.toUTCString());
    c.header('accept-ranges', 'bytes');
    c.header('vary', 'Origin');
  }

  function notModified(c: Context, etag: string): Response | null {
    const inm = c.req.header('if-none-match');
    if (inm?.split(',').some((t) => t.trim() === etag || t.trim() === '*')) {
      return c.body(null, 304, { etag });
    }
    return null;
  }

  /** Answers a body with ETag, Range, HEAD and 304, the same for every object. */
  function send(c: Context, body: Buffer, type: string, cacheControl: string, etag: string): Response {
    c.header('etag', etag);
    c.header('cache-control', cacheControl);
    const unchanged = notModified(c, etag);
    if (unchanged) return unchanged;
    const range = decideRange(c.req.header('range'), body.length);
    if (range.kind === 'unsatisfiable') {
      return c.body(null, 416, { 'content-range': `bytes */${body.length}` });
    }
    const slice = range.kind === 'partial' ? body.subarray(range.start, range.end + 1) : body;
    c.header('content-type', type);
    c.header('content-length', String(slice.length));
    if (range.kind === 'partial') c.header('content-range', `bytes ${range.start}-${range.end}/${body.length}`);
    const status = (range.kind === 'partial' ? 206 : 200) as 200;
    return c.req.method === 'HEAD' ? c.body(null, status) : c.body(view(slice), status);
  }

  async function manifest(
    c: Context,
    kind: string,
    build: (record: DeliveryRecord, query: ManifestQuery, passQuery: string) => string,
    type: string,
  ): Promise<Response> {
    const id = c.req.param('id') as string;
    const record = await index.get(id);
    const passQuery = await authorize(c, record);
    const query = parseManifestQuery(new URL(c.req.url).searchParams);
    const tokenPart = passQuery ? createHash('sha1').update(passQuery).digest('base64url').slice(0, 12) : '';
    const key = `manifest:${id}:${record.version}:${kind}:${normaliseQuery(query)}:${tokenPart}`;
    const text = await deps.cache.getOrLoad(key, async () => ({
      value: Buffer.from(build(record, query, passQuery)),
      tags: [`video-${id}`],
      ttlSeconds: 3600,
    }));
    common(c, record);
    const etag = `"${createHash('sha1').update(text).digest('base64url').slice(0, 20)}"`;
    const url = new URL(c.req.url);
    if (record.video.visibility !== 'private' && !url.search && HotSegments.eligible(url.pathname)) {
      hot.remember(url.pathname, hotEntry(routePath(c), record, text, type, MANIFEST_CACHE, etag));
    }
    return send(c, text, type, record.video.visibility === 'private' ? 'private, max-age=30' : MANIFEST_CACHE, etag);
  }

  const M3U8 = 'application/vnd.apple.mpegurl';
  const MPD = 'application/dash+xml';

  const hlsOptions = (query: ManifestQuery, passQuery: string) => ({
    passQuery,
    mediaQuery: mediaPlaylistQuery(query),
    addressing: query.addressing,
  });

  app.on(['GET', 'HEAD'], '/v1/videos/:id/hls/master.m3u8', (c) =>
    manifest(c, 'hls-master', (r, q, pass) => buildMultivariantPlaylist(present(r.index, q), hlsOptions(q, pass)), M3U8),
  );

  app.on(['GET', 'HEAD'], '/v1/videos/:id/hls/:name{[A-Za-z0-9_-]+(\\.iframes)?\\.m3u8}', (c) => {
    const name = (c.req.param('name') as string).replace(/\.m3u8$/, '');
    const iframes = name.endsWith('.iframes');
    const trackId = iframes ? name.slice(0, -'.iframes'.length) : name;
    return manifest(
      c,
      `hls-${name}`,
      (r, q, pass) => {
        const text = r.index.text.find((t) => t.id === trackId);
        if (text && !iframes) return buildSubtitlePlaylist(text, present(r.index, q).duration, { passQuery: pass });
        const track = r.tracks.get(trackId);
        if (!track) throw new ApiError('http.not_found', `no track ${trackId}`);
        // A media playlist serves its track whatever the filters; only clip and segment apply.
        const p = present(r.index, {
          segment: q.segment,
          addressing: q.addressing,
          ...(q.start !== undefined ? { start: q.start } : {}),
          ...(q.end !== undefined ? { end: q.end } : {}),
        });
        const selected = [...p.video, ...p.audio].find((s) => s.track.id === trackId);
        if (!selected) throw new ApiError('http.not_found', `no track ${trackId}`);
        if (iframes) {
          if (selected.track.type !== 'video') throw new ApiError('http.not_found', `${trackId} is not a video track`);
          return buildIframePlaylist(selected as Parameters<typeof buildIframePlaylist>[0], hlsOptions(q, pass));
        }
        return buildMediaPlaylist(selected, hlsOptions(q, pass));
      },
      M3U8,
    );
  });

  app.on(['GET', 'HEAD'], '/v1/videos/:id/dash/manifest.mpd', (c) =>
    manifest(c, 'dash', (r, q, pass) => buildMpd(present(r.index, q), { passQuery: pass, thumbnails: r.index.thumbnails }), MPD),
  );

  app.on(['GET', 'HEAD'], '/v1/videos/:id/dash/ondemand.mpd', (c) =>
    manifest(c, 'dash-ondemand', (r, q, pass) => buildOnDemandMpd(present(r.index, q), { passQuery: pass, sidxSize }), MPD),
  );

  function trackOf(record: DeliveryRecord, trackId: string) {
    const track = record.tracks.get(trackId);
    if (!track) throw new ApiError('http.not_found', `video ${record.video.id} has no track ${trackId}`);
    return track;
  }

  async function bytes(record: DeliveryRecord, file: string, offset: number, size: number): Promise<Buffer> {
    const key = `${record.video.id}:${record.version}:${file}:${offset}:${size}`;
    const hit = segments.get(key);
    if (hit) return hit;
    const data = await deps.store.read(`videos/${record.video.id}/${file}`, offset, size);
    if (data.length !== size) throw new ApiError('http.not_found', `stored file ${file} is shorter than its index says`);
    if (size <= MAX_CACHED_SEGMENT) segments.set(key, data);
    return data;
  }

  const mediaType = (type: 'video' | 'audio') => (type === 'video' ? 'video/mp4' : 'audio/mp4');

  app.on(['GET', 'HEAD'], '/v1/videos/:id/:track/init.mp4', async (c) => {
    const record = await index.get(c.req.param('id'));
    await authorize(c, record);
    const track = trackOf(record, c.req.param('track'));
    const body = await bytes(record, track.file, track.init.offset, track.init.size);
    common(c, record);
    return send(c, body, mediaType(track.type), cacheFor(c, record), `"${record.version}-${track.id}-init"`);
  });

  app.on(['GET', 'HEAD'], SEGMENT_ROUTE, async (c) => {
    const record = await index.get(c.req.param('id'));
    await authorize(c, record);
    const track = trackOf(record, c.req.param('track'));
    const targetMs = Number(c.req.param('seg').slice(1));
    if (targetMs < 1000 || targetMs > 30000) throw new ApiError('http.not_found', 'segment durations are 1000 to 30000 ms');
    const time = Number((c.req.param('time') as string).slice(0, -4));
    const first = findFragment(track, time);
    if (first < 0) throw new ApiError('http.not_found', `no fragment of ${track.id} starts at ${time}`);
    const segment = segmentAt(track, first, targetTicks(track, targetMs / 1000));
    const body = await bytes(record, track.file, segment.offset, segment.size);
    common(c, record);
    const etag = `"${record.version}-${track.id}-${segment.offset}-${segment.size}"`;
    const url = new URL(c.req.url);
    if (record.video.visibility !== 'private' && !url.search && HotSegments.eligible(url.pathname)) {
      hot.remember(url.pathname, hotEntry(SEGMENT_ROUTE, record, body, mediaType(track.type), IMMUTABLE, etag));
    }
    return send(c, body, mediaType(track.type), cacheFor(c, record), etag);
  });

  // The stored file itself, for byte-range addressing and I-frame playlists: streamed by range.
  app.on(['GET', 'HEAD'], '/v1/videos/:id/:track/file.mp4', async (c) => {
    const record = await index.get(c.req.param('id'));
    await authorize(c, record);
    const track = trackOf(record, c.req.param('track'));
    common(c, record);
    const etag = `"${record.version}-${track.id}-file"`;
    c.header('etag', etag);
    c.header('cache-control', cacheFor(c, record));
    const unchanged = notModified(c, etag);
    if (unchanged) return unchanged;
    const size = track.fileSize;
    const range = decideRange(c.req.header('range'), size);
    if (range.kind === 'unsatisfiable') return c.body(null, 416, { 'content-range': `bytes */${size}` });
    const start = range.kind === 'partial' ? range.start : 0;
    const end = range.kind === 'partial' ? range.end : size - 1;
    c.header('content-type', mediaType(track.type));
    c.header('content-length', String(end - start + 1));
    if (range.kind === 'partial') c.header('content-range', `bytes ${start}-${end}/${size}`);
    const status = (range.kind === 'partial' ? 206 : 200) as 200;
    if (c.req.method === 'HEAD') return c.body(null, status);
    const body = await bytes(record, track.file, start, end - start + 1);
    return c.body(view(body), status);
  });

  // DASH on-demand: a virtual file (stored init + a generated sidx + the fragments), so a JIT
  // origin can offer SegmentBase/indexRange too.
  app.on(['GET', 'HEAD'], '/v1/videos/:id/:track/:name{ondemand-s[0-9]{3,6}\\.mp4}', async (c) => {
    const record = await index.get(c.req.param('id'));
    await authorize(c, record);
    const track = trackOf(record, c.req.param('track'));
    const targetMs = Number(/s(\d+)/.exec(c.req.param('name'))?.[1]);
    const p = present(record.index, { segment: targetMs / 1000, addressing: 'segments' });
    const selected = [...p.video, ...p.audio].find((s) => s.track.id === track.id);
    if (!selected) throw new ApiError('http.not_found', `no track ${track.id}`);
    const first = selected.segments[0];
    const sidx = writeSidx({
      referenceId: 1,
      timescale: track.timescale,
      earliestPresentationTime: first?.time ?? 0,
      firstOffset: 0,
      references: selected.segments.map((s) => ({
        size: s.size,
        duration: s.duration,
        startsWithSap: track.fragments.keyframe[s.first] === 1 || track.type === 'audio',
      })),
    });
    const layout = onDemandLayout(selected, sidx.length);
    common(c, record);
    const etag = `"${record.version}-${track.id}-od${targetMs}"`;
    c.header('etag', etag);
    c.header('cache-control', cacheFor(c, record));
    const unchanged = notModified(c, etag);
    if (unchanged) return unchanged;
    const range = decideRange(c.req.header('range'), layout.total);
    if (range.kind === 'unsatisfiable') return c.body(null, 416, { 'content-range': `bytes */${layout.total}` });
    const start = range.kind === 'partial' ? range.start : 0;
    const end = range.kind === 'partial' ? range.end : layout.total - 1;
    const parts: Buffer[] = [];
    // init [0, initSize), sidx [initSize, mediaOffset), media [mediaOffset, total)
    const pieces: Array<{ at: number; size: number; read: (o: number, n: number) => Promise<Buffer> }> = [
      { at: 0, size: layout.initSize, read: (o, n) => bytes(record, track.file, o, n) },
      { at: layout.sidxOffset, size: layout.sidxSize, read: async (o, n) => Buffer.from(sidx.subarray(o, o + n)) },
      { at: layout.mediaOffset, size: layout.mediaSize, read: (o, n) => bytes(record, track.file, (first?.offset ?? 0) + o, n) },
    ];
    for (const piece of pieces) {
      const from = Math.max(start, piece.at);
      const to = Math.min(end, piece.at + piece.size - 1);
      if (from <= to) parts.push(await piece.read(from - piece.at, to - from + 1));
    }
    const body = Buffer.concat(parts);
    c.header('content-type', mediaType(track.type));
    c.header('content-length', String(body.length));
    if (range.kind === 'partial') c.header('content-range', `bytes ${start}-${end}/${layout.total}`);
    const status = (range.kind === 'partial' ? 206 : 200) as 200;
    return c.req.method === 'HEAD' ? c.body(null, status) : c.body(view(body), status);
  });

  app.on(['GET', 'HEAD'], '/v1/videos/:id/text/:file{[A-Za-z0-9_-]+\\.vtt}', async (c) => {
    const record = await index.get(c.req.param('id'));
    await authorize(c, record);
    const id = (c.req.param('file') as string).slice(0, -4);
    const text = record.index.text.find((t) => t.id === id);
    if (!text) throw new ApiError('http.not_found', `no text track ${id}`);
    const body = await deps.store.readAll(`videos/${record.video.id}/${text.file}`);
    common(c, record);
    return send(c, body, 'text/vtt; charset=utf-8', cacheFor(c, record), `"${record.version}-${id}"`);
  });

  app.on(['GET', 'HEAD'], '/v1/videos/:id/thumbs/:file{(poster|storyboard)\\.(jpg|vtt)}', async (c) => {
    const record = await index.get(c.req.param('id'));
    await authorize(c, record);
    const file = c.req.param('file') as string;
    if (!record.index.thumbnails) throw new ApiError('http.not_found', 'this video has no thumbnails');
    const body = await deps.store.readAll(`videos/${record.video.id}/thumbs/${file}`);
    common(c, record);
    return send(
      c,
      body,
      file.endsWith('.jpg') ? 'image/jpeg' : 'text/vtt; charset=utf-8',
      cacheFor(c, record),
      `"${record.version}-${file}"`,
    );
  });

  return { index, hot };
}
