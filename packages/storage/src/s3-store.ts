// S3 (or MinIO, or any S3-compatible server) through @aws-sdk/client-s3. Large puts stream up as
// multipart uploads (@aws-sdk/lib-storage); ranged reads are `Range: bytes=a-b` GETs, which is what
// lets the origin serve a segment as one S3 request.

import { Readable, Transform } from 'node:stream';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type S3ClientConfig,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { withSpan } from '@vought/observability';
import { contentTypeOf } from './content-types.ts';
import { validateKey, validatePrefix } from './key-validator.ts';
import { resolveRange } from './range.ts';
import { StorageError } from './storage-error.ts';
import { timeRead } from './storage-metrics.ts';
import type { ByteRange, ObjectBody, ObjectInfo, ObjectStore, PutBody, PutOptions } from './storage-types.ts';
import { holdStreamErrors } from './stream-errors.ts';

export interface S3StoreOptions {
  endpoint?: string | undefined;
  region: string;
  bucket: string;
  accessKeyId?: string | undefined;
  secretAccessKey?: string | undefined;
  forcePathStyle?: boolean;
  /** Multipart part size (bytes), 5 MiB at least. */
  partSize?: number;
}

const PART_SIZE = 8 * 1024 * 1024;

export class S3Store implements ObjectStore {
  readonly kind = 's3' as const;
  readonly client: S3Client;
  readonly bucket: string;
  private readonly partSize: number;

  constructor(options: S3StoreOptions) {
    const config: S3ClientConfig = {
      region: options.region,
      forcePathStyle: options.forcePathStyle ?? true,
      // Checksums only when the API requires them: with the SDK's default (WHEN_SUPPORTED),
      // S3-compatible servers that do not know the new trailing checksums corrupt streamed bodies.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 3,
    };
    if (options.endpoint) config.endpoint = options.endpoint;
    if (options.accessKeyId && options.secretAccessKey) {
      config.credentials = { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey };
    }
    this.client = new S3Client(config);
    this.bucket = options.bucket;
    this.partSize = Math.max(5 * 1024 * 1024, options.partSize ?? PART_SIZE);
  }

