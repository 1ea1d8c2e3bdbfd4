// What an edge may keep and for how long, from the upstream's headers (RFC 9111): s-maxage over
// max-age, `private`/`no-store` never stored, stale-while-revalidate and stale-if-error windows.
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
  if (surrogate && headers['x-vought-access'] === 'token') return freshness(status, surrogate);
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

/**
 * The cache key keeps the path and the query parameters that change the response, and drops the
 * playback token (it authorises, it does not change the bytes; our edge checks it itself).
 */
export function cacheKey(url: URL): string {
  const params = [...url.searchParams.entries()].filter(([k]) => k !== 'token').sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const query = new URLSearchParams(params).toString();
  return query ? `${url.pathname}?${query}` : url.pathname;
}
