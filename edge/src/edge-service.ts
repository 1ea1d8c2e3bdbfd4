// The edge: a CDN node in front of origin (or a shield edge). This first cut is a pass-through
// reverse proxy over keep-alive undici pools with failover between upstreams; the cache,
// coalescing, token checks and purge come with the edge issue (#7).
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { serve } from '@hono/node-server';
import type { Bus } from '@vought/bus';
import type { Config } from '@vought/config';
import { createMetrics, healthRoutes, type Logger, observe, Readiness } from '@vought/observability';
import { Hono } from 'hono';
import { Pool } from 'undici';

export interface RunningEdge {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) are never forwarded. */
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);

export async function startEdge(
  config: Config,
  options: { logger: Logger; bus?: Bus; port?: number; upstreams?: string[] },
): Promise<RunningEdge> {
  const { logger } = options;
  const upstreams = options.upstreams ?? config.edge.upstreams;
  const pools = upstreams.map((url) => ({ url, pool: new Pool(url, { connections: 64, keepAliveTimeout: 30_000 }) }));
  const metrics = createMetrics('edge');
  const readiness = new Readiness(logger);
  readiness.add('upstream', async () => {
    const errors: string[] = [];
    for (const { url, pool } of pools) {
      try {
        const res = await pool.request({ path: '/healthz', method: 'GET' });
        await res.body.dump();
        if (res.statusCode === 200) return;
        errors.push(`${url}: ${res.statusCode}`);
      } catch (error) {
        errors.push(`${url}: ${(error as Error).message}`);
      }
    }
    throw new Error(`no upstream answers (${errors.join('; ')})`);
  });
  const app = new Hono();
  app.use('*', observe({ logger, metrics, logRequests: config.log.level === 'debug' }));
  healthRoutes(app, { metrics, readiness });
  app.on(['GET', 'HEAD', 'OPTIONS'], '*', async (c) => {
    const url = new URL(c.req.url);
    const headers: Record<string, string> = {};
    c.req.raw.headers.forEach((value, key) => {
      if (!hopByHop.has(key)) headers[key] = value;
    });
    let lastError: unknown;
    for (const { pool } of pools) {
      try {
        const res = await pool.request({ path: url.pathname + url.search, method: c.req.method as 'GET', headers });
        if (res.statusCode >= 500 && pools.length > 1) {
          await res.body.dump();
          lastError = new Error(`upstream ${res.statusCode}`);
          continue;
        }
        const out = new Headers();
        for (const [key, value] of Object.entries(res.headers)) {
          if (value === undefined || hopByHop.has(key)) continue;
          for (const v of Array.isArray(value) ? value : [value]) out.append(key, v);
        }
        if (c.req.method === 'HEAD' || res.statusCode === 304 || res.statusCode === 204) {
          await res.body.dump();
          return new Response(null, { status: res.statusCode, headers: out });
        }
        return new Response(Readable.toWeb(res.body) as ReadableStream, { status: res.statusCode, headers: out });
      } catch (error) {
        lastError = error;
      }
    }
    logger.warn({ err: (lastError as Error)?.message }, 'no upstream answered');
    return c.json({ error: { code: 'edge.upstream_unavailable', message: 'no upstream answered' } }, 502, { 'retry-after': '5' });
  });

  const server = serve({ fetch: app.fetch, port: options.port ?? config.ports.edge, hostname: config.host });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${host}:${port}`;
  logger.info({ url, upstreams }, 'edge listening');
  return {
    url,
    port,
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all(pools.map(({ pool }) => pool.close()));
    },
  };
}
