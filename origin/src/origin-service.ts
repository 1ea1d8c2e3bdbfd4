// Starts one origin node on given adapters: HTTP server, readiness probes, the webhook dispatcher,
// and the invalidation subscriber that drops a video's cached indexes and manifests on every node.

import http from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { Authenticator, loadDevKeys } from '@vought/auth';
import { type Invalidation, InvalidationSchema, readMessage, subjects, videoOfSurrogateKey } from '@vought/bus';
import type { Config } from '@vought/config';
import { createMetrics, type Logger, Readiness } from '@vought/observability';
import { type Adapters, addAdapterMetrics, addReadinessProbes, HttpDrain, listening } from '@vought/runtime';
import { mountApi } from './api/api-routes.ts';
import { createOriginApp, type OriginDeps, type RouteGroup } from './app.ts';
import { type Delivery, mountDelivery } from './delivery/delivery.ts';
import { VideoGenerations } from './delivery/video-generations.ts';

export interface RunningOrigin {
  url: string;
  port: number;
  deps: OriginDeps;
  app: import('hono').Hono;
  /** Delivery of this node, when it serves that route group. */
  delivery: Delivery | undefined;
  stop(): Promise<void>;
}

export interface StartOriginOptions {
  logger: Logger;
  adapters: Omit<Adapters, 'close'>;
  /** Serve only some route groups (API nodes apart from delivery nodes). Default: both. */
  groups?: RouteGroup[];
  /** Overrides config.ports.origin (tests pass 0 for a free port). */
  port?: number;
}

export async function startOrigin(config: Config, options: StartOriginOptions): Promise<RunningOrigin> {
  const { logger, adapters } = options;
  const metrics = createMetrics('origin');
  addAdapterMetrics(metrics.registry, adapters);
  const readiness = addReadinessProbes(new Readiness(logger), adapters);
  const keys = await loadDevKeys(config.auth.keyDir);
  const auth = await Authenticator.create({
    issuer: config.auth.issuer,
    audience: config.auth.audience,
    oidcIssuer: config.auth.oidcIssuer,
    rolesClaim: config.auth.rolesClaim,
    keys,
  });
  const generations = new VideoGenerations();
  const deps: OriginDeps = { config, logger, metrics, readiness, ...adapters, auth, keys, generations };
  const groups = new Set(options.groups ?? ['api', 'delivery']);
  const { app, mounted } = createOriginApp(deps, {
    api: groups.has('api') ? mountApi : undefined,
    delivery: groups.has('delivery') ? mountDelivery : undefined,
  });
  const { api, delivery } = mounted;
  await api?.webhooks.start();

  const invalidations = await adapters.bus.subscribe<Invalidation>(
    subjects.invalidate,
    async ({ data }) => {
      const read = readMessage(InvalidationSchema, data);
      if (!read.ok) return void logger.warn({ err: read.error }, 'malformed invalidation ignored');
      for (const key of read.value.keys) {
        const videoId = videoOfSurrogateKey(key);
        if (videoId) generations.bump(videoId);
        await adapters.cache.deleteTag(key).catch((error: Error) => logger.warn({ err: error.message, key }, 'invalidation failed'));
      }
    },
    { durable: true },
  );

  const listener = getRequestListener(app.fetch);
  const server = http.createServer((req, res) => {
    // plain Node handlers first (measured, origin/bench): warm manifests, then delivery objects
    if (delivery && (delivery.hot.serve(req, res, metrics) || delivery.objects.handle(req, res))) return;
    void listener(req, res);
  });
  server.keepAliveTimeout = 65_000; // longer than typical CDN/LB idle timeouts (60 s)
  const drain = new HttpDrain(server);
  server.listen(options.port ?? config.ports.origin, config.host);
  const { url, port } = await listening(server, config.host);
  logger.info({ url }, 'origin listening');
  return {
    url,
    port,
    deps,
    app,
    delivery,
    // SIGTERM (runService): /readyz 503 at once, no new connections, requests in flight finish
    // within SHUTDOWN_GRACE_MS (uploads included: tus resumes those cut), then the rest closes.
    async stop() {
      readiness.drain();
      logger.info(await drain.close(), 'origin: HTTP drained');
      await invalidations.unsubscribe();
      await api?.webhooks.stop();
      await api?.close();
    },
  };
}
