// `npm start -w origin`: one origin service, pointed at the real adapters by environment variables.
// It uses every core: the primary forks one worker per core (VOUGHT_WORKERS), and the kernel spreads
// connections across them. With the in-process bus there is nothing to share invalidations and jobs
// between processes, so the embedded mode runs a single process.
import cluster from 'node:cluster';
import os from 'node:os';
import { loadConfig } from '@vought/config';
import { openAdapters, runService } from '@vought/runtime';
import { startOrigin } from './origin-service.ts';

await runService('origin', async (logger) => {
  const config = loadConfig();
  const wanted = config.origin.workers || os.availableParallelism();
  const clustered = wanted > 1 && config.bus.natsUrl !== undefined;
  if (cluster.isPrimary && clustered) {
    logger.info({ workers: wanted }, 'starting origin workers');
    for (let i = 0; i < wanted; i++) cluster.fork();
    let stopping = false;
    cluster.on('exit', (worker, code, signal) => {
      if (stopping) return;
      logger.error({ pid: worker.process.pid, code, signal }, 'origin worker died; starting another');
      cluster.fork();
    });
    return {
      async stop() {
        stopping = true;
        await Promise.all(
          Object.values(cluster.workers ?? {}).map(
            (worker) =>
              new Promise<void>((resolve) => {
                if (!worker || worker.isDead()) return resolve();
                worker.once('exit', () => resolve());
                worker.process.kill('SIGTERM');
              }),
          ),
        );
      },
    };
  }
  if (!clustered && wanted > 1 && cluster.isPrimary) {
    logger.info('in-process bus: running one origin process (set VOUGHT_NATS_URL to use every core)');
  }
  const adapters = await openAdapters(config, { service: 'origin' });
  const origin = await startOrigin(config, { logger, adapters });
  return {
    async stop() {
      await origin.stop();
      await adapters.close();
    },
  };
});
