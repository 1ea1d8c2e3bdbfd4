// Uploads, secure and resumable: tus 1.0 at /v1/uploads through @tus/server, with the datastore
// on the same backing store as the storage port (a directory in the data dir, or S3 multipart in
// the bucket), the upload locker port of @vought/runtime (a Redis lock when Redis is configured:
// an upload started on one node resumes on another), and the checksum extension that @tus/server
// lacks (added here). Plus PUT /v1/videos/{id}/source for scripts. Only editors and admins upload,
// and only to their videos.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FileStore } from '@tus/file-store';
import { S3Store } from '@tus/s3-store';
import { type DataStore, Server, type Upload } from '@tus/server';
import type { Video } from '@vought/catalog';
import { CodedError } from '@vought/errors';
import type { UploadErrorCode } from '@vought/http-errors';
import { videoKeys } from '@vought/storage';
import type { Hono } from 'hono';
import type { OriginDeps } from '../app.ts';
import { ApiError } from '../http/api-error.ts';
import { statusOf } from '../http/error-responses.ts';
import { authenticate, requirePermission } from './auth-middleware.ts';
import { SNIFF_BYTES, sniffContainer } from './source-sniffer.ts';
import type { VideoService } from './video-service.ts';

const TUS_PATH = '/v1/uploads';
/** tus checksum extension: algorithms we verify (sha1 is the one the spec requires). */
const CHECKSUM_ALGORITHMS = ['sha1', 'sha256', 'md5'] as const;
/** A PATCH with Upload-Checksum is verified (from a scratch file) before a byte reaches the upload. */
const MAX_CHECKSUMMED_CHUNK = 128 * 1024 * 1024;

export interface UploadRoutes {
  close(): Promise<void>;
}

function decodeMetadata(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const pair of header.split(',')) {
    const [key, value] = pair.trim().split(' ');
    if (!key) continue;
    out[key] = value ? Buffer.from(value, 'base64').toString('utf8') : '';
  }
  return out;
}

function makeDatastore(deps: OriginDeps): { datastore: DataStore; idPrefix: string } {
  const { storage, dataDir } = deps.config;
  const expirationPeriodInMilliseconds = 24 * 3600 * 1000;
  if (storage.kind === 's3') {
    const s3 = storage.s3;
    return {
      idPrefix: 'uploads/',
      datastore: new S3Store({
        partSize: 8 * 1024 * 1024,
        expirationPeriodInMilliseconds,
        s3ClientConfig: {
          bucket: s3.bucket ?? '',
          region: s3.region,
          forcePathStyle: s3.forcePathStyle,
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
          ...(s3.endpoint ? { endpoint: s3.endpoint } : {}),
          ...(s3.accessKeyId && s3.secretAccessKey
            ? { credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } }
            : {}),
        },
      }),
    };
  }
  return { idPrefix: '', datastore: new FileStore({ directory: path.join(dataDir, 'uploads'), expirationPeriodInMilliseconds }) };
}

