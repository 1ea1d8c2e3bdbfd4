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
  type EncryptionScheme,
  ManifestError,
  type ManifestKeys,
  type ManifestQuery,
  mediaPlaylistQuery,
  normaliseQuery,
  type Presentation,
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
import type { ContentKeys, ManifestFormat } from './content-keys.ts';
import type { DeliveryIndex, DeliveryRecord } from './delivery-index.ts';
import { HotManifests } from './hot-path.ts';
import type { PlaybackAccess } from './playback-access.ts';

const M3U8 = 'application/vnd.apple.mpegurl';
const MPD = 'application/dash+xml';

/** A Buffer as the Uint8Array<ArrayBuffer> Hono's body() takes, without copying. */
const view = (b: Buffer) => new Uint8Array(b.buffer as ArrayBuffer, b.byteOffset, b.length);

/** What a builder gets: the record, the query, the URL query to carry, and the encryption to signal. */
interface BuildContext {
  record: DeliveryRecord;
  query: ManifestQuery;
  /** The route's presentation of the record under the query, made once (the key periods come from it too). */
  presentation: () => Presentation;
  passQuery: string;
  /** The scheme this manifest is encrypted with (asked, or the video's policy), and its keys. */
  encryption: { scheme: EncryptionScheme; keys: ManifestKeys } | undefined;
}

