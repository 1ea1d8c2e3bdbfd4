// `npm start -w edge`: one edge node, pointed at origins (or a shield) by VOUGHT_EDGE_UPSTREAM.
import { createBus } from '@vought/bus';
import { loadConfig } from '@vought/config';
import { runService } from '@vought/runtime';
import { startEdge } from './edge-service.ts';

await runService('edge', async (logger) => {
  const config = loadConfig();
  const bus = await createBus({ natsUrl: config.bus.natsUrl, name: 'edge' });
  const edge = await startEdge(config, { logger, bus });
  return {
    async stop() {
      await edge.stop();
      await bus.close();
    },
  };
});
