// Wiring shared by every service: opens the adapters the configuration names, proves each real one
// answers before the service says it is up (a bad value stops start-up with one line naming the
// variable), and registers readiness probes. `npm start` opens them once and hands the same
// instances to origin, encoder and edge: the in-process bus only works when it is shared.
import { type Bus, busMetrics, createBus } from '@vought/bus';
import { type Cache, cacheMetrics, createCache } from '@vought/cache';
import { type Catalog, openCatalog } from '@vought/catalog';
import { type Config, ConfigError, memorySplit } from '@vought/config';
import { createLogger, type Logger, type Readiness, type Registry, registerShared } from '@vought/observability';
import { createStore, type ObjectStore, storageMetrics } from '@vought/storage';
import { SHUTDOWN_GRACE_MS } from './http-drain.ts';
import { MemoryRateLimiter, type RateLimiter, RedisRateLimiter } from './rate-limiter.ts';
import { MemoryUploadLocker, RedisUploadLocker, type UploadLocker } from './upload-locker.ts';

export interface Adapters {
  store: ObjectStore;
  cache: Cache;
  bus: Bus;
  catalog: Catalog;
  /** Request counts of the control API's rate limits (shared by every node through Redis). */
  rateLimiter: RateLimiter;
  /** Locks of resumable uploads (tus), shared by every node through Redis. */
  uploadLocker: UploadLocker;
  close(): Promise<void>;
}

type Part = 'store' | 'cache' | 'bus' | 'catalog' | 'rate limiter' | 'upload locker';

/** The variable an operator must look at when an adapter cannot start. */
function variableOf(part: Part, config: Config): string {
  switch (part) {
    case 'store':
      return config.storage.kind === 's3' ? 'VOUGHT_S3_ENDPOINT' : 'VOUGHT_DATA_DIR';
    case 'cache':
    case 'rate limiter':
    case 'upload locker':
      return 'VOUGHT_REDIS_URL';
    case 'bus':
      return 'VOUGHT_NATS_URL';
    case 'catalog':
      return config.catalog.databaseUrl ? 'VOUGHT_DATABASE_URL' : 'VOUGHT_DATA_DIR';
  }
}

async function opened<T>(part: Part, config: Config, open: () => Promise<T>, ping: (t: T) => Promise<void>): Promise<T> {
  let value: T;
  try {
    value = await open();
    await ping(value);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(variableOf(part, config), `cannot start the ${part}: ${(error as Error).message}`);
  }
  return value;
}

export async function openAdapters(config: Config, options: { service: string }): Promise<Adapters> {
  const opens: Array<() => Promise<void>> = [];
  const store = await opened(
    'store',
    config,
    async () => createStore(config.storage),
    (s) => s.ping(),
  );
  opens.push(() => store.close());
  try {
    const cache = await opened(
      'cache',
      config,
      async () =>
        createCache({ redisUrl: config.cache.redisUrl, memoryBytes: memorySplit(config.cache.memoryBytes).shared, prefix: 'vought' }),
      (c) => c.ping(),
    );
    opens.push(() => cache.close());
    const bus = await opened(
      'bus',
      config,
      () => createBus({ natsUrl: config.bus.natsUrl, name: options.service }),
      (b) => b.ping(),
    );
    opens.push(() => bus.close());
    const catalog = await opened(
      'catalog',
      config,
      () => openCatalog({ databaseUrl: config.catalog.databaseUrl, sqlitePath: config.catalog.sqlitePath }),
      (c) => c.ping(),
    );
    opens.push(() => catalog.close());
    /** A port with a Redis twin (when VOUGHT_REDIS_URL is set) and a memory one. */
    const redisOrMemory = async <P extends { ping(): Promise<void>; close(): Promise<void> }>(
      part: Part,
      redis: (url: string) => Promise<P>,
      memory: () => P,
    ): Promise<P> => {
      const url = config.cache.redisUrl;
      const port = await opened(
        part,
        config,
        async () => (url ? redis(url) : memory()),
        (p) => p.ping(),
      );
      opens.push(() => port.close());
      return port;
    };
    const rateLimiter = await redisOrMemory<RateLimiter>(
      'rate limiter',
      (url) => RedisRateLimiter.connect({ url }),
      () => new MemoryRateLimiter(),
    );
    const uploadLocker = await redisOrMemory<UploadLocker>(
      'upload locker',
      (url) => RedisUploadLocker.connect({ url }),
      () => new MemoryUploadLocker(),
    );
    return {
      store,
      cache,
      bus,
      catalog,
      rateLimiter,
      uploadLocker,
      async close() {
        for (const close of opens.reverse()) await close().catch(() => {});
      },
    };
  } catch (error) {
    for (const close of opens.reverse()) await close().catch(() => {});
    throw error;
  }
}

