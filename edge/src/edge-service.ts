// The edge: a CDN node in front of origins (or a shield edge: edges chain). What it shares, and with
// whom, is the point (SECURITY.md, "The edge"):
// - Delivery paths (manifests, init, segments, files, text, thumbnails) are cached as the
//   upstream's Cache-Control allows and concurrent anonymous misses are coalesced into one upstream
//   request whose body followers replay as it arrives. A request with credentials (Authorization,
//   a cookie, ?token=) never joins or reuses another's fill; its answer is stored only when the
//   origin marks it for a playback-token check at the edge, and every hit on such an object checks
//   the token here with the origins' public keys.
// - Everything else (the control API, event streams, uploads, OPTIONS) passes through one-to-one,
//   in its own connection pool, capped per client, and aborted upstream when the client leaves.
// - A fill is stored only if no purge of its keys happened since it began (edge-cache.ts), and an
//   upstream failure after the head aborts the client's transfer: bytes of two upstreams are never
//   spliced, and a partial body is never stored.
import { Readable } from 'node:stream';
import type { ReadableStream as NodeWebStream } from 'node:stream/web';
import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import {
  ACCESS_HEADER,
  ACCESS_TOKEN,
  AuthError,
  Authenticator,
  authorize,
  CachedPlaybackVerifier,
  loadDevKeys,
  PlaybackVerifier,
  playbackTokenOf,
} from '@vought/auth';
import { type Bus, type Invalidation, InvalidationSchema, readMessage, subjects } from '@vought/bus';
import type { Config } from '@vought/config';
import { errorBody } from '@vought/http-errors';
import { TOKEN_PARAMETER } from '@vought/manifest';
import { Counter, createMetrics, Histogram, healthRoutes, type Logger, observe, Readiness } from '@vought/observability';
import { addAdapterMetrics, decideRange, etagMatches, HttpDrain, listening, TrustedProxies } from '@vought/runtime';
import { type Context, Hono } from 'hono';
import { type DeliveryRequest, deliveryRequest, edgeFreshness, hasCredentials } from './cache-policy.ts';
import { type CachedObject, EdgeCache, InFlight } from './edge-cache.ts';
import { UPSTREAM_ERROR_REASONS, type UpstreamResponse, Upstreams } from './upstreams.ts';

export interface RunningEdge {
  url: string;
  port: number;
  cache: EdgeCache;
  stop(): Promise<void>;
}

export interface EdgeOptions {
  logger: Logger;
  bus?: Bus;
  port?: number;
  upstreams?: string[];
  cacheBytes?: number;
  diskDir?: string;
  diskBytes?: number;
  /** Concurrent pass-through requests (API, event streams, uploads) one client address may hold. */
  passPerClient?: number;
  /** Time to the head and between body chunks of a fill. */
  fillTimeoutMs?: number;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) are never forwarded. */
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);
/** Headers about one exchange, not the stored object. */
const perResponse = new Set([...hopByHop, 'date', 'x-request-id', 'content-range']);
/** What a fill sends upstream: a fill is shared, so only what does not personalise the answer. */
const fillHeaders = new Set(['user-agent', 'traceparent', 'tracestate', 'x-request-id', 'accept']);

type Outcome = 'HIT' | 'STALE' | 'MISS' | 'COALESCED' | 'PASS';

/** An error as origins answer it: one status table and body shape (@vought/http-errors). */
function answer(c: Context, error: unknown, extra: Record<string, string> = {}): Response {
  const { status, body, headers } = errorBody(error);
  return c.json(body, status, { ...headers, ...extra });
}

