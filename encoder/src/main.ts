// `npm start -w encoder`: one encoder, pointed at the real adapters by environment variables.
import { loadConfig } from '@vought/config';
import { openAdapters, runService } from '@vought/runtime';
import { startEncoder } from './encoder-service.ts';

await runService('encoder', async (logger) => {
  const config = loadConfig();
  const adapters = await openAdapters(config, { service: 'encoder' });
  const encoder = await startEncoder(config, { logger, store: adapters.store, bus: adapters.bus, catalog: adapters.catalog });
  return {
    async stop() {
      await encoder.stop();
      await adapters.close();
    },
  };
});
