// The origin: one Hono app with two route groups, the control API and delivery, which can also be
// served apart (`routes` option). Everything it needs is passed in (STYLE habit 6): no env reads.
import type { Authenticator, DevKeys } from '@vought/auth';
import type { Config } from '@vought/config';
import { healthRoutes, type Logger, observe, type Readiness, type ServiceMetrics } from '@vought/observability';
import type { Adapters } from '@vought/runtime';
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { mountConsole } from './console-routes.ts';
import type { VideoGenerations } from './delivery/video-generations.ts';
import { ApiError } from './http/api-error.ts';
import { errorResponse } from './http/error-responses.ts';

/** What the route groups get: the adapters (store, cache, bus, catalog, rate limiter, upload locker) and the node's own parts. */
export interface OriginDeps extends Omit<Adapters, 'close'> {
  config: Config;
  logger: Logger;
  metrics: ServiceMetrics;
  readiness: Readiness;
  auth: Authenticator;
  keys: DevKeys;
  /** This node's video generations: bumped by every invalidation it applies (SECURITY.md). */
  generations: VideoGenerations;
}

export type RouteGroup = 'api' | 'delivery';

/** Mounts one route group's routes on `app` and returns what the service must start, stop or serve with. */
export type RouteMounter<Mounted> = (app: Hono, deps: OriginDeps) => Mounted;

export interface OriginApp<Api, Delivery> {
  app: Hono;
  /** What each mounted group returned; undefined for a group not served. */
  mounted: { api: Api | undefined; delivery: Delivery | undefined };
}

export function createOriginApp<Api = never, Delivery = never>(
  deps: OriginDeps,
  groups: { api?: RouteMounter<Api> | undefined; delivery?: RouteMounter<Delivery> | undefined },
): OriginApp<Api, Delivery> {
  const app = new Hono();
  app.use('*', observe({ logger: deps.logger, metrics: deps.metrics, logRequests: deps.config.log.level === 'debug' }));
  // Browser players fetch manifests and segments cross-origin; Range must be allowed and the
  // headers players read (Content-Range, ETag, ...) exposed.
  const corsMiddleware = cors({
    origin: '*',
    allowMethods: ['GET', 'HEAD', 'POST', 'PATCH', 'PUT', 'DELETE', 'OPTIONS'],
    allowHeaders: [
      'Authorization',
      'Range',
      'Content-Type',
      'If-None-Match',
      'If-Modified-Since',
      'Tus-Resumable',
      'Upload-Length',
      'Upload-Offset',
      'Upload-Metadata',
      'Upload-Checksum',
      'Upload-Defer-Length',
      'Upload-Concat',
      'X-HTTP-Method-Override',
      'X-Request-Id',
    ],
    exposeHeaders: [
      'Content-Length',
      'Content-Range',
      'Accept-Ranges',
      'ETag',
      'Last-Modified',
      'Age',
      'Location',
      'Tus-Resumable',
      'Tus-Version',
      'Tus-Extension',
      'Tus-Max-Size',
      'Upload-Offset',
      'Upload-Length',
      'Upload-Expires',
      'X-Request-Id',
    ],
    maxAge: 86400,
  });
  // An OPTIONS without Access-Control-Request-Method is not a preflight but a real request (tus
  // capability discovery): it goes to its route, with CORS headers added on the way out.
  app.use('*', (c, next) =>
    c.req.method === 'OPTIONS' && !c.req.header('access-control-request-method') ? next() : corsMiddleware(c, next),
  );
  healthRoutes(app, { metrics: deps.metrics, readiness: deps.readiness });
  const mounted = { api: groups.api?.(app, deps), delivery: groups.delivery?.(app, deps) };
  if (groups.api) mountConsole(app, deps, { oidcClientId: deps.config.auth.oidcClientId }); // the web console, beside the API it uses
  app.notFound((c) => errorResponse(new ApiError('http.not_found', `no route for ${c.req.method} ${c.req.path}`), c));
  app.onError((error, c) => errorResponse(error, c));
  return { app, mounted };
}