export function mountUploads(app: Hono, deps: OriginDeps, videos: VideoService): UploadRoutes {
  const { datastore, idPrefix } = makeDatastore(deps);
  const uploadDir = path.join(deps.config.dataDir, 'uploads');
  const chunkDir = path.join(deps.config.dataDir, 'upload-chunks');

  /** The finished upload's first bytes, wherever the datastore keeps them. */
  async function headOf(upload: Upload): Promise<Buffer> {
    if (deps.config.storage.kind === 's3') return deps.store.read(upload.id, 0, SNIFF_BYTES);
    const handle = await open(path.join(uploadDir, upload.id), 'r');
    try {
      const buffer = Buffer.alloc(SNIFF_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  async function discard(upload: Upload): Promise<void> {
    if (deps.config.storage.kind === 's3') {
      await deps.store.delete(upload.id);
      await deps.store.delete(`${upload.id}.info`);
    } else {
      await datastore.remove(upload.id).catch(() => {});
    }
  }

  /** Moves a complete, checked upload to videos/{id}/source and queues the encode. */
  async function finish(upload: Upload): Promise<Video> {
    const videoId = upload.metadata?.video_id;
    if (!videoId) throw new ApiError('http.bad_request', 'Upload-Metadata must carry video_id');
    const video = await deps.catalog.findVideo(videoId);
    // The video may have been deleted, or have received its source another way (PUT, a second
    // tus upload) while this one was running: then this upload is refused and nothing is replaced.
    if (!video || !videos.isUploadable(video)) {
      await discard(upload);
      if (!video) throw new ApiError('http.not_found', `video ${videoId} no longer exists`);
      throw new ApiError('video.not_ready', `video ${videoId} is ${video.status}: it no longer waits for this upload`, {
        status: video.status,
      });
    }
    const head = await headOf(upload);
    const sniffed = sniffContainer(head);
    if (!sniffed) {
      await discard(upload);
      await videos.setStatus(video, 'waiting_upload', null);
      throw new ApiError('http.unsupported_media_type', 'the uploaded bytes are not a video or audio container vought can read');
    }
    if (deps.config.storage.kind === 's3') {
      await deps.store.copy(upload.id, videoKeys.source(videoId));
    } else {
      await deps.store.put(videoKeys.source(videoId), createReadStream(path.join(uploadDir, upload.id)));
    }
    await discard(upload);
    return videos.enqueueEncode(await deps.catalog.getVideo(videoId));
  }

  const tus = new Server({
    path: TUS_PATH,
    datastore,
    locker: deps.uploadLocker,
    maxSize: deps.config.uploads.maxBytes,
    // Locations come from VOUGHT_PUBLIC_URL, or are relative (tus clients resolve them against the
    // endpoint): never from Host or X-Forwarded-Host, which any client can set.
    respectForwardedHeaders: false,
    namingFunction: () => `${idPrefix}${createHash('sha256').update(crypto.randomUUID()).digest('hex').slice(0, 32)}`,
    generateUrl: (_req, { path: base, id }) => `${deps.config.publicUrl ?? ''}${base}/${id.slice(idPrefix.length)}`,
    getFileIdFromRequest: (_req, lastPath) => (lastPath ? `${idPrefix}${lastPath}` : undefined),
    onUploadFinish: async (_req, upload) => {
      try {
        const video = await finish(upload);
        return { headers: { 'x-video-status': video.status } };
      } catch (error) {
        const coded = error as { code?: string; message: string };
        const code = coded.code ?? 'http.internal';
        throw { status_code: statusOf(code), body: JSON.stringify({ error: { code, message: coded.message } }) };
      }
    },
  });

  // Expired, abandoned uploads are swept every hour.
  const sweep = setInterval(() => void datastore.deleteExpired().catch(() => {}), 3600_000);
  sweep.unref();

  const auth = authenticate(deps, { required: true });

  async function videoOfUpload(uploadId: string): Promise<Video | null> {
    try {
      const upload = await datastore.getUpload(`${idPrefix}${uploadId}`);
      const videoId = upload.metadata?.video_id;
      return videoId ? deps.catalog.getVideo(videoId) : null;
    } catch {
      return null; // tus answers 404 itself
    }
  }

  const handle = async (request: Request): Promise<Response> => {
    const response = await tus.handleWeb(request);
    if (request.method === 'OPTIONS') {
      const headers = new Headers(response.headers);
      const ext = headers.get('tus-extension');
      if (ext) headers.set('tus-extension', `${ext},checksum`);
      headers.set('tus-checksum-algorithm', CHECKSUM_ALGORITHMS.join(','));
      return new Response(response.body, { status: response.status, headers });
    }
    return response;
  };

  app.on(['OPTIONS'], [TUS_PATH, `${TUS_PATH}/*`], (c) => handle(c.req.raw));

  app.post(TUS_PATH, auth, async (c) => {
    const metadata = decodeMetadata(c.req.header('upload-metadata'));
    const videoId = metadata.video_id;
    if (!videoId)
      throw new ApiError('http.bad_request', 'Upload-Metadata must carry video_id (create the video first: POST /v1/videos)', {
        parameter: 'video_id',
      });
    const video = await deps.catalog.getVideo(videoId);
    requirePermission(c.get('principal'), 'video.upload', video);
    videos.assertUploadable(video);
    const response = await handle(await withChecksumVerified(c.req.raw));
    if (response.status === 201 || response.status === 204)
      await videos.markUploading(await deps.catalog.getVideo(videoId)).catch(() => {});
    return response;
  });

  app.on(['HEAD', 'PATCH', 'DELETE', 'GET'], `${TUS_PATH}/:uploadId`, auth, async (c) => {
    const video = await videoOfUpload(c.req.param('uploadId'));
    if (video) requirePermission(c.get('principal'), 'video.upload', video);
    const request = c.req.method === 'PATCH' ? await withChecksumVerified(c.req.raw) : c.req.raw;
    return handle(request);
  });

  // Single-request upload for scripts: the body is the file. Streamed to a temporary key (the size
  // limit enforced while streaming), checked, then moved to the source key: a refused upload never
  // replaces a stored source.
  app.put('/v1/videos/:id/source', auth, async (c) => {
    const video = await deps.catalog.getVideo(c.req.param('id'));
    requirePermission(c.get('principal'), 'video.upload', video);
    videos.assertUploadable(video);
    const max = deps.config.uploads.maxBytes;
    const declared = Number(c.req.header('content-length') ?? Number.NaN);
    if (declared > max) throw new ApiError('http.payload_too_large', `uploads are limited to ${max} bytes`, { limit: max });
    const body = c.req.raw.body;
    if (!body) throw new ApiError('http.bad_request', 'the request body is the file to upload; it was empty');
    await videos.markUploading(video);
    const temporary = videoKeys.upload(video.id, crypto.randomUUID());
    let seen = 0;
    let head = Buffer.alloc(0);
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        seen += chunk.length;
        if (seen > max) return done(new ApiError('http.payload_too_large', `uploads are limited to ${max} bytes`, { limit: max }));
        if (head.length < SNIFF_BYTES) head = Buffer.concat([head, chunk.subarray(0, SNIFF_BYTES - head.length)]);
        done(null, chunk);
      },
    });
    try {
      await deps.store.put(temporary, Readable.fromWeb(body as import('node:stream/web').ReadableStream<Uint8Array>).pipe(meter));
      if (seen === 0) throw new ApiError('http.bad_request', 'the request body is the file to upload; it was empty');
      if (!sniffContainer(head))
        throw new ApiError('http.unsupported_media_type', 'the uploaded bytes are not a video or audio container vought can read');
      await deps.store.copy(temporary, videoKeys.source(video.id));
    } catch (error) {
      await videos.setStatus(await deps.catalog.getVideo(video.id), 'waiting_upload', null).catch(() => {});
      throw error;
    } finally {
      await deps.store.delete(temporary).catch(() => {});
    }
    const queued = await videos.enqueueEncode(await deps.catalog.getVideo(video.id));
    return c.json({ id: queued.id, status: queued.status, size: seen }, 202);
  });

  /**
   * tus checksum extension (tus 1.0 §checksum): verify the PATCH body against Upload-Checksum before
   * tus stores a byte; a mismatch is 460 and the chunk is discarded, so the client resends it. The
   * chunk is hashed as it streams to a scratch file (never held in memory, counted as it arrives
   * whatever Content-Length says), then handed to tus from that file.
   */
  async function withChecksumVerified(request: Request): Promise<Request> {
    const header = request.headers.get('upload-checksum');
    if (!header || !request.body) return request;
    const [algorithm, expected] = header.trim().split(' ');
    if (!algorithm || !expected || !(CHECKSUM_ALGORITHMS as readonly string[]).includes(algorithm)) {
      throw new ApiError(
        'http.bad_request',
        `Upload-Checksum: unsupported algorithm '${algorithm}' (supported: ${CHECKSUM_ALGORITHMS.join(', ')})`,
      );
    }
    const tooLarge = () => new ApiError('http.payload_too_large', `checksummed chunks are limited to ${MAX_CHECKSUMMED_CHUNK} bytes`);
    if (Number(request.headers.get('content-length') ?? 0) > MAX_CHECKSUMMED_CHUNK) throw tooLarge();
    await mkdir(chunkDir, { recursive: true });
    const scratch = path.join(chunkDir, crypto.randomUUID());
    const hash = createHash(algorithm);
    let seen = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        seen += chunk.length;
        if (seen > MAX_CHECKSUMMED_CHUNK) return done(tooLarge());
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(
        Readable.fromWeb(request.body as import('node:stream/web').ReadableStream<Uint8Array>),
        meter,
        createWriteStream(scratch),
      );
      if (hash.digest('base64') !== expected) throw new ChecksumMismatch();
    } catch (error) {
      await rm(scratch, { force: true });
      throw error;
    }
    const file = createReadStream(scratch);
    const remove = () => void rm(scratch, { force: true });
    file.once('close', remove);
    file.once('error', remove);
    const headers = new Headers(request.headers);
    headers.set('content-length', String(seen));
    return new Request(request.url, {
      method: request.method,
      headers,
      body: Readable.toWeb(file) as ReadableStream<Uint8Array>,
      duplex: 'half',
    } as RequestInit);
  }

  return {
    async close() {
      clearInterval(sweep);
    },
  };
}

class ChecksumMismatch extends CodedError<UploadErrorCode> {
  constructor() {
    super('upload.checksum_mismatch', 'Upload-Checksum does not match the chunk: it was discarded; send it again');
  }
}
