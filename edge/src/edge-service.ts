// The edge: a CDN node in front of origins (or a shield edge: edges chain). Caches whole responses
// in memory as the upstream's Cache-Control allows, coalesces concurrent misses into one upstream
// request (followers stream the bytes as they arrive), answers Range from cached objects, purges
// by surrogate key on `cdn.invalidate` or an authenticated PURGE, and fails over between
// upstreams with a circuit breaker over keep-alive undici pools.
import { Readable } from 'node:stream';
import { serve } from '@hono/node-server';
import { AuthError, Authenticator, authorize, loadDevKeys, PlaybackVerifier } from '@vought/auth';
import { type Bus, type Invalidation, subjects } from '@vought/bus';
import type { Config } from '@vought/config';
import { Counter, createMetrics, Histogram, healthRoutes, type Logger, observe, Readiness } from '@vought/observability';
import { listening } from '@vought/runtime';
import { type Context, Hono } from 'hono';
import { Pool } from 'undici';
import { cacheKey, edgeFreshness } from './cache-policy.ts';
import { type CachedObject, EdgeCache, InFlight } from './edge-cache.ts';

export interface RunningEdge {
  url: string;
  port: number;
  cache: EdgeCache;
  stop(): Promise<void>;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) are never forwarded. */
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);
/** Headers about one exchange, not the stored object. */
const perResponse = new Set([...hopByHop, 'date', 'x-request-id', 'content-range']);

interface Upstream {
  url: string;
  pool: Pool;
  failures: number;
  openUntil: number;
}

