// Starts a real origin (embedded adapters in a temp data dir, a free port) and makes real encoded
// fixture videos with the encoder's processVideo and Debian's ffmpeg.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadDevKeys, signDevToken } from '@vought/auth';
import type { Visibility } from '@vought/catalog';
import { type Config, loadConfig } from '@vought/config';
import { locateFfmpeg, processVideo, renditionsOf } from '@vought/encoder';
import { makeSource } from '@vought/media/test/ffmpeg-fixtures';
import { createLogger } from '@vought/observability';
import { freePort } from '@vought/observability/test/required-services';
import { type Adapters, openAdapters } from '@vought/runtime';
import { videoKeys } from '@vought/storage';
import { type RunningOrigin, startOrigin } from '../src/origin-service.ts';

const run = promisify(execFile);

export interface TestOrigin {
  url: string;
  origin: RunningOrigin;
  adapters: Adapters;
  config: Config;
  dataDir: string;
  token(role: 'admin' | 'editor' | 'viewer', sub?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startTestOrigin(
  env: Record<string, string> = {},
  dataDir?: string,
  options: { publicUrl?: boolean } = {},
): Promise<TestOrigin> {
  const dir = dataDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'vought-origin-')));
  // publicUrl: a port chosen up front, so VOUGHT_PUBLIC_URL can name it (absolute licence URLs)
  const port = options.publicUrl ? await freePort() : 0;
  const config = loadConfig({
    VOUGHT_DATA_DIR: dir,
    VOUGHT_HOST: '127.0.0.1',
    VOUGHT_LOG_LEVEL: 'silent',
    ...(options.publicUrl ? { VOUGHT_PUBLIC_URL: `http://127.0.0.1:${port}` } : {}),
    ...env,
  });
  const adapters = await openAdapters(config, { service: 'origin-test' });
  const logger = createLogger({ service: 'origin-test', level: 'silent' });
  const origin = await startOrigin(config, { logger, adapters, port });
  const keys = await loadDevKeys(config.auth.keyDir);
  return {
    url: origin.url,
    origin,
    adapters,
    config,
    dataDir: dir,
    token: (role, sub) => signDevToken(keys, { role, issuer: config.auth.issuer, audience: config.auth.audience, ...(sub ? { sub } : {}) }),
    async close() {
      await origin.stop();
      await adapters.close();
      if (!dataDir) await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

const sources = new Map<string, Promise<Buffer>>();

/** A 640x360 source with stereo audio (cached per length). */
export function sourceFile(seconds: number): Promise<Buffer> {
  const key = String(seconds);
  let made = sources.get(key);
  if (!made) {
    made = (async () => {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vought-src-'));
      const file = path.join(dir, 'src.mp4');
      await makeSource(file, { seconds });
      const bytes = await fs.readFile(file);
      await fs.rm(dir, { recursive: true, force: true });
      return bytes;
    })();
    sources.set(key, made);
  }
  return made;
}

/** Creates, stores, encodes and readies a video through the real encoder; returns its id. */
export async function makeReadyVideo(
  t: TestOrigin,
  options: { seconds?: number; visibility?: Visibility; owner?: string; title?: string; id?: string } = {},
): Promise<string> {
  const id = options.id ?? `f${randomBytes(5).toString('hex')}`;
  const { catalog, store } = t.adapters;
  await catalog.createVideo({
    id,
    owner: options.owner ?? 'dev-editor',
    title: options.title ?? 'fixture',
    visibility: options.visibility ?? 'public',
    status: 'processing',
  });
  await store.put(`videos/${id}/source`, await sourceFile(options.seconds ?? 16));
  const tools = await locateFfmpeg({});
  const { index } = await processVideo({
    videoId: id,
    sourceKey: videoKeys.source(id),
    store,
    tools,
    workDir: path.join(t.dataDir, 'work'),
    logger: createLogger({ service: 'fixture', level: 'silent' }),
    preset: 'superfast',
  });
  await catalog.updateVideo(id, { status: 'ready', duration: index.duration, renditions: renditionsOf(index) });
  return id;
}

export async function hasTool(binary: string): Promise<boolean> {
  return run(binary, ['-version']).then(
    () => true,
    () => false,
  );
}

/** Creates a video through the API as `token`'s user; returns its id. */
export async function createVideo(t: { url: string }, token: string, fields: Record<string, unknown> = { title: 'test' }): Promise<string> {
  const res = await fetch(`${t.url}/v1/videos`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(fields),
  });
  if (res.status !== 201) throw new Error(`creating a video: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}
