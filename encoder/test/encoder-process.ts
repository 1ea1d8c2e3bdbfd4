// An encoder process for encoder/test/shutdown.test.ts: the real start-up and SIGTERM path
// (runService + startEncoder, as src/main.ts), on NATS in a namespace of the test's own and an fs
// store and SQLite catalog the test shares. Its scratch space is $TMPDIR/vought-encoder.
import { NatsBus } from '@vought/bus';
import { SqliteCatalog } from '@vought/catalog';
import { loadConfig } from '@vought/config';
import { runService } from '@vought/runtime';
import { FsStore } from '@vought/storage';
import { ENCODER_STOP_MARGIN_MS, startEncoder } from '../src/encoder-service.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};
const dir = env('TEST_DIR');
const graceMs = Number(env('TEST_GRACE_MS'));

await runService(
  'encoder',
  async (logger) => {
    const config = loadConfig();
    const store = new FsStore({ root: `${dir}/objects` });
    const catalog = await SqliteCatalog.open({ path: `${dir}/catalog.sqlite` });
    const bus = await NatsBus.connect({ servers: 'nats://127.0.0.1:4222', name: 'test-encoder', namespace: env('TEST_NAMESPACE') });
    const encoder = await startEncoder(config, { logger, store, bus, catalog, port: 0, preset: 'ultrafast', stopGraceMs: graceMs });
    return {
      async stop() {
        await encoder.stop();
        await bus.close();
        await catalog.close();
      },
    };
  },
  { stopTimeoutMs: graceMs + ENCODER_STOP_MARGIN_MS },
);
