// The delivery URL space (ARCHITECTURE "Delivery URLs") as one definition that origins, edges and
// tests share: which paths are delivery, which video they belong to, whether they are manifests
// (whose query parameters change the answer) or objects (init, segments, files, text, thumbnails,
// whose bytes their path alone fixes). Everything else below /v1 is the control API.
import { MANIFEST_PARAMETERS } from './manifest-query.ts';

export type DeliveryKind = 'manifest' | 'object';

export interface DeliveryPath {
  videoId: string;
  kind: DeliveryKind;
}

/** The query parameter that carries a playback token: it authorises, it never changes the bytes. */
export const TOKEN_PARAMETER = 'token';

const ID = '[A-Za-z0-9_-]{1,64}';
const MANIFEST = new RegExp(`^/v1/videos/(${ID})/(?:hls/[A-Za-z0-9_-]+(?:\\.iframes)?\\.m3u8|dash/(?:manifest|ondemand)\\.mpd)$`);
const OBJECT = new RegExp(
  `^/v1/videos/(${ID})/(?:[A-Za-z0-9_-]+/(?:init\\.mp4|file\\.mp4|ondemand-s[0-9]{3,6}\\.mp4|s[0-9]{3,6}/[0-9]{1,16}\\.m4s)|text/[A-Za-z0-9_-]+\\.vtt|thumbs/(?:poster|storyboard)\\.(?:jpg|vtt))$`,
);

/** The delivery resource a path names, or null for anything else (the control API, health, ...). */
export function parseDeliveryPath(pathname: string): DeliveryPath | null {
  const manifest = MANIFEST.exec(pathname);
  if (manifest) return { videoId: manifest[1] as string, kind: 'manifest' };
  const object = OBJECT.exec(pathname);
  return object ? { videoId: object[1] as string, kind: 'object' } : null;
}

/**
 * The parameters of a delivery URL that change its answer, sorted: a manifest keeps the filter and
 * clip parameters, an object none. Unknown parameters and the token are dropped, so neither cache
 * busting nor tokens split a cache entry.
 */
export function deliveryParameters(kind: DeliveryKind, params: URLSearchParams): Array<[string, string]> {
  if (kind === 'object') return [];
  const known: ReadonlySet<string> = new Set(MANIFEST_PARAMETERS);
  return [...params.entries()].filter(([k]) => known.has(k)).sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : 1));
}
