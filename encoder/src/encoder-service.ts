// One encoder node: the job consumer plus an HTTP server for /healthz, /readyz and /metrics.

import os from 'node:os';
import path from 'node:path';
import { serve } from '@hono/node-server';
import type { Bus } from '@vought/bus';
import type { Catalog } from '@vought/catalog';
import type { Config } from '@vought/config';
import { Counter, createMetrics, Histogram, healthRoutes, type Logger, observe, Readiness } from '@vought/observability';
import { addReadinessProbes, listening } from '@vought/runtime';
import type { ObjectStore } from '@vought/storage';
import { Hono } from 'hono';
import { removeOrphanScratch } from './child-process-guard.ts';
import { startEncodeConsumer } from './encode-consumer.ts';
import { locateFfmpeg } from './ffmpeg-locator.ts';

export interface RunningEncoder {
  url: string;
  stop(): Promise<void>;
}

export async function startEncoder(
  config: Config,
  deps: { logger: Logger; store: ObjectStore; bus: Bus; catalog: Catalog; port?: number; preset?: string },
): Promise<RunningEncoder> {
  const { logger } = deps;
  const tools = await locateFfmpeg(config.ffmpeg);
  logger.info({ tools: tools.description }, 'encoder uses ffmpeg');
  const metrics = createMetrics('encoder');
  const duration = new Histogram({
    name: 'encode_duration_seconds',
    help: 'Wall time of encode jobs',
    labelNames: ['outcome'] as const,
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [metrics.registry],
  });
  const jobs = new Counter({
    name: 'encode_jobs_total',
    help: 'Encode jobs by outcome',
    labelNames: ['outcome'] as const,
    registers: [metrics.registry],
  });
  const readiness = addReadinessProbes(new Readiness(logger), { store: deps.store, bus: deps.bus, catalog: deps.catalog });
  const workDir = path.join(os.tmpdir(), 'vought-encoder');
  const orphans = await removeOrphanScratch(workDir);
  if (orphans) logger.info({ directories: orphans }, 'removed scratch files of encoders that died');
  const consumer = await startEncodeConsumer({
    bus: deps.bus,
    store: deps.store,
    catalog: deps.catalog,
    tools,
    logger,
    workDir,
    concurrency: config.encoder.concurrency,
    ...(deps.preset ? { preset: deps.preset } : {}),
    onEncoded: (outcome, seconds) => {
      duration.observe({ outcome }, seconds);
      jobs.inc({ outcome });
    },
  });
  const app = new Hono();
  app.use('*', observe({ logger, metrics, logRequests: false }));
  healthRoutes(app, { metrics, readiness });
  const server = serve({ fetch: app.fetch, port: deps.port ?? config.ports.encoder, hostname: config.host });
  const { url, port } = await listening(server, config.host);
  return {
    url,
    async stop() {
      // SIGTERM: take no new job; the current one finishes within the grace period, else ffmpeg is
      // killed and the job nak'ed so another encoder redoes it.
      await consumer.stop({ graceMs: 25_000 });
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
