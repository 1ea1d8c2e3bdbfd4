// The S3 adapter against a real S3 protocol server (s3rver, started here on a free port).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
// @ts-expect-error s3rver ships no types
import S3rver from 's3rver';
import { S3Store } from '../src/s3-store.ts';
import { storeContract } from '../src/store.contract.ts';

storeContract('s3 (s3rver)', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vought-s3rver-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', directory: dir, silent: true });
  const { port } = (await server.run()) as { port: number };
  const store = new S3Store({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    bucket: 'vought-test',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    forcePathStyle: true,
    partSize: 5 * 1024 * 1024,
  });
  await store.ensureBucket();
  return {
    store,
    cleanup: async () => {
      await store.close();
      await server.close();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
});
