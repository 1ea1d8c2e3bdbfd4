// What an edge may keep and for how long, from the upstream's headers (RFC 9111): s-maxage over
// max-age, `private`/`no-store` never stored, stale-while-revalidate and stale-if-error windows.
import { ACCESS_HEADER, ACCESS_TOKEN } from '@vought/auth';
import { deliveryParameters, parseDeliveryPath, TOKEN_PARAMETER } from '@vought/manifest';
export interface Freshness {
  storable: boolean;
  /** Seconds fresh from the time of the response. */
  ttl: number;
  staleWhileRevalidate: number;
  staleIfError: number;
  immutable: boolean;
}

/**
 * `Surrogate-Control` (addressed to CDNs, Edge Architecture Specification 1.0) wins over
 * Cache-Control for an edge; vought's origin uses it for private videos' objects, which only an
 * edge that checks playback tokens (this one) may keep.
 */
export function edgeFreshness(status: number, headers: Record<string, string>): Freshness {
  const surrogate = headers['surrogate-control'];
  if (surrogate && headers[ACCESS_HEADER] === ACCESS_TOKEN) return freshness(status, surrogate);
  return freshness(status, headers['cache-control']);
}

export function freshness(status: number, cacheControl: string | undefined): Freshness {
  const directives = new Map<string, string | true>();
  for (const part of (cacheControl ?? '').split(',')) {
    const [k, v] = part.trim().split('=');
    if (k) directives.set(k.toLowerCase(), v?.replace(/"/g, '') ?? true);
  }
  const seconds = (name: string) => {
    const v = directives.get(name);
    return typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined;
  };
  const ttl = seconds('s-maxage') ?? seconds('max-age') ?? 0;
  const storable =
    (status === 200 || status === 404) &&
    !directives.has('private') &&
    !directives.has('no-store') &&
    !directives.has('no-cache') &&
    ttl > 0;
  return {
    storable,
    ttl,
    staleWhileRevalidate: seconds('stale-while-revalidate') ?? 0,
    staleIfError: seconds('stale-if-error') ?? 0,
    immutable: directives.has('immutable'),
  };
}

/** A delivery request as the edge sees it: its cache key and the video it belongs to. */
export interface DeliveryRequest {
  key: string;
  videoId: string;
}

/**
 * Delivery paths are cached; everything else (the control API, event streams, uploads, health)
 * passes through one-to-one. The key is the path plus the query parameters the origin defines for
 * it, sorted: unknown parameters (cache busting) and the playback token (it authorises, it does not
 * change the bytes; this edge checks it itself) are dropped, and are not sent upstream either.
 */
export function deliveryRequest(url: URL): DeliveryRequest | null {
  const path = parseDeliveryPath(url.pathname);
  if (!path) return null;
  const query = new URLSearchParams(deliveryParameters(path.kind, url.searchParams)).toString();
  return { key: query ? `${url.pathname}?${query}` : url.pathname, videoId: path.videoId };
}

/** The cache key of a URL (delivery paths only; null for anything the edge does not cache). */
export function cacheKey(url: URL): string | null {
  return deliveryRequest(url)?.key ?? null;
}

/**
 * Whether a request carries credentials: its answer may depend on who asks, so it is neither
 * served from nor joined to another request's fill, and stored only if the origin marked it for
 * token checks at the edge.
 */
export function hasCredentials(headers: Headers, url: URL): boolean {
  return headers.has('authorization') || headers.has('cookie') || url.searchParams.has(TOKEN_PARAMETER);
}
