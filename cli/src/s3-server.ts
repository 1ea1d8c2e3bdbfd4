// The cluster's S3 server: s3rver (the S3 protocol over files in a directory), for machines without
// MinIO. Serves S3_PORT on 127.0.0.1 with the bucket S3_BUCKET, keeping objects in S3_DIR.
// @ts-expect-error s3rver ships no types
import S3rver from 's3rver';

const port = Number(process.env.S3_PORT ?? 9000);
const server = new S3rver({
  port,
  address: '127.0.0.1',
  directory: process.env.S3_DIR ?? './data/s3',
  silent: true,
  configureBuckets: [{ name: process.env.S3_BUCKET ?? 'vought' }],
});
await server.run();
process.stdout.write(`s3rver on http://127.0.0.1:${port}\n`);
const stop = () => void server.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