/** Readiness probes for the real adapters only: the embedded ones live and die with the process. */
export function addReadinessProbes(readiness: Readiness, adapters: Partial<Omit<Adapters, 'close'>>): Readiness {
  const { store, cache, bus, catalog, rateLimiter, uploadLocker } = adapters;
  if (store && store.kind !== 'fs') readiness.add(`storage:${store.kind}`, () => store.ping());
  if (store && store.kind === 'fs') readiness.add('storage:fs', () => store.ping());
  // Redis and NATS going away degrade a node (it serves from memory and storage), they do not take
  // it out: every node would be out at once.
  const degradable = { critical: false };
  if (cache && cache.kind !== 'memory') readiness.add(`cache:${cache.kind}`, () => cache.ping(), degradable);
  if (bus && bus.kind !== 'memory') readiness.add(`bus:${bus.kind}`, () => bus.ping(), degradable);
  if (catalog) readiness.add(`catalog:${catalog.kind}`, () => catalog.ping());
  if (rateLimiter && rateLimiter.kind !== 'memory') readiness.add(`rate-limiter:${rateLimiter.kind}`, () => rateLimiter.ping(), degradable);
  if (uploadLocker && uploadLocker.kind !== 'memory')
    readiness.add(`upload-locker:${uploadLocker.kind}`, () => uploadLocker.ping(), degradable);
  return readiness;
}

export interface RunServiceOptions {
  /**
   * After SIGTERM, the process exits 1 if `stop` has not finished within this. Default: the HTTP
   * grace period (SHUTDOWN_GRACE_MS) plus 10 s to close the adapters. Kubernetes'
   * terminationGracePeriodSeconds must exceed it plus the preStop sleep (deploy/k8s).
   */
  stopTimeoutMs?: number;
}

/**
 * The adapters' own metrics on a service's registry, next to its HTTP metrics: storage_read_seconds
 * (store), cache_requests_total (cache), bus_queue_pending and bus_dead_letters_total (bus). The
 * adapters keep one set per process and observe into it whoever uses them; each service registry
 * that registers the set exports it with that service's labels. (Under `vought start` the three
 * services share one set of adapters, so each of them shows the whole process's adapter traffic.)
 */
export function addAdapterMetrics(registry: Registry, adapters: Partial<Pick<Adapters, 'store' | 'cache' | 'bus'>>): Registry {
  if (adapters.store) registerShared(registry, storageMetrics);
  if (adapters.cache) registerShared(registry, cacheMetrics);
  if (adapters.bus) registerShared(registry, busMetrics);
  return registry;
}

/**
 * Runs a service's main: a ConfigError prints its one line (`VOUGHT_REDIS_URL: cannot start the
 * cache: ...`) and exits 1. SIGTERM/SIGINT call `stop` once (a graceful stop: see http-drain.ts and
 * docs/deploy.md), then exit 0, or 1 if stopping failed or outlasted `stopTimeoutMs`. A second
 * signal kills at once.
 */
export async function runService(
  service: string,
  main: (logger: Logger) => Promise<{ stop(): Promise<void> }>,
  options: RunServiceOptions = {},
): Promise<void> {
  const logger = createLogger({ service });
  let running: { stop(): Promise<void> };
  try {
    running = await main(logger);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`vought ${service}: configuration error: ${error.message}`);
    } else {
      console.error(`vought ${service}: failed to start: ${(error as Error).stack ?? error}`);
    }
    process.exit(1);
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const started = performance.now();
    const timeoutMs = options.stopTimeoutMs ?? SHUTDOWN_GRACE_MS + 10_000;
    logger.info({ signal, timeout_ms: timeoutMs }, 'stopping');
    const force = setTimeout(() => {
      logger.error({ timeout_ms: timeoutMs }, 'did not stop in time: exiting anyway');
      process.exit(1);
    }, timeoutMs);
    force.unref();
    let code = 0;
    await running.stop().catch((error: Error) => {
      code = 1;
      logger.error({ err: error.message }, 'error while stopping');
    });
    logger.info({ ms: Math.round(performance.now() - started) }, 'stopped');
    process.exit(code);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  // A dependency that goes away must never crash the process: unhandled rejections are
  // logged, not fatal; readiness reports the dependency.
  process.on('unhandledRejection', (reason) => logger.error({ err: String(reason) }, 'unhandled rejection'));
}

export { TrustedProxies } from './client-address.ts';
export { type DrainResult, HttpDrain, SHUTDOWN_GRACE_MS } from './http-drain.ts';
export { decideRange, type RangeDecision } from './http-range.ts';
export { etagMatches } from './http-validators.ts';
export { listening } from './listen.ts';
export { MemoryRateLimiter, type RateLimiter, RedisRateLimiter } from './rate-limiter.ts';
export {
  MemoryUploadLocker,
  RedisUploadLocker,
  type RedisUploadLockerOptions,
  type UploadLocker,
  type UploadLockerOptions,
} from './upload-locker.ts';
