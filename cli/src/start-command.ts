// `npm start`: the whole system in one process. Origin, encoder and edge share one set of
// adapters, so the embedded defaults (fs storage, SQLite, in-process cache and bus) work with no
// servers; pointed at Redis/NATS/PostgreSQL/S3 by environment variables, the same command runs one
// node of each against them.
import { loadConfig } from '@vought/config';
import { startEdge } from '@vought/edge';
import { startEncoder } from '@vought/encoder';
import { startOrigin } from '@vought/origin';
import { openAdapters, runService } from '@vought/runtime';

export async function startAll(): Promise<void> {
  await runService('vought', async (logger) => {
    const config = loadConfig();
    const adapters = await openAdapters(config, { service: 'vought' });
    const origin = await startOrigin(config, { logger: logger.child({ component: 'origin' }), adapters });
    const encoder = await startEncoder(config, {
      logger: logger.child({ component: 'encoder' }),
      store: adapters.store,
      bus: adapters.bus,
      catalog: adapters.catalog,
    });
    const edge = await startEdge(config, { logger: logger.child({ component: 'edge' }), bus: adapters.bus });
    const base = config.publicUrl ?? origin.url;
    const lines = [
      '',
      'vought is running',
      `  origin   ${origin.url}        (API: ${base}/v1/videos, docs: ${base}/docs)`,
      `  edge     ${edge.url}`,
      `  encoder  ${encoder.url}        (health and metrics)`,
      `  data     ${config.dataDir}`,
      `  storage ${adapters.store.kind}, cache ${adapters.cache.kind}, bus ${adapters.bus.kind}, catalog ${adapters.catalog.kind}`,
      '',
      `  a token: npx vought token --role editor`,
      '',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return {
      async stop() {
        await edge.stop();
        await encoder.stop();
        await origin.stop();
        await adapters.close();
      },
    };
  });
}
