// @vought/storage: the object store port (storage-types.ts), its one error (storage-error.ts), the
// adapters named by technology (fs-store.ts, the embedded default; s3-store.ts), and createStore.
import type { StorageConfig } from '@vought/config';
import { FsStore } from './fs-store.ts';
import { S3Store } from './s3-store.ts';
import { StorageError } from './storage-error.ts';
import type { ObjectStore } from './storage-types.ts';

export type { FsStoreOptions } from './fs-store.ts';
export { validateKey } from './key-validator.ts';
export type { S3StoreOptions } from './s3-store.ts';
export { StorageError, type StorageErrorCode } from './storage-error.ts';
export { storageMetrics } from './storage-metrics.ts';
export type { ByteRange, ObjectBody, ObjectInfo, ObjectStore, PutBody, PutOptions } from './storage-types.ts';
export { FsStore, S3Store };

/** The adapter the configuration names. */
export function createStore(config: StorageConfig): ObjectStore {
  if (config.kind === 's3') {
    if (!config.s3.bucket) throw new StorageError('storage.unavailable', 'VOUGHT_S3_BUCKET is required for s3 storage');
    return new S3Store({ ...config.s3, bucket: config.s3.bucket });
  }
  return new FsStore({ root: config.root });
}
export { videoKeys } from './video-keys.ts';