export async function startEdge(
  config: Config,
  options: { logger: Logger; bus?: Bus; port?: number; upstreams?: string[]; cacheBytes?: number; diskDir?: string; diskBytes?: number },
): Promise<RunningEdge> {
  const { logger } = options;
  const upstreams: Upstream[] = (options.upstreams ?? config.edge.upstreams).map((url) => ({
    url,
    pool: new Pool(url, { connections: 128, keepAliveTimeout: 30_000, pipelining: 1 }),
    failures: 0,
    openUntil: 0,
  }));
  const diskDir = options.diskDir ?? config.edge.diskDir;
  const cache = new EdgeCache(
    options.cacheBytes ?? config.cache.memoryBytes,
    diskDir ? { dir: diskDir, maxBytes: options.diskBytes ?? config.edge.diskBytes } : undefined,
  );
  const metrics = createMetrics('edge');
  const outcomes = new Counter({
    name: 'edge_requests_total',
    help: 'Edge requests by cache outcome',
    labelNames: ['cache'] as const,
    registers: [metrics.registry],
  });
  const bytesOut = new Counter({ name: 'edge_bytes_total', help: 'Body bytes sent to clients', registers: [metrics.registry] });
  const upstreamLatency = new Histogram({
    name: 'edge_upstream_seconds',
    help: 'Upstream time to headers',
    labelNames: ['status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [metrics.registry],
  });
  const readiness = new Readiness(logger);
  readiness.add('upstream', async () => {
    const errors: string[] = [];
    for (const u of upstreams) {
      try {
        const res = await u.pool.request({ path: '/healthz', method: 'GET' });
        await res.body.dump();
        if (res.statusCode === 200) return;
        errors.push(`${u.url}: ${res.statusCode}`);
      } catch (error) {
        errors.push(`${u.url}: ${(error as Error).message}`);
      }
    }
    throw new Error(`no upstream answers (${errors.join('; ')})`);
  });

  let purger: Authenticator | null = null;
  const purgeAuth = async () => {
    purger ??= await Authenticator.create({ ...config.auth, keys: await loadDevKeys(config.auth.keyDir) });
    return purger;
  };

  /** One upstream exchange, trying the next origin on a connect error or 5xx (idempotent GET/HEAD only). */
  async function fetchUpstream(path: string, method: 'GET' | 'HEAD', headers: Record<string, string>, flight: InFlight): Promise<void> {
    let lastError: Error = new Error('no upstream configured');
    const now = Date.now();
    const order = [...upstreams].sort((a, b) => Number(a.openUntil > now) - Number(b.openUntil > now));
    for (const u of order) {
      const started = performance.now();
      try {
        const res = await u.pool.request({ path, method, headers });
        upstreamLatency.observe({ status: String(res.statusCode) }, (performance.now() - started) / 1000);
        if (res.statusCode >= 500 && u !== order.at(-1)) {
          await res.body.dump();
          throw new Error(`upstream ${u.url} answered ${res.statusCode}`);
        }
        u.failures = 0;
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers))
          if (v !== undefined && !perResponse.has(k)) out[k] = Array.isArray(v) ? v.join(', ') : v;
        flight.head(res.statusCode, out);
        for await (const chunk of res.body) flight.push(chunk as Buffer);
        flight.finish();
        return;
      } catch (error) {
        lastError = error as Error;
        // Circuit breaker: five failures in a row take an upstream out for five seconds.
        if (++u.failures >= 5) u.openUntil = Date.now() + 5_000;
      }
    }
    flight.finish(lastError);
  }

  function startFlight(key: string, path: string, method: 'GET' | 'HEAD', headers: Record<string, string>): InFlight {
    const flight = new InFlight();
    cache.inFlight.set(key, flight);
    void fetchUpstream(path, method, headers, flight).finally(() => {
      cache.inFlight.delete(key);
      if (method !== 'GET' || flight.error) return;
      const f = edgeFreshness(flight.status, flight.headers);
      if (!f.storable) return;
      cache.objects.set(key, {
        status: flight.status,
        headers: flight.headers,
        body: Buffer.concat(flight.chunks),
        storedAt: Date.now(),
        ttl: f.ttl,
        staleWhileRevalidate: f.staleWhileRevalidate,
        staleIfError: f.staleIfError,
        surrogateKeys: (flight.headers['surrogate-key'] ?? '').split(/\s+/).filter(Boolean),
        stale: false,
      });
    });
    return flight;
  }

  // Playback tokens are checked here with the origin's public keys (JWKS), so a private object this
  // edge keeps never leaves it without a valid token for its video.
  const verifier = PlaybackVerifier.fromJwksUrl(`${upstreams[0]?.url ?? 'http://127.0.0.1'}/.well-known/jwks.json`);
  async function checkToken(c: Context, object: CachedObject): Promise<Response | null> {
    if (object.headers['x-vought-access'] !== 'token') return null;
    const videoId = /^\/v1\/videos\/([A-Za-z0-9_-]+)\//.exec(new URL(c.req.url).pathname)?.[1] ?? '';
    const header = c.req.header('authorization');
    const token = c.req.query('token') ?? (header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined);
    try {
      await verifier.verify(token, videoId);
      return null;
    } catch (error) {
      const e = error instanceof AuthError ? error : new AuthError('auth.invalid', 'the playback token is not valid');
      // the origin's JWKS unreachable is an outage, not a bad token
      if (e.code === 'auth.unavailable') return c.json({ error: { code: e.code, message: e.message } }, 503, { 'retry-after': '5' });
      return c.json({ error: { code: e.code, message: e.message } }, 401, { 'www-authenticate': 'Bearer' });
    }
  }

  function fromObject(c: Context, object: CachedObject, label: 'HIT' | 'STALE'): Response {
    outcomes.inc({ cache: label });
    const headers = new Headers(object.headers);
    headers.set('x-cache', label);
    headers.set('age', String(Math.max(0, Math.floor((Date.now() - object.storedAt) / 1000))));
    const etag = object.headers.etag;
    if (etag && c.req.header('if-none-match') === etag) return new Response(null, { status: 304, headers });
    const range = /^bytes=(\d*)-(\d*)$/.exec(c.req.header('range') ?? '');
    let body = object.body;
    let status = object.status;
    if (range && object.status === 200) {
      const size = body.length;
      const [, a, b] = range;
      const start = a === '' ? Math.max(0, size - Number(b)) : Number(a);
      const end = a === '' ? size - 1 : b === '' ? size - 1 : Math.min(Number(b), size - 1);
      if (start >= size || end < start) {
        headers.set('content-range', `bytes */${size}`);
        return new Response(null, { status: 416, headers });
      }
      body = body.subarray(start, end + 1);
      status = 206;
      headers.set('content-range', `bytes ${start}-${end}/${size}`);
    }
    headers.set('content-length', String(body.length));
    if (c.req.method === 'HEAD') return new Response(null, { status, headers });
    bytesOut.inc(body.length);
    return new Response(new Uint8Array(body.buffer as ArrayBuffer, body.byteOffset, body.length), { status, headers });
  }

  async function fromFlight(c: Context, flight: InFlight, label: 'MISS' | 'COALESCED'): Promise<Response> {
    outcomes.inc({ cache: label });
    await flight.waitHead();
    if (flight.status === 0) {
      return c.json({ error: { code: 'edge.upstream_unavailable', message: `no upstream answered: ${flight.error?.message}` } }, 502, {
        'retry-after': '5',
      });
    }
    if (label === 'COALESCED') {
      // the upstream checked the leader's token, not this follower's
      const denied = await checkToken(c, { headers: flight.headers } as CachedObject);
      if (denied) return denied;
    }
    const headers = new Headers(flight.headers);
    headers.set('x-cache', label);
    headers.set('age', '0');
    if (c.req.header('range')) {
      // A range miss fills the whole object once; the range is cut from it.
      while (!flight.done) await new Promise((r) => setTimeout(r, 5));
      if (!flight.error) {
        const object = cache.get(cacheKey(new URL(c.req.url)));
        if (object) return (await checkToken(c, object)) ?? fromObject(c, object, 'HIT');
      }
    }
    if (c.req.method === 'HEAD') return new Response(null, { status: flight.status, headers });
    return new Response(flight.stream(), { status: flight.status, headers });
  }

  const app = new Hono();
  app.use('*', observe({ logger, metrics, logRequests: config.log.level === 'debug' }));
  healthRoutes(app, { metrics, readiness });

  app.on('PURGE', '*', async (c) => {
    const principal = await (await purgeAuth()).authenticate(c.req.header('authorization')).catch(() => null);
    if (!principal || !authorize(principal, 'cache.purge').allowed)
      return c.json({ error: { code: 'auth.forbidden', message: 'PURGE needs an admin token' } }, principal ? 403 : 401);
    const soft = c.req.header('soft-purge') === '1' || c.req.header('fastly-soft-purge') === '1';
    const keys = (c.req.header('surrogate-key') ?? '').split(/\s+/).filter(Boolean);
    let purged = 0;
    if (keys.length) purged = cache.purge(keys, soft);
    else {
      const key = cacheKey(new URL(c.req.url));
      const object = cache.objects.get(key);
      if (object) {
        if (soft) object.stale = true;
        else cache.objects.delete(key);
        purged = 1;
      }
    }
    return c.json({ purged, soft });
  });

  app.on(['GET', 'HEAD'], '*', async (c) => {
    const url = new URL(c.req.url);
    const key = cacheKey(url);
    const object = cache.get(key);
    const now = Date.now();
    if (object) {
      const denied = await checkToken(c, object);
      if (denied) return denied;
      const age = (now - object.storedAt) / 1000;
      if (!object.stale && age < object.ttl) return fromObject(c, object, 'HIT');
      if (object.stale || age < object.ttl + object.staleWhileRevalidate) {
        // stale-while-revalidate: answer now, refresh in the background (once)
        if (!cache.inFlight.has(key)) startFlight(key, url.pathname + url.search, 'GET', forwardHeaders(c));
        return fromObject(c, object, 'STALE');
      }
    }
    const pending = cache.inFlight.get(key);
    if (pending && c.req.method === 'GET') return fromFlight(c, pending, 'COALESCED');
    const flight = startFlight(key, url.pathname + url.search, c.req.method as 'GET' | 'HEAD', forwardHeaders(c));
    if (object && object.staleIfError > 0) {
      await flight.waitHead();
      if (flight.status === 0 || flight.status >= 500) {
        if ((now - object.storedAt) / 1000 < object.ttl + object.staleIfError) return fromObject(c, object, 'STALE');
      }
    }
    return fromFlight(c, flight, 'MISS');
  });

  // Preflights and anything else pass through uncached.
  app.on(['OPTIONS'], '*', async (c) => {
    const url = new URL(c.req.url);
    const flight = new InFlight();
    await fetchUpstream(url.pathname + url.search, 'GET', forwardHeaders(c), flight).catch(() => {});
    return fromFlight(c, flight, 'MISS');
  });

  function forwardHeaders(c: Context): Record<string, string> {
    const out: Record<string, string> = {};
    c.req.raw.headers.forEach((value, key) => {
      // The object is fetched whole and unconditional: Range and validators are answered here.
      if (!hopByHop.has(key) && key !== 'range' && key !== 'if-none-match' && key !== 'if-modified-since') out[key] = value;
    });
    return out;
  }

  const subscription = options.bus
    ? await options.bus.subscribe<Invalidation>(subjects.invalidate, ({ data }) => {
        if (data?.type === 'invalidate' && Array.isArray(data.keys)) cache.purge(data.keys, data.soft === true);
      })
    : null;

  const server = serve({ fetch: app.fetch, port: options.port ?? config.ports.edge, hostname: config.host });
  const { url, port } = await listening(server, config.host);
  logger.info({ url, upstreams: upstreams.map((u) => u.url) }, 'edge listening');
  void Readable;
  return {
    url,
    port,
    cache,
    async stop() {
      await subscription?.unsubscribe();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all(upstreams.map((u) => u.pool.close()));
    },
  };
}
