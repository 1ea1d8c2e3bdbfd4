// `vought upload FILE...`: each file becomes a video (POST /v1/videos) and a resumable tus upload.
// tus remembers each upload's URL under the file's fingerprint in the user's config directory
// (url-storage.ts): after Ctrl-C (or a lost connection), the same command continues where it
// stopped, into the same video. With --wait, the encode's progress until ready (exit 3 if one
// fails). With --json, one line per file, the last line being the last file's
// {"id","status","hls","dash"} with absolute URLs.
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { titleOf as titleOfName, tusFailure, uploadable } from '@vought/console/api-client';
import * as tus from 'tus-js-client';
import { type ApiClient, CliError, EXIT, followEvents, type Video } from './api-client.ts';
import { createProgress, type FileProgress } from './progress.ts';
import { FileUrlStorage } from './url-storage.ts';

export interface UploadOptions {
  title?: string | undefined;
  tags?: string | undefined;
  private?: boolean | undefined;
  /** Comma-separated schemes of the video's encryption policy. */
  encryption?: string | undefined;
  /** Segments per key period (with encryption). */
  rotate?: number | undefined;
  wait?: boolean | undefined;
  json?: boolean | undefined;
  chunkSize?: number | undefined;
}

export interface UploadEnvironment {
  client: ApiClient;
  /** File holding tus's upload URLs between runs. */
  storageFile: string;
  tty: boolean;
  out: (line: string) => void;
  err: (line: string) => void;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
}

interface Result {
  file: string;
  id: string;
  status: Video['status'];
  error: string | null;
  hls: string;
  dash: string;
}

/** Title from a file name: no extension, separators as spaces. */
export const titleOf = (file: string) => titleOfName(path.basename(file));

function describeFailure(error: unknown): string {
  const { apiMessage, status, message } = tusFailure(error);
  if (apiMessage) return `${apiMessage} (HTTP ${status})`;
  return (message ?? String(error)).split('\n')[0] ?? String(error);
}

/** The encryption policy the flags ask for (the API checks the schemes and says what is wrong). */
function encryptionOf(options: UploadOptions): { encryption?: { schemes: string[]; rotationSegments?: number } } {
  if (options.encryption === undefined) {
    if (options.rotate !== undefined) throw new CliError('--rotate needs --encryption', EXIT.usage);
    return {};
  }
  const schemes = options.encryption
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (options.rotate !== undefined && !Number.isInteger(options.rotate))
    throw new CliError('--rotate takes a whole number of segments', EXIT.usage);
  return { encryption: { schemes, ...(options.rotate !== undefined ? { rotationSegments: options.rotate } : {}) } };
}

async function uploadOne(
  file: string,
  options: UploadOptions,
  env: UploadEnvironment,
  storage: FileUrlStorage,
  bar: FileProgress,
): Promise<Video> {
  const { client } = env;
  const stat = await fs.stat(file).catch(() => null);
  if (!stat?.isFile()) throw new CliError(`${file}: no such file`, EXIT.usage);
  const stream = createReadStream(file);
  let video: Video | null = null;
  let resumed = false;
  const upload = new tus.Upload(stream, {
    endpoint: client.absolute('/v1/uploads'),
    headers: client.headers(),
    metadata: { filename: path.basename(file) },
    uploadSize: stat.size,
    chunkSize: Math.max(64 * 1024, Math.floor((options.chunkSize ?? 8) * 1024 * 1024)),
    retryDelays: [0, 1000, 3000, 5000, 10_000],
    urlStorage: storage,
    storeFingerprintForResuming: true,
    removeFingerprintOnSuccess: true,
    onProgress: (sent, total) => bar.upload(sent, total),
  });
  // An earlier run of this command for the same file: continue it, into its video.
  const previous = (await upload.findPreviousUploads()).sort((a, b) => Date.parse(b.creationTime) - Date.parse(a.creationTime));
  for (const p of previous) {
    const id = p.metadata?.video_id;
    const found = id ? await client.getVideo(id).catch(() => null) : null;
    if (found && uploadable(found)) {
      video = found;
      resumed = true;
      upload.options.metadata = { ...upload.options.metadata, video_id: found.id };
      upload.resumeFromPreviousUpload(p);
      break;
    }
    if (p.urlStorageKey) await storage.removeUpload(p.urlStorageKey); // its video is gone or complete
  }
  if (!video) {
    const tags = (options.tags ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    video = await client.request<Video>('POST', '/v1/videos', {
      title: options.title ?? titleOf(file),
      tags,
      visibility: options.private ? 'private' : 'public',
      ...encryptionOf(options),
    });
    upload.options.metadata = { ...upload.options.metadata, video_id: video.id };
  }
  bar.phase(resumed ? `resuming the upload of video ${video.id}` : `uploading as video ${video.id}`);
  const current = video;
  await new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      void upload.abort(false).then(() => reject(new CliError('interrupted', EXIT.interrupted)));
    };
    if (env.signal.aborted) return onAbort();
    env.signal.addEventListener('abort', onAbort, { once: true });
    upload.options.onSuccess = () => {
      env.signal.removeEventListener('abort', onAbort);
      resolve();
    };
    upload.options.onError = (error) => {
      env.signal.removeEventListener('abort', onAbort);
      reject(new CliError(`${path.basename(file)}: upload failed: ${describeFailure(error)}`));
    };
    upload.start();
  });
  bar.phase('uploaded');
  return client.getVideo(current.id).catch(() => current);
}

