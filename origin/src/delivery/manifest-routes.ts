// Manifests built per request from the media index (and cached: in process, then Redis, keyed by
// the index digest, the normalised query and the token's digest), plus the small text objects
// (subtitles, thumbnails). Public manifests asked without a query are remembered by the hot path.
import { createHash } from 'node:crypto';
import { videoSurrogateKey } from '@vought/bus';
import {
  buildIframePlaylist,
  buildMediaPlaylist,
  buildMpd,
  buildMultivariantPlaylist,
  buildOnDemandMpd,
  buildSubtitlePlaylist,
  type ManifestQuery,
  mediaPlaylistQuery,
  normaliseQuery,
  parseManifestQuery,
  present,
  TOKEN_PARAMETER,
} from '@vought/manifest';
import { videoKeys } from '@vought/storage';
import type { Context, Hono } from 'hono';
import { routePath } from 'hono/route';
import type { OriginDeps } from '../app.ts';
import { ApiError } from '../http/api-error.ts';
import { planBytes, planHeaders } from './byte-response.ts';
import type { DeliveryIndex, DeliveryRecord } from './delivery-index.ts';
import { HotManifests } from './hot-path.ts';
import type { PlaybackAccess } from './playback-access.ts';

const M3U8 = 'application/vnd.apple.mpegurl';
const MPD = 'application/dash+xml';

/** A Buffer as the Uint8Array<ArrayBuffer> Hono's body() takes, without copying. */
const view = (b: Buffer) => new Uint8Array(b.buffer as ArrayBuffer, b.byteOffset, b.length);

export function mountManifestRoutes(app: Hono, deps: OriginDeps, index: DeliveryIndex, access: PlaybackAccess, hot: HotManifests): void {
  /** Answers a body with ETag, Range, HEAD and 304 (byte-response.ts), the same as objects. */
  function send(c: Context, record: DeliveryRecord, kind: 'object' | 'manifest', body: Buffer, type: string, etag: string): Response {
    const plan = planBytes(
      { method: c.req.method, range: c.req.header('range'), ifNoneMatch: c.req.header('if-none-match') },
      body.length,
      etag,
    );
    const headers = planHeaders(plan, access.headers(record, kind, type, etag));
    if (plan.status === 304 || plan.status === 416 || !plan.body) return c.body(null, plan.status, headers);
    const slice = plan.status === 206 ? body.subarray(plan.start, plan.end + 1) : body;
    return c.body(view(slice), plan.status, headers);
  }

  async function manifest(
    c: Context,
    kind: string,
    build: (record: DeliveryRecord, query: ManifestQuery, passQuery: string) => string,
    type: string,
  ): Promise<Response> {
    const id = c.req.param('id') as string;
    const record = await index.get(id);
    const passQuery = await access.check(record, c.req.header('authorization'), c.req.query(TOKEN_PARAMETER));
    const url = new URL(c.req.url);
    const query = parseManifestQuery(url.searchParams);
    const tokenPart = passQuery ? createHash('sha1').update(passQuery).digest('base64url').slice(0, 12) : '';
    const key = `manifest:${id}:${record.version}:${kind}:${normaliseQuery(query)}:${tokenPart}`;
    const text = await deps.cache.getOrLoad(key, async () => ({
      value: Buffer.from(build(record, query, passQuery)),
      tags: [videoSurrogateKey(id)],
      ttlSeconds: 3600,
    }));
    const etag = `"${createHash('sha1').update(text).digest('base64url').slice(0, 20)}"`;
    if (record.video.visibility !== 'private' && !url.search && HotManifests.eligible(url.pathname)) {
      hot.remember(url.pathname, {
        route: routePath(c),
        body: text,
        etag,
        videoId: id,
        record,
        headers: { ...access.headers(record, 'manifest', type, etag), 'content-length': String(text.length) },
      });
    }
    return send(c, record, 'manifest', text, type, etag);
  }

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
        if (!r.tracks.has(trackId)) throw new ApiError('http.not_found', `no track ${trackId}`);
        // A media playlist serves its track whatever the filters; only clip and segment apply.
        const p = present(r.index, {
          segmentMs: q.segmentMs,
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
    manifest(c, 'dash-ondemand', (r, q, pass) => buildOnDemandMpd(present(r.index, q), { passQuery: pass }), MPD),
  );

  app.on(['GET', 'HEAD'], '/v1/videos/:id/text/:file{[A-Za-z0-9_-]+\\.vtt}', async (c) => {
    const record = await index.get(c.req.param('id'));
    await access.check(record, c.req.header('authorization'), c.req.query(TOKEN_PARAMETER));
    const id = (c.req.param('file') as string).slice(0, -4);
    const text = record.index.text.find((t) => t.id === id);
    if (!text) throw new ApiError('http.not_found', `no text track ${id}`);
    const body = await deps.store.readAll(videoKeys.file(record.video.id, text.file));
    return send(c, record, 'object', body, 'text/vtt; charset=utf-8', `"${record.version}-${id}"`);
  });

  app.on(['GET', 'HEAD'], '/v1/videos/:id/thumbs/:file{(poster|storyboard)\\.(jpg|vtt)}', async (c) => {
    const record = await index.get(c.req.param('id'));
    await access.check(record, c.req.header('authorization'), c.req.query(TOKEN_PARAMETER));
    const file = c.req.param('file') as string;
    if (!record.index.thumbnails) throw new ApiError('http.not_found', 'this video has no thumbnails');
    const body = await deps.store.readAll(videoKeys.file(record.video.id, `thumbs/${file}`));
    const type = file.endsWith('.jpg') ? 'image/jpeg' : 'text/vtt; charset=utf-8';
    return send(c, record, 'object', body, type, `"${record.version}-${file}"`);
  });
}
