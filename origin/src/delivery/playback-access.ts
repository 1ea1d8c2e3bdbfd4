// Who may fetch a video's delivery responses, and what caches may keep them. Public and unlisted
// videos are open to anyone and immutable objects are cacheable by every cache; a private video's
// responses need a playback token bound to it (read by @vought/auth's one reader, verified with a
// cache that never outlives the token), are `private` for browsers and shared caches, and carry
// `Surrogate-Control` + `X-Vought-Access: token` so that vought's own edge, which checks the token
// on every hit, may keep them.
import { ACCESS_HEADER, ACCESS_TOKEN, CachedPlaybackVerifier, type DevKeys, PlaybackVerifier, playbackTokenOf } from '@vought/auth';
import { videoSurrogateKey } from '@vought/bus';
import { TOKEN_PARAMETER } from '@vought/manifest';
import type { DeliveryRecord } from './delivery-index.ts';

export const IMMUTABLE = 'public, max-age=31536000, immutable';
export const MANIFEST_CACHE = 'public, max-age=30, stale-while-revalidate=300, stale-if-error=86400';
const PRIVATE_OBJECT = 'private, max-age=3600';
const PRIVATE_MANIFEST = 'private, max-age=30';

/** Headers browsers' players read across origins (CORS). */
const EXPOSED = 'Content-Length,Content-Range,Accept-Ranges,ETag,Last-Modified';

export class PlaybackAccess {
  private readonly verifier: CachedPlaybackVerifier;

  constructor(keys: DevKeys) {
    this.verifier = new CachedPlaybackVerifier([PlaybackVerifier.fromKeys(keys)]);
  }

  /**
   * Resolves with the query to carry into a manifest's URLs (`token=...` for a private video, empty
   * otherwise); throws AuthError (401) when a private video is asked without a valid token.
   */
  async check(record: DeliveryRecord, authorization: string | undefined, queryToken: string | null | undefined): Promise<string> {
    if (record.video.visibility !== 'private') return '';
    const token = playbackTokenOf(authorization, queryToken);
    await this.verifier.verify(token, record.video.id);
    return `${TOKEN_PARAMETER}=${encodeURIComponent(token ?? '')}`;
  }

  /**
   * Keys and licences need a playback token bound to the video whatever its visibility: resolves
   * with the verified token, throws AuthError (401) without a valid one.
   */
  async requireToken(record: DeliveryRecord, authorization: string | undefined, queryToken: string | null | undefined): Promise<string> {
    const token = playbackTokenOf(authorization, queryToken);
    await this.verifier.verify(token, record.video.id);
    return token ?? '';
  }

  /**
   * The query an encrypted manifest writes into its key URIs: the token the manifest was asked with
   * (verified), or empty when it came without one (the player must then send one with each key request).
   */
  async keyQuery(record: DeliveryRecord, authorization: string | undefined, queryToken: string | null | undefined): Promise<string> {
    if (playbackTokenOf(authorization, queryToken) === undefined) return '';
    return `${TOKEN_PARAMETER}=${encodeURIComponent(await this.requireToken(record, authorization, queryToken))}`;
  }

  /**
   * Headers every delivery response of the record carries, whatever its body. A manifest that
   * `embedsToken` (an encrypted one whose key URIs carry the asker's token) is private to its asker.
   */
  headers(
    record: DeliveryRecord,
    kind: 'object' | 'manifest',
    contentType: string,
    etag: string,
    embedsToken = false,
  ): Record<string, string> {
    const isPrivate = record.video.visibility === 'private' || (kind === 'manifest' && embedsToken);
    const headers: Record<string, string> = {
      'content-type': contentType,
      etag,
      'last-modified': record.lastModified.toUTCString(),
      'surrogate-key': videoSurrogateKey(record.video.id),
      'accept-ranges': 'bytes',
      'access-control-allow-origin': '*',
      'access-control-expose-headers': EXPOSED,
      vary: 'Origin',
      'cache-control': kind === 'object' ? (isPrivate ? PRIVATE_OBJECT : IMMUTABLE) : isPrivate ? PRIVATE_MANIFEST : MANIFEST_CACHE,
    };
    if (isPrivate) {
      headers[ACCESS_HEADER] = ACCESS_TOKEN;
      // manifests carry the token in their URLs: no shared cache may keep them, ours included
      if (kind === 'object') headers['surrogate-control'] = 'max-age=31536000';
    }
    return headers;
  }
}
