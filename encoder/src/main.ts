// `npm start -w encoder`: one encoder, pointed at the real adapters by environment variables.
import { loadConfig } from '@vought/config';
import { openAdapters, runService } from '@vought/runtime';
import { ENCODER_STOP_GRACE_MS, ENCODER_STOP_MARGIN_MS, startEncoder } from './encoder-service.ts';

await runService(
  'encoder',
  async (logger) => {
    const config = loadConfig();
    const adapters = await openAdapters(config, { service: 'encoder' });
    const encoder = await startEncoder(config, { logger, store: adapters.store, bus: adapters.bus, catalog: adapters.catalog });
    return {
      async stop() {
        await encoder.stop();
        await adapters.close();
      },
    };
  },
  { stopTimeoutMs: ENCODER_STOP_GRACE_MS + ENCODER_STOP_MARGIN_MS },
);