export async function startEdge(config: Config, options: EdgeOptions): Promise<RunningEdge> {
  const { logger } = options;
  const metrics = createMetrics('edge');
  const upstreamErrors = new Counter({
    name: 'edge_upstream_errors_total',
    help: 'Failed upstream attempts by upstream and reason (connect, timeout, reset, status_5xx, breaker_open)',
    labelNames: ['upstream', 'reason'] as const,
    registers: [metrics.registry],
  });
  const purgeLag = new Histogram({
    name: 'edge_purge_lag_seconds',
    help: 'From a change (an invalidation made, a PURGE received) to this edge dropping the objects',
    labelNames: ['source'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 30],
    registers: [metrics.registry],
  });
  const upstreamUrls = options.upstreams ?? config.edge.upstreams;
  // every series exists from the start (at zero), so dashboards and alerts see an upstream's health
  for (const upstream of upstreamUrls) for (const reason of UPSTREAM_ERROR_REASONS) upstreamErrors.inc({ upstream, reason }, 0);
  const upstreams = new Upstreams(upstreamUrls, logger, {
    ...(options.fillTimeoutMs ? { fillTimeoutMs: options.fillTimeoutMs } : {}),
    onError: (upstream, reason) => upstreamErrors.inc({ upstream, reason }),
  });
  const diskDir = options.diskDir ?? config.edge.diskDir;
  const memoryBytes = options.cacheBytes ?? config.cache.memoryBytes;
  const cache = new EdgeCache(memoryBytes, diskDir ? { dir: diskDir, maxBytes: options.diskBytes ?? config.edge.diskBytes } : undefined);
  /** Larger responses stream through without being kept (and without followers). */
  const maxObjectBytes = Math.max(1024 * 1024, Math.min(64 * 1024 * 1024, Math.floor(memoryBytes / 4)));
  const passPerClient = options.passPerClient ?? 64;
  const proxies = new TrustedProxies(config.trustedProxies);

  if (options.bus) addAdapterMetrics(metrics.registry, { bus: options.bus });
  const outcomes = new Counter({
    name: 'edge_requests_total',
    help: 'Edge requests by cache outcome',
    labelNames: ['cache'] as const,
    registers: [metrics.registry],
  });
  const bytesOut = new Counter({
    name: 'edge_bytes_total',
    help: 'Body bytes sent to clients from the cache',
    registers: [metrics.registry],
  });
  const upstreamLatency = new Histogram({
    name: 'edge_upstream_seconds',
    help: 'Upstream time to headers',
    labelNames: ['status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [metrics.registry],
  });
  const upstreamAborts = new Counter({
    name: 'edge_upstream_aborted_total',
    help: 'Upstream transfers that failed after their head (the client transfer was aborted, nothing stored)',
    registers: [metrics.registry],
  });
  const readiness = new Readiness(logger);
  readiness.add('upstream', async () => {
    const errors: string[] = [];
    for (const url of upstreams.urls) {
      try {
        const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        if (res.status === 200) return;
        errors.push(`${url}: ${res.status}`);
      } catch (error) {
        errors.push(`${url}: ${(error as Error).message}`);
      }
    }
    throw new Error(`no upstream answers (${errors.join('; ')})`);
  });
  const bus = options.bus;
  // without the bus this edge misses invalidations until it is back (it then replays them): degraded
  if (bus && bus.kind !== 'memory') readiness.add(`bus:${bus.kind}`, () => bus.ping(), { critical: false });

  let purger: Authenticator | null = null;
  const purgeAuth = async () => {
    purger ??= await Authenticator.create({ ...config.auth, keys: await loadDevKeys(config.auth.keyDir) });
    return purger;
  };

  // Playback tokens are checked here with the origins' public keys (JWKS), so a private object this
  // edge keeps never leaves it without a valid token for its video. Every upstream's JWKS is a
  // source: with one origin down, tokens still verify.
  const verifier = new CachedPlaybackVerifier(upstreams.urls.map((u) => PlaybackVerifier.fromJwksUrl(`${u}/.well-known/jwks.json`)));

  /** Null when the object needs no token or the request's token opens its video; else the refusal. */
  async function checkToken(c: Context, headers: Record<string, string>, videoId: string): Promise<Response | null> {
    if (headers[ACCESS_HEADER] !== ACCESS_TOKEN) return null;
    const token = playbackTokenOf(c.req.header('authorization'), c.req.query(TOKEN_PARAMETER));
    try {
      await verifier.verify(token, videoId);
      return null;
    } catch (error) {
      // the one table of statuses: an unreachable JWKS is an outage (503), a bad token 401
      return answer(c, error instanceof AuthError ? error : new AuthError('auth.invalid', 'the playback token is not valid'));
    }
  }

  function clientOf(c: Context): { peer: string; address: string } {
    let peer = '';
    try {
      peer = getConnInfo(c).remote.address ?? '';
    } catch {
      // not a node socket (app.request in tests)
    }
    return { peer, address: proxies.clientAddress(peer, c.req.header('x-forwarded-for')) };
  }

  /** X-Forwarded-For with this hop's peer appended (origins believe it from trusted proxies only). */
  function forwardedFor(c: Context, peer = clientOf(c).peer): string {
    const before = c.req.header('x-forwarded-for');
    return before ? `${before}, ${peer}` : peer;
  }

  function responseHeaders(res: UpstreamResponse): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers))
      if (v !== undefined && !perResponse.has(k)) out[k] = Array.isArray(v) ? v.join(', ') : v;
    return out;
  }

  function fromObject(c: Context, object: CachedObject, label: 'HIT' | 'STALE'): Response {
    outcomes.inc({ cache: label });
    const headers = new Headers(object.headers);
    headers.set('x-cache', label);
    headers.set('age', String(Math.max(0, Math.floor((Date.now() - object.storedAt) / 1000))));
    const etag = object.headers.etag;
    if (etag && etagMatches(c.req.header('if-none-match'), etag)) return new Response(null, { status: 304, headers });
    let body = object.body;
    let status = object.status;
    if (object.status === 200) {
      const range = decideRange(c.req.header('range'), body.length);
      if (range.kind === 'unsatisfiable') {
        headers.set('content-range', `bytes */${body.length}`);
        return new Response(null, { status: 416, headers });
      }
      if (range.kind === 'partial') {
        headers.set('content-range', `bytes ${range.start}-${range.end}/${body.length}`);
        body = body.subarray(range.start, range.end + 1);
        status = 206;
      }
    }
    headers.set('content-length', String(body.length));
    if (c.req.method === 'HEAD') return new Response(null, { status, headers });
    bytesOut.inc(body.length);
    return new Response(new Uint8Array(body.buffer as ArrayBuffer, body.byteOffset, body.length), { status, headers });
  }

  function unavailable(c: Context, error: Error | null): Response {
    return answer(c, { code: 'edge.upstream_unavailable', message: `no upstream answered: ${error?.message ?? 'unknown'}` });
  }

  /** The upstream path of a fill: the key, plus the token when the request carried one there. */
  function fillPath(c: Context, delivery: DeliveryRequest): string {
    const token = c.req.query(TOKEN_PARAMETER);
    if (!token) return delivery.key;
    return `${delivery.key}${delivery.key.includes('?') ? '&' : '?'}${TOKEN_PARAMETER}=${encodeURIComponent(token)}`;
  }

  function fillRequestHeaders(c: Context, credentialed: boolean): Record<string, string> {
    const out: Record<string, string> = { 'x-forwarded-for': forwardedFor(c) };
    c.req.raw.headers.forEach((value, key) => {
      if (fillHeaders.has(key) || (credentialed && key === 'authorization')) out[key] = value;
    });
    return out;
  }

  /**
   * A fill: one upstream GET whose head decides whether the body is kept (storable and bounded:
   * followers may replay it, and it is stored at the end unless a purge raced it) or streamed to
   * this one client only. Resolves at the head with the response for the caller.
   */
  async function fill(
    c: Context,
    delivery: DeliveryRequest,
    credentialed: boolean,
    flight: InFlight,
  ): Promise<{ passthrough: UpstreamResponse | null }> {
    const started = performance.now();
    let res: UpstreamResponse;
    try {
      res = await upstreams.request('fill', {
        path: fillPath(c, delivery),
        method: 'GET',
        headers: fillRequestHeaders(c, credentialed),
        signal: flight.controller.signal,
        idempotent: true,
      });
    } catch (error) {
      flight.finish(error as Error);
      return { passthrough: null };
    }
    upstreamLatency.observe({ status: String(res.statusCode) }, (performance.now() - started) / 1000);
    // errors reach the reader (iteration, web stream); an abort after the end must not go unheard
    res.body.on('error', () => {});
    const headers = responseHeaders(res);
    const length = Number(headers['content-length']);
    const storable =
      edgeFreshness(res.statusCode, headers).storable &&
      (!credentialed || headers[ACCESS_HEADER] === ACCESS_TOKEN) &&
      Number.isFinite(length) &&
      length <= maxObjectBytes;
    flight.head(res.statusCode, headers, storable && !credentialed);
    if (!storable) {
      flight.finish();
      return { passthrough: res };
    }
    void (async () => {
      try {
        for await (const chunk of res.body) flight.push(chunk as Buffer);
        if (flight.bytes !== length) throw new Error(`upstream sent ${flight.bytes} of ${length} bytes`);
        flight.finish();
      } catch (error) {
        if (!flight.aborted) {
          upstreamAborts.inc();
          logger.warn(
            { upstream: res.upstream, key: delivery.key, err: (error as Error).message },
            'upstream failed mid-transfer: client aborted, nothing stored',
          );
        }
        res.body.destroy();
        flight.finish(error as Error);
        return;
      }
      store(delivery.key, flight);
    })();
    return { passthrough: null };
  }

  function store(key: string, flight: InFlight): void {
    const surrogateKeys = (flight.headers['surrogate-key'] ?? '').split(/\s+/).filter(Boolean);
    if (!cache.mayStore([...surrogateKeys, `url:${key}`], flight)) return; // a purge raced this fill
    const f = edgeFreshness(flight.status, flight.headers);
    cache.objects.set(key, {
      status: flight.status,
      headers: flight.headers,
      body: Buffer.concat(flight.chunks),
      storedAt: Date.now(),
      ttl: f.ttl,
      staleWhileRevalidate: f.staleWhileRevalidate,
      staleIfError: f.staleIfError,
      surrogateKeys,
      stale: false,
    });
  }

  function streamed(res: UpstreamResponse, headers: Record<string, string>, label: Outcome, method: string): Response {
    const out = new Headers(headers);
    out.set('x-cache', label);
    if (method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304) {
      res.body.destroy();
      return new Response(null, { status: res.statusCode, headers: out });
    }
    return new Response(Readable.toWeb(res.body) as ReadableStream<Uint8Array>, { status: res.statusCode, headers: out });
  }

  /** A delivery GET that nothing cached answers: join an anonymous fill, or lead one. */
  async function deliveryMiss(c: Context, delivery: DeliveryRequest, credentialed: boolean, stale?: CachedObject): Promise<Response> {
    const wantsRange = c.req.header('range') !== undefined;
    if (c.req.header('if-none-match') || c.req.header('if-modified-since')) return passThrough(c, 'PASS');
    if (!credentialed) {
      const pending = cache.inFlight.get(delivery.key);
      if (pending && !pending.aborted) {
        const release = pending.attach();
        await pending.waitHead();
        if (pending.shareable && !(pending.done && pending.error)) return follow(c, delivery, pending, release, 'COALESCED', wantsRange);
        release();
        return passThrough(c, 'PASS');
      }
    }
    const flight = new InFlight(cache.epoch);
    if (!credentialed) cache.track(delivery.key, flight);
    const release = flight.attach();
    const { passthrough } = await fill(c, delivery, credentialed, flight);
    // stale-if-error: an old answer beats none (or a 5xx) while it is allowed
    const staleUsable = stale !== undefined && (Date.now() - stale.storedAt) / 1000 < stale.ttl + stale.staleIfError;
    if (flight.status === 0) {
      release();
      if (staleUsable) return fromObject(c, stale, 'STALE');
      outcomes.inc({ cache: 'MISS' });
      return unavailable(c, flight.error);
    }
    if (staleUsable && flight.status >= 500) {
      release();
      passthrough?.body.destroy();
      return fromObject(c, stale, 'STALE');
    }
    if (passthrough) {
      release();
      outcomes.inc({ cache: 'MISS' });
      // not kept: a range is answered by the upstream itself
      if (wantsRange) {
        passthrough.body.destroy();
        return passThrough(c, 'PASS');
      }
      return streamed(passthrough, flight.headers, 'MISS', 'GET');
    }
    return follow(c, delivery, flight, release, 'MISS', wantsRange);
  }

  /** Answers from a fill in progress: the body as it arrives, or (a range) the slice once complete. */
  async function follow(
    c: Context,
    delivery: DeliveryRequest,
    flight: InFlight,
    release: () => void,
    label: 'MISS' | 'COALESCED',
    wantsRange: boolean,
  ): Promise<Response> {
    outcomes.inc({ cache: label });
    // the upstream checked the leader's token (or none), not this request's
    const denied = await checkToken(c, flight.headers, delivery.videoId);
    if (denied) {
      release();
      return denied;
    }
    if (wantsRange) {
      await flight.waitDone();
      release();
      if (flight.error) return unavailable(c, flight.error);
      const f = edgeFreshness(flight.status, flight.headers);
      return fromObject(
        c,
        {
          status: flight.status,
          headers: flight.headers,
          body: Buffer.concat(flight.chunks),
          storedAt: Date.now(),
          ttl: f.ttl,
          staleWhileRevalidate: 0,
          staleIfError: 0,
          surrogateKeys: [],
          stale: false,
        },
        'HIT',
      );
    }
    const headers = new Headers(flight.headers);
    headers.set('x-cache', label);
    headers.set('age', '0');
    return new Response(flight.stream(release), { status: flight.status, headers });
  }

  /** Starts a background refresh of a stale object (stale-while-revalidate), once per key. */
  function revalidate(c: Context, delivery: DeliveryRequest): void {
    if (cache.inFlight.has(delivery.key)) return;
    const flight = new InFlight(cache.epoch, true);
    cache.track(delivery.key, flight);
    void fill(c, delivery, false, flight).then(({ passthrough }) => passthrough?.body.destroy());
  }

  // Pass-through requests held per client address (event streams last; uploads take a while).
  const passing = new Map<string, number>();

  /** One-to-one: this request, its headers and body, to one upstream; aborted when the client leaves. */
  async function passThrough(c: Context, label: Outcome): Promise<Response> {
    const { peer, address } = clientOf(c);
    const held = passing.get(address) ?? 0;
    if (held >= passPerClient) {
      return answer(
        c,
        { code: 'edge.too_many_requests', message: `at most ${passPerClient} open requests per client` },
        { 'retry-after': '1' },
      );
    }
    passing.set(address, held + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const n = (passing.get(address) ?? 1) - 1;
      if (n <= 0) passing.delete(address);
      else passing.set(address, n);
    };
    const url = new URL(c.req.url);
    const method = c.req.method;
    const headers: Record<string, string> = {};
    c.req.raw.headers.forEach((value, key) => {
      if (!hopByHop.has(key) && key !== 'x-forwarded-for') headers[key] = value;
    });
    headers['x-forwarded-for'] = forwardedFor(c, peer);
    const hasBody = method !== 'GET' && method !== 'HEAD' && c.req.raw.body !== null;
    let res: UpstreamResponse;
    try {
      res = await upstreams.request('pass', {
        path: url.pathname + url.search,
        method,
        headers,
        body: hasBody ? Readable.fromWeb(c.req.raw.body as NodeWebStream<Uint8Array>) : null,
        signal: c.req.raw.signal,
        idempotent: method === 'GET' || method === 'HEAD' || method === 'OPTIONS',
      });
    } catch (error) {
      release();
      outcomes.inc({ cache: label });
      return unavailable(c, error as Error);
    }
    outcomes.inc({ cache: label });
    res.body.once('close', release);
    res.body.once('error', release);
    if (method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304) release();
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined && !hopByHop.has(k)) out[k] = Array.isArray(v) ? v.join(', ') : v;
    return streamed(res, out, label, method);
  }

  const app = new Hono();
  app.use('*', observe({ logger, metrics, logRequests: config.log.level === 'debug' }));
  healthRoutes(app, { metrics, readiness });

  app.on('PURGE', '*', async (c) => {
    const received = performance.now();
    const principal = await (await purgeAuth()).authenticate(c.req.header('authorization')).catch(() => null);
    if (!principal || !authorize(principal, 'cache.purge').allowed)
      return answer(c, new AuthError(principal ? 'auth.forbidden' : 'auth.missing', 'PURGE needs an admin token'));
    const soft = c.req.header('soft-purge') === '1' || c.req.header('fastly-soft-purge') === '1';
    const keys = (c.req.header('surrogate-key') ?? '').split(/\s+/).filter(Boolean);
    const delivery = deliveryRequest(new URL(c.req.url));
    const purged = keys.length ? cache.purge(keys, soft) : delivery ? cache.purgeKey(delivery.key, soft) : 0;
    purgeLag.observe({ source: 'api' }, (performance.now() - received) / 1000);
    return c.json({ purged, soft });
  });

  app.on(['GET', 'HEAD'], '*', async (c) => {
    const url = new URL(c.req.url);
    const delivery = deliveryRequest(url);
    if (!delivery) return passThrough(c, 'PASS');
    const credentialed = hasCredentials(c.req.raw.headers, url);
    const object = cache.get(delivery.key);
    if (object) {
      const denied = await checkToken(c, object.headers, delivery.videoId);
      if (denied) return denied;
      const age = (Date.now() - object.storedAt) / 1000;
      if (!object.stale && age < object.ttl) return fromObject(c, object, 'HIT');
      if (object.stale || age < object.ttl + object.staleWhileRevalidate) {
        revalidate(c, delivery);
        return fromObject(c, object, 'STALE');
      }
    }
    // HEAD never starts or joins a body's fill: it is asked upstream as HEAD
    if (c.req.method === 'HEAD') return passThrough(c, 'PASS');
    return deliveryMiss(c, delivery, credentialed, object);
  });

  // The control API, uploads, preflights: one-to-one, with their own method.
  app.all('*', (c) => passThrough(c, 'PASS'));

  const subscription = bus
    ? await bus.subscribe<Invalidation>(
        subjects.invalidate,
        ({ data }) => {
          const read = readMessage(InvalidationSchema, data);
          if (!read.ok) return void logger.warn({ err: read.error }, 'malformed invalidation ignored');
          cache.purge(read.value.keys, read.value.soft === true);
          if (read.value.at) purgeLag.observe({ source: 'bus' }, Math.max(0, Date.now() - read.value.at) / 1000);
        },
        { durable: true },
      )
    : null;

  const server = serve({ fetch: app.fetch, port: options.port ?? config.ports.edge, hostname: config.host });
  const drain = new HttpDrain(server as import('node:http').Server);
  const { url, port } = await listening(server, config.host);
  logger.info({ url, upstreams: upstreams.urls }, 'edge listening');
  return {
    url,
    port,
    cache,
    // SIGTERM (runService): /readyz 503 at once, no new connections, requests in flight (segments
    // to slow players, fills) finish within SHUTDOWN_GRACE_MS; event streams passing through are
    // cut at once (their clients reconnect), as is whatever is left after the grace.
    async stop() {
      readiness.drain();
      logger.info(await drain.close(), 'edge: HTTP drained');
      await subscription?.unsubscribe();
      await upstreams.close();
    },
  };
}