async function waitForEncode(video: Video, env: UploadEnvironment, bar: FileProgress): Promise<Video> {
  let status = video.status;
  let error = video.error;
  await followEvents(
    env.client,
    video.id,
    (event) => {
      if (event.type === 'video.progress' && typeof event.percent === 'number') bar.encode(event.percent);
      if (event.type === 'video.status' && event.status) {
        status = event.status as Video['status'];
        error = event.error ?? error;
        if (status === 'ready' || status === 'failed') return true;
        bar.phase(status === 'queued' ? 'queued for encoding' : status);
      }
      return false;
    },
    env.signal,
  );
  if (env.signal.aborted) throw new CliError('interrupted (the upload is complete; the encode goes on)', EXIT.interrupted);
  bar.phase(status === 'ready' ? 'ready' : `encode failed: ${error ?? 'no reason given'}`);
  return { ...video, status, error };
}

export async function runUpload(files: string[], options: UploadOptions, env: UploadEnvironment): Promise<number> {
  env.client.requireToken('uploading');
  if (options.chunkSize !== undefined && !(options.chunkSize > 0))
    throw new CliError('--chunk-size must be a positive number of MiB', EXIT.usage);
  for (const file of files) {
    const stat = await fs.stat(file).catch(() => null);
    if (!stat?.isFile()) throw new CliError(`${file}: no such file`, EXIT.usage);
  }
  const storage = new FileUrlStorage(env.storageFile);
  const progress = createProgress({ tty: env.tty, quiet: false, write: env.err });
  const results: Result[] = [];
  let failure: CliError | null = null;
  try {
    // files one after another: each gets the whole link, and a Ctrl-C leaves at most one half-sent
    for (const file of files) {
      const stat = await fs.stat(file);
      const bar = progress.file(path.basename(file), stat.size);
      try {
        let video = await uploadOne(file, options, env, storage, bar);
        if (options.wait) video = await waitForEncode(video, env, bar);
        results.push({
          file,
          id: video.id,
          status: video.status,
          error: video.error,
          hls: env.client.absolute(video.links.hls),
          dash: env.client.absolute(video.links.dash),
        });
      } catch (error) {
        if (error instanceof CliError && error.exitCode === EXIT.interrupted) throw error;
        failure = error instanceof CliError ? error : new CliError(`${file}: ${(error as Error).message}`);
        bar.phase(`failed: ${failure.message}`);
      }
    }
  } finally {
    progress.stop();
  }
  for (const r of results) {
    if (options.json) env.out(JSON.stringify({ id: r.id, status: r.status, hls: r.hls, dash: r.dash }));
    else env.out(`${r.id}\t${r.status}\t${r.hls}${r.status === 'failed' && r.error ? `\t${r.error}` : ''}`);
  }
  if (failure) {
    env.err(`vought upload: ${failure.message}`);
    return failure.exitCode;
  }
  return results.some((r) => r.status === 'failed') ? EXIT.encodeFailed : EXIT.ok;
}
