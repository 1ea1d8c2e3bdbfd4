// The delivery URL space as a cache needs it (delivery-urls.ts is the one definition): which paths
// are delivery, which video they belong to, and whether they are manifests (whose query parameters
// change the answer) or objects (init, segments, files, text, thumbnails, whose bytes their path
// alone fixes). Everything else below /v1 is the control API.
import { parseDeliveryUrl } from './delivery-urls.ts';
import { MANIFEST_PARAMETERS } from './manifest-query.ts';

export type DeliveryKind = 'manifest' | 'object';

export interface DeliveryPath {
  videoId: string;
  kind: DeliveryKind;
}

/** The query parameter that carries a playback token: it authorises, it never changes the bytes. */
export const TOKEN_PARAMETER = 'token';

/** The delivery resource a path names, or null for anything else (the control API, health, ...). */
export function parseDeliveryPath(pathname: string): DeliveryPath | null {
  const url = parseDeliveryUrl(pathname);
  if (!url) return null;
  const { kind } = url.resource;
  return { videoId: url.videoId, kind: kind === 'hls-master' || kind === 'hls-media' || kind === 'dash' ? 'manifest' : 'object' };
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
