// storage_read_seconds: time to the first byte of each read, by adapter and kind of read. Range reads
// are what segments cost; `get` is a whole object (indexes, sources), `head` metadata. One histogram
// per process, registered on the service's registry by @vought/runtime (addAdapterMetrics).
import { Histogram, type SharedMetric } from '@vought/observability';

export type ReadOp = 'get' | 'range' | 'head';

const readSeconds = new Histogram({
  name: 'storage_read_seconds',
  help: 'Object store reads: time to the first byte, by store (fs, s3) and op (get, range, head)',
  labelNames: ['store', 'op'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [],
});

/** Starts timing a read; call the result when its first byte is there (or it failed). */
export function timeRead(store: 'fs' | 's3', op: ReadOp): () => void {
  const end = readSeconds.startTimer({ store, op });
  return () => {
    end();
  };
}

export const storageMetrics: readonly SharedMetric[] = [{ name: 'storage_read_seconds', metric: readSeconds }];
