// The object store port. Everything vought keeps (sources, renditions, indexes, thumbnails) lives
// behind this interface, so the origin can read a byte range the same way from a local file or an
// S3 ranged GET. Adapters are named by technology: fs-store.ts (embedded default), s3-store.ts.
import type { Readable } from 'node:stream';

/** Inclusive byte range, as in HTTP: `{ start: 0, end: 99 }` is the first 100 bytes. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface ObjectInfo {
  key: string;
  size: number;
  /** Strong validator of the object's content (S3 ETag or the fs adapter's size+mtime hash), unquoted. */
  etag: string;
  lastModified: Date;
  contentType?: string;
}

export interface ObjectBody extends ObjectInfo {
  /** The bytes of the requested range (or the whole object), streamed. */
  body: Readable;
  /** The range actually served; absent for a whole-object read. */
  range?: ByteRange;
}

export type PutBody = Buffer | Uint8Array | string | Readable | AsyncIterable<Uint8Array>;

export interface PutOptions {
  contentType?: string;
  /** Refuse to overwrite an existing object (storage.precondition_failed). */
  ifNoneMatch?: boolean;
}

export interface ObjectStore {
  readonly kind: 'fs' | 's3';
  /** Streams `body` to `key`; large bodies go up as multipart (S3) or through a temp file + rename (fs), so a reader never sees a half-written object. */
  put(key: string, body: PutBody, options?: PutOptions): Promise<ObjectInfo>;
  /** Whole object, or an inclusive byte range of it. Throws storage.not_found / storage.range_not_satisfiable. */
  get(key: string, range?: ByteRange): Promise<ObjectBody>;
  /**
   * Reads exactly `length` bytes at `offset` into memory (or fewer at the end of the object): for
   * parsers of small boxes and indexes, and the origin's segment reads. With `into` (at least
   * `length` bytes), the bytes land there (a pooled buffer) and a view of it is returned.
   */
  read(key: string, offset: number, length: number, into?: Buffer): Promise<Buffer>;
  /** Whole small object into memory (indexes, manifests). */
  readAll(key: string): Promise<Buffer>;
  /** Metadata, or null when the key does not exist. */
  head(key: string): Promise<ObjectInfo | null>;
  /** Every object whose key starts with `prefix`, in lexicographic order. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Copies one object server-side (S3 CopyObject / fs copy): used to promote temp outputs. */
  copy(fromKey: string, toKey: string): Promise<void>;
  /** Deletes one key; a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Deletes every object under `prefix` and returns how many went. `prefix` must be non-empty and end with '/'. */
  deletePrefix(prefix: string): Promise<number>;
  /** Answers when the backing store is reachable (readiness probes). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