  /** Creates the bucket if it does not exist (development and tests). */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch {
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    }
  }

  async put(key: string, body: PutBody, options: PutOptions = {}): Promise<ObjectInfo> {
    holdStreamErrors(body);
    validateKey(key);
    return withSpan('storage.put', { 'storage.kind': 's3', 'storage.key': key }, async () => {
      if (options.ifNoneMatch && (await this.head(key))) {
        // S3 conditional writes (If-None-Match on PutObject) are not supported by every
        // S3-compatible server; a head first narrows the race to the put's duration.
        throw new StorageError('storage.precondition_failed', `object exists: ${key}`, { key });
      }
      const payload = typeof body === 'string' || body instanceof Uint8Array ? Buffer.from(body) : Readable.from(body);
      try {
        const upload = new Upload({
          client: this.client,
          params: { Bucket: this.bucket, Key: key, Body: payload, ContentType: options.contentType ?? contentTypeOf(key) },
          partSize: this.partSize,
          queueSize: 4,
          leavePartsOnError: false,
        });
        await upload.done();
      } catch (error) {
        throw mapError(error, key);
      }
      const info = await this.head(key);
      if (!info) throw new StorageError('storage.unavailable', `object vanished after put: ${key}`, { key });
      return info;
    });
  }

  async get(key: string, range?: ByteRange): Promise<ObjectBody> {
    validateKey(key);
    return withSpan('storage.get', { 'storage.kind': 's3', 'storage.key': key }, async () => {
      try {
        // first byte: the response head (read() and readAll() come through here)
        const timed = timeRead('s3', range ? 'range' : 'get');
        const out = await this.client
          .send(new GetObjectCommand({ Bucket: this.bucket, Key: key, ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }))
          .finally(timed);
        const total = out.ContentRange ? Number(out.ContentRange.split('/')[1]) : Number(out.ContentLength ?? 0);
        const info: ObjectInfo = {
          key,
          size: total,
          etag: unquote(out.ETag),
          lastModified: out.LastModified ?? new Date(0),
          contentType: out.ContentType ?? contentTypeOf(key),
        };
        const body = out.Body as Readable;
        if (!range) return { ...info, body };
        // Validate against the real size the same way the fs store does, so the twins agree.
        const resolved = resolveRange(range, total, key);
        // A server may answer more than the range asked (HTTP allows a 200 with the whole object;
        // s3rver widens bytes=0-0 to the whole object): cut the requested bytes out ourselves.
        const served = /^bytes (\d+)-(\d+)\//.exec(out.ContentRange ?? '');
        const servedStart = served ? Number(served[1]) : 0;
        const servedEnd = served ? Number(served[2]) : total - 1;
        const exact = servedStart === resolved.start && servedEnd === resolved.end;
        return {
          ...info,
          range: resolved,
          body: exact ? body : sliceStream(body, resolved.start - servedStart, resolved.end - servedStart),
        };
      } catch (error) {
        throw mapError(error, key);
      }
    });
  }

  async read(key: string, offset: number, length: number, into?: Buffer): Promise<Buffer> {
    if (length === 0) return Buffer.alloc(0);
    try {
      // one ranged GET
      const object = await this.get(key, { start: offset, end: offset + length - 1 });
      if (!into || into.length < length) return await collect(object.body);
      let filled = 0;
      for await (const chunk of object.body) {
        const bytes = chunk as Buffer;
        filled += bytes.copy(into, filled, 0, Math.min(bytes.length, length - filled));
      }
      return into.subarray(0, filled);
    } catch (error) {
      // Reading at or past the end returns what there is (nothing), as the fs store does.
      if (error instanceof StorageError && error.code === 'storage.range_not_satisfiable') {
        const info = await this.head(key);
        if (info && offset >= info.size) return Buffer.alloc(0);
      }
      throw error;
    }
  }

  async readAll(key: string): Promise<Buffer> {
    return collect((await this.get(key)).body);
  }

  async head(key: string): Promise<ObjectInfo | null> {
    validateKey(key);
    try {
      const timed = timeRead('s3', 'head');
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key })).finally(timed);
      return {
        key,
        size: Number(out.ContentLength ?? 0),
        etag: unquote(out.ETag),
        lastModified: out.LastModified ?? new Date(0),
        contentType: out.ContentType ?? contentTypeOf(key),
      };
    } catch (error) {
      const mapped = mapError(error, key);
      if (mapped instanceof StorageError && mapped.code === 'storage.not_found') return null;
      throw mapped;
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    validatePrefix(prefix, { allowEmpty: true });
    let token: string | undefined;
    do {
      let out: import('@aws-sdk/client-s3').ListObjectsV2CommandOutput;
      try {
        out = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      } catch (error) {
        throw mapError(error, prefix);
      }
      for (const object of out.Contents ?? []) {
        if (!object.Key) continue;
        yield {
          key: object.Key,
          size: Number(object.Size ?? 0),
          etag: unquote(object.ETag),
          lastModified: object.LastModified ?? new Date(0),
          contentType: contentTypeOf(object.Key),
        };
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    validateKey(fromKey);
    validateKey(toKey);
    await withSpan('storage.copy', { 'storage.kind': 's3', 'storage.key': toKey }, async () => {
      try {
        // CopyObject handles objects up to 5 GiB; larger sources would need UploadPartCopy.
        await this.client.send(
          new CopyObjectCommand({
            Bucket: this.bucket,
            Key: toKey,
            CopySource: `${this.bucket}/${encodeURIComponent(fromKey).replaceAll('%2F', '/')}`,
          }),
        );
      } catch (error) {
        throw mapError(error, fromKey);
      }
    });
  }

  async delete(key: string): Promise<void> {
    validateKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      const mapped = mapError(error, key);
      if (mapped instanceof StorageError && mapped.code === 'storage.not_found') return;
      throw mapped;
    }
  }

  async deletePrefix(prefix: string): Promise<number> {
    if (!prefix.endsWith('/'))
      throw new StorageError('storage.invalid_key', `a prefix to delete must end with '/': ${prefix}`, { key: prefix });
    validatePrefix(prefix, { allowEmpty: false });
    return withSpan('storage.delete_prefix', { 'storage.kind': 's3', 'storage.key': prefix }, async () => {
      let count = 0;
      let batch: string[] = [];
      const flush = async () => {
        if (batch.length === 0) return;
        try {
          await this.client.send(
            new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
          );
        } catch (error) {
          throw mapError(error, prefix);
        }
        count += batch.length;
        batch = [];
      };
      for await (const object of this.list(prefix)) {
        batch.push(object.key);
        if (batch.length === 1000) await flush(); // DeleteObjects takes at most 1000 keys
      }
      await flush();
      return count;
    });
  }

  async ping(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      throw mapError(error, this.bucket);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

function unquote(etag: string | undefined): string {
  return (etag ?? '').replace(/^W\//, '').replaceAll('"', '');
}

function sliceStream(source: Readable, start: number, end: number): Readable {
  let position = 0;
  return source.pipe(
    new Transform({
      transform(chunk: Buffer, _enc, done) {
        const from = Math.max(0, start - position);
        const to = Math.min(chunk.length, end + 1 - position);
        position += chunk.length;
        done(null, from < to ? chunk.subarray(from, to) : undefined);
      },
    }),
  );
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

function mapError(error: unknown, key: string): unknown {
  if (error instanceof StorageError) return error;
  const status = error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
  const name = (error as Error)?.name;
  if (status === 404 || name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchBucket') {
    return new StorageError('storage.not_found', name === 'NoSuchBucket' ? `no bucket for ${key}` : `no object ${key}`, { key });
  }
  if (status === 416 || name === 'InvalidRange') return new StorageError('storage.range_not_satisfiable', `range outside ${key}`, { key });
  if (status === 412 || name === 'PreconditionFailed')
    return new StorageError('storage.precondition_failed', `object exists: ${key}`, { key });
  return new StorageError(
    'storage.unavailable',
    `S3 request failed for ${key}: ${(error as Error)?.message ?? error}`,
    { key },
    { cause: error },
  );
}
