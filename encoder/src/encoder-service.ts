// One encoder node: the job consumer plus an HTTP server for /healthz, /readyz and /metrics.

import os from 'node:os';
import path from 'node:path';
import { serve } from '@hono/node-server';
import type { Bus } from '@vought/bus';
import type { Catalog } from '@vought/catalog';
import type { Config } from '@vought/config';
import { Counter, createMetrics, Gauge, Histogram, healthRoutes, type Logger, observe, Readiness } from '@vought/observability';
import { addAdapterMetrics, addReadinessProbes, HttpDrain, listening } from '@vought/runtime';
import type { ObjectStore } from '@vought/storage';
import { Hono } from 'hono';
import { removeOrphanScratch } from './child-process-guard.ts';
import { startEncodeConsumer } from './encode-consumer.ts';
import { locateFfmpeg } from './ffmpeg-locator.ts';

/**
 * After SIGTERM, how long the job in hand may take to finish before it is handed back (its ffmpeg
 * killed, its scratch files removed, the job nak'ed so another encoder starts it at once). The
 * orchestrator's grace must exceed it plus ENCODER_STOP_MARGIN_MS: deploy/k8s/base/encoder.yaml and
 * deploy/compose.yaml give 600 s.
 */
export const ENCODER_STOP_GRACE_MS = 540_000;
/** After the grace: the handler notices the abort (up to 5 s), the adapters close. */
export const ENCODER_STOP_MARGIN_MS = 30_000;

export interface RunningEncoder {
  url: string;
  stop(): Promise<void>;
}

export async function startEncoder(
  config: Config,
  deps: {
    logger: Logger;
    store: ObjectStore;
    bus: Bus;
    catalog: Catalog;
    port?: number;
    preset?: string;
    /** Overrides ENCODER_STOP_GRACE_MS (tests). */
    stopGraceMs?: number;
  },
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
  const inProgress = new Gauge({
    name: 'encode_jobs_in_progress',
    help: 'Encode jobs this encoder is running now',
    registers: [metrics.registry],
  });
  const mediaSeconds = new Counter({
    name: 'encode_media_seconds_total',
    help: 'Media duration encoded (seconds of video), by outcome: with encode_duration_seconds, the speed against realtime',
    labelNames: ['outcome'] as const,
    registers: [metrics.registry],
  });
  addAdapterMetrics(metrics.registry, { store: deps.store, bus: deps.bus });
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
    onEncoded: (outcome, seconds, media) => {
      duration.observe({ outcome }, seconds);
      jobs.inc({ outcome });
      if (media !== undefined) mediaSeconds.inc({ outcome }, media);
    },
    onActive: (delta) => inProgress.inc(delta),
  });
  const app = new Hono();
  app.use('*', observe({ logger, metrics, logRequests: false }));
  healthRoutes(app, { metrics, readiness });
  const server = serve({ fetch: app.fetch, port: deps.port ?? config.ports.encoder, hostname: config.host }) as import('node:http').Server;
  const drain = new HttpDrain(server);
  const { url } = await listening(server, config.host);
  return {
    url,
    async stop() {
      // SIGTERM: not ready from now on, take no new job; the one in hand finishes within the grace,
      // else ffmpeg is killed, the scratch directory removed and the job nak'ed so another encoder
      // takes it at once (index.json being the commit point, nothing half-written is visible).
      // /healthz and /metrics answer meanwhile (the job's progress stays visible), then close.
      readiness.drain();
      const graceMs = deps.stopGraceMs ?? ENCODER_STOP_GRACE_MS;
      logger.info({ grace_ms: graceMs }, 'encoder stopping: no new jobs; the job in hand finishes or is handed back');
      await consumer.stop({ graceMs });
      await drain.close();
    },
  };
}
