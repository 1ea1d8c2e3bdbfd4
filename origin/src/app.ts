// The origin: one Hono app with two route groups, the control API and delivery, which can also be
// served apart (`routes` option). Everything it needs is passed in (STYLE habit 6): no env reads.
import type { Authenticator, DevKeys } from '@vought/auth';
import type { Bus } from '@vought/bus';
import type { Cache } from '@vought/cache';
import type { Catalog } from '@vought/catalog';
import type { Config } from '@vought/config';
import { healthRoutes, type Logger, observe, type Readiness, type ServiceMetrics } from '@vought/observability';
import type { ObjectStore } from '@vought/storage';
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import type { VideoGenerations } from './delivery/video-generations.ts';
import { ApiError } from './http/api-error.ts';
import { errorResponse } from './http/error-responses.ts';

export interface OriginDeps {
  config: Config;
  logger: Logger;
  metrics: ServiceMetrics;
  readiness: Readiness;
  store: ObjectStore;
  cache: Cache;
  bus: Bus;
  catalog: Catalog;
  auth: Authenticator;
  keys: DevKeys;
  /** This node's video generations: bumped by every invalidation it applies (SECURITY.md). */
  generations: VideoGenerations;
}

export type RouteGroup = 'api' | 'delivery';

export type RouteMounter = (app: Hono, deps: OriginDeps) => unknown;

export function createOriginApp(
  deps: OriginDeps,
  groups: Partial<Record<RouteGroup, RouteMounter>>,
): { app: Hono; mounted: Partial<Record<RouteGroup, unknown>> } {
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
  const mounted: Partial<Record<RouteGroup, unknown>> = {};
  if (groups.api) mounted.api = groups.api(app, deps);
  if (groups.delivery) mounted.delivery = groups.delivery(app, deps);
  app.notFound((c) => errorResponse(new ApiError('http.not_found', `no route for ${c.req.method} ${c.req.path}`), c));
  app.onError((error, c) => errorResponse(error, c));
  return { app, mounted };
}