export function mountManifestRoutes(
  app: Hono,
  deps: OriginDeps,
  index: DeliveryIndex,
  access: PlaybackAccess,
  hot: HotManifests,
  keys: ContentKeys,
): void {
  /** Answers a body with ETag, Range, HEAD and 304 (byte-response.ts), the same as objects. */
  function send(
    c: Context,
    record: DeliveryRecord,
    kind: 'object' | 'manifest',
    body: Buffer,
    type: string,
    etag: string,
    embedsToken = false,
  ): Response {
    const plan = planBytes(
      { method: c.req.method, range: c.req.header('range'), ifNoneMatch: c.req.header('if-none-match') },
      body.length,
      etag,
    );
    const headers = planHeaders(plan, access.headers(record, kind, type, etag, embedsToken));
    if (plan.status === 304 || plan.status === 416 || !plan.body) return c.body(null, plan.status, headers);
    const slice = plan.status === 206 ? body.subarray(plan.start, plan.end + 1) : body;
    return c.body(view(slice), plan.status, headers);
  }

  /**
   * Where players fetch ClearKey licences. Players do not resolve dashif:Laurl against the MPD, so
   * it is absolute under VOUGHT_PUBLIC_URL; without it, root-relative (right for pages served from
   * the same host). Never from Host or X-Forwarded-Host: a manifest is shared by caches, and one
   * asked with a forged Host would send every player's licence requests elsewhere (SECURITY.md).
   */
  const licenceUrl = (id: string) => `${deps.config.publicUrl ?? ''}/v1/videos/${id}/keys/clearkey`;

  async function manifest(
    c: Context,
    kind: string,
    format: ManifestFormat,
    /** What the manifest lists: its selections' segment counts say how many key periods it needs. */
    presentOf: (record: DeliveryRecord, query: ManifestQuery) => Presentation,
    build: (ctx: BuildContext) => string,
    type: string,
  ): Promise<Response> {
    const id = c.req.param('id') as string;
    const record = await index.get(id);
    const authorization = c.req.header('authorization');
    const queryToken = c.req.query(TOKEN_PARAMETER);
    const passQuery = await access.check(record, authorization, queryToken);
    const url = new URL(c.req.url);
    const query = parseManifestQuery(url.searchParams);
    const scheme = keys.schemeFor(record, format, query.encryption);
    // key URIs carry the token the manifest was asked with (for a private video, passQuery already does)
    const keyQuery = scheme ? passQuery || (await access.keyQuery(record, authorization, queryToken)) : '';
    const credential = passQuery || keyQuery;
    const tokenPart = credential ? createHash('sha1').update(credential).digest('base64url').slice(0, 12) : '';
    const licence = licenceUrl(id);
    const encPart = scheme ? `${scheme}:${keys.rotation(record)}:${format === 'dash' ? licence : ''}` : '';
    const key = `manifest:${id}:${record.version}:${kind}:${normaliseQuery(query)}:${encPart}:${tokenPart}`;
    const text = await deps.cache.getOrLoad(key, async () => {
      let made: Presentation | undefined;
      const presentation = () => {
        made ??= presentOf(record, query);
        return made;
      };
      const counts = () => [...presentation().video, ...presentation().audio].map((sel) => sel.segments.length);
      const encryption = scheme ? { scheme, keys: await keys.manifestKeys(record, counts(), licence, keyQuery) } : undefined;
      return {
        value: Buffer.from(build({ record, query, presentation, passQuery, encryption })),
        tags: [videoSurrogateKey(id)],
        ttlSeconds: 3600,
      };
    });
    const etag = `"${createHash('sha1').update(text).digest('base64url').slice(0, 20)}"`;
    const embedsToken = keyQuery !== '' && keyQuery !== passQuery;
    if (record.video.visibility !== 'private' && !embedsToken && !url.search && HotManifests.eligible(url.pathname)) {
      hot.remember(url.pathname, {
        route: routePath(c),
        body: text,
        etag,
        videoId: id,
        record,
        headers: { ...access.headers(record, 'manifest', type, etag), 'content-length': String(text.length) },
      });
    }
    return send(c, record, 'manifest', text, type, etag, embedsToken);
  }

  const hlsOptions = ({ query, passQuery, encryption }: BuildContext) => ({
    passQuery,
    mediaQuery: mediaPlaylistQuery(query),
    addressing: query.addressing,
    encryption: encryption as { scheme: 'aes-128' | 'sample-aes'; keys: ManifestKeys } | undefined,
  });
  const dashEncryption = ({ encryption }: BuildContext) => encryption as { scheme: 'cenc' | 'cbcs'; keys: ManifestKeys } | undefined;

  /** The presentation under the whole query (filters and clip). */
  const presentAll = (record: DeliveryRecord, query: ManifestQuery) => present(record.index, query);
  /** A media playlist's own track: only clip and segment duration apply (see below). */
  const mediaQueryOf = (q: ManifestQuery): ManifestQuery => ({
    segmentMs: q.segmentMs,
    addressing: q.addressing,
    ...(q.start !== undefined ? { start: q.start } : {}),
    ...(q.end !== undefined ? { end: q.end } : {}),
  });

  app.on(['GET', 'HEAD'], '/v1/videos/:id/hls/master.m3u8', (c) =>
    manifest(c, 'hls-master', 'hls', presentAll, (ctx) => buildMultivariantPlaylist(ctx.presentation(), hlsOptions(ctx)), M3U8),
  );

  app.on(['GET', 'HEAD'], '/v1/videos/:id/hls/:name{[A-Za-z0-9_-]+(\\.iframes)?\\.m3u8}', (c) => {
    const name = (c.req.param('name') as string).replace(/\.m3u8$/, '');
    const iframes = name.endsWith('.iframes');
    const trackId = iframes ? name.slice(0, -'.iframes'.length) : name;
    return manifest(
      c,
      `hls-${name}`,
      'hls',
      (r, q) => present(r.index, mediaQueryOf(q)),
      (ctx) => {
        const { record: r, query: q, passQuery: pass } = ctx;
        const text = r.index.text.find((t) => t.id === trackId);
        if (text && !iframes) return buildSubtitlePlaylist(text, present(r.index, q).duration, { passQuery: pass });
        if (!r.tracks.has(trackId)) throw new ApiError('http.not_found', `no track ${trackId}`);
        // A media playlist serves its track whatever the filters; only clip and segment apply.
        const p = ctx.presentation();
        const selected = [...p.video, ...p.audio].find((s) => s.track.id === trackId);
        if (!selected) throw new ApiError('http.not_found', `no track ${trackId}`);
        if (iframes) {
          if (selected.track.type !== 'video') throw new ApiError('http.not_found', `${trackId} is not a video track`);
          if (ctx.encryption)
            throw new ManifestError(
              'manifest.invalid_query',
              'encryption: I-frame playlists address byte ranges of the clear stored file',
              {
                parameter: 'encryption',
              },
            );
          return buildIframePlaylist(selected as Parameters<typeof buildIframePlaylist>[0], hlsOptions(ctx));
        }
        return buildMediaPlaylist(selected, hlsOptions(ctx));
      },
      M3U8,
    );
  });

  app.on(['GET', 'HEAD'], '/v1/videos/:id/dash/manifest.mpd', (c) =>
    manifest(
      c,
      'dash',
      'dash',
      presentAll,
      (ctx) =>
        buildMpd(ctx.presentation(), {
          passQuery: ctx.passQuery,
          thumbnails: ctx.record.index.thumbnails,
          encryption: dashEncryption(ctx),
        }),
      MPD,
    ),
  );

  app.on(['GET', 'HEAD'], '/v1/videos/:id/dash/ondemand.mpd', (c) =>
    manifest(
      c,
      'dash-ondemand',
      'dash',
      presentAll,
      (ctx) => buildOnDemandMpd(ctx.presentation(), { passQuery: ctx.passQuery, encryption: dashEncryption(ctx) }),
      MPD,
    ),
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
