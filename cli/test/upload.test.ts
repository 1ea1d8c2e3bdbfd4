// The using-side commands as a script runs them: `vought upload` (interrupted with Ctrl-C and run
// again: the second run continues from the server's offset and sends less than the whole file),
// --json, --wait, exit codes, `ls`, `status`, `rm`, `open`, against a real `vought start` on a
// temp data directory and free ports. A small proxy in front of the origin counts the upload bytes
// each run sends (and slows them, so that the first run can be stopped halfway).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outputOf, type RunningVought, startVought } from './vought-server.ts';

const run = promisify(execFile);
const bin = path.resolve(import.meta.dirname, '../bin/vought.js');
const hasFfmpeg = await run('ffmpeg', ['-version']).then(
  () => true,
  () => false,
);
if (!hasFfmpeg && process.env.CI === 'true') throw new Error('the upload tests need ffmpeg on the PATH in CI');
if (!hasFfmpeg) console.warn('vought upload tests skipped: ffmpeg is not on the PATH');

interface Run {
  child: ChildProcess;
  exited: Promise<number | null>;
  out: () => string;
  err: () => string;
}

describe.skipIf(!hasFfmpeg)('vought upload, ls, status, rm, open', { timeout: 120_000 }, () => {
  let dir: string;
  let vought: RunningVought | undefined;
  let origin: string;
  let proxy: http.Server;
  let proxyUrl: string;
  let token: string;
  let clip: string;
  let size: number;
  let env: Record<string, string>;
  /** What the proxy saw of tus PATCH requests since the last reset. */
  const seen = { patchBytes: 0, offsets: [] as number[], epoch: 0, active: 0 };
  /** Bytes per second the proxy lets through for PATCH bodies (0: no limit). */
  let throttle = 0;

  const cli = (args: string[], extra: Record<string, string> = {}): Run => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, exited, ...outputOf(child) };
  };
  const done = async (args: string[], extra: Record<string, string> = {}) => {
    const r = cli(args, extra);
    const code = await r.exited;
    return { code, out: r.out(), err: r.err() };
  };

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vought-cli-'));
    clip = path.join(dir, 'Big_Buck_Bunny.mp4');
    // about 3 MB: enough to stop halfway through a throttled upload
    await run('ffmpeg', [
      ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25:duration=6'],
      ...['-f', 'lavfi', '-i', 'sine=frequency=440:duration=6', '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '4M'],
      ...['-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', clip],
    ]);
    size = (await fs.stat(clip)).size;
    vought = await startVought(path.join(dir, 'data'));
    origin = vought.url;
    token = await vought.token('editor', 'bob');

    // the counting, throttling proxy
    proxy = http.createServer((req, res) => {
      const upstream = http.request(`${origin}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      res.on('close', () => {
        if (!res.writableFinished) upstream.destroy();
      });
      const patch = req.method === 'PATCH';
      // bytes count toward the run that sent the request: a killed run's PATCH still draining
      // through this proxy must not be counted as the next run's
      const epoch = seen.epoch;
      if (patch) {
        seen.offsets.push(Number(req.headers['upload-offset']));
        seen.active++;
        let counted = false;
        const over = () => {
          if (!counted) seen.active--;
          counted = true;
        };
        req.once('end', over);
        req.once('close', over);
      }
      req.on('data', (chunk: Buffer) => {
        if (patch && epoch === seen.epoch) seen.patchBytes += chunk.length;
        upstream.write(chunk);
        if (patch && throttle > 0) {
          req.pause();
          setTimeout(() => req.resume(), (chunk.length / throttle) * 1000);
        }
      });
      req.on('end', () => upstream.end());
      req.on('error', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
    env = {
      ...(process.env as Record<string, string>),
      VOUGHT_URL: proxyUrl,
      VOUGHT_TOKEN: token,
      XDG_CONFIG_HOME: path.join(dir, 'config'),
    };
  }, 120_000);

  afterAll(async () => {
    await vought?.stop();
    proxy?.closeAllConnections();
    await new Promise((resolve) => proxy?.close(resolve));
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  let id: string;

  it('continues an interrupted upload where it stopped, sending less than the whole file the second time', async () => {
    throttle = 600 * 1024;
    seen.patchBytes = 0;
    seen.offsets = [];
    const first = cli(['upload', clip, '--json', '--chunk-size', '0.25', '--tags', 'cli,bunny']);
    const deadline = Date.now() + 30_000;
    while (seen.patchBytes < size / 3 && Date.now() < deadline && first.child.exitCode === null)
      await new Promise((r) => setTimeout(r, 20));
    expect(seen.patchBytes).toBeGreaterThan(0);
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(130);
    expect(first.err()).toContain('run the same command again');
    const sentFirst = seen.patchBytes;
    expect(sentFirst).toBeLessThan(size);
    // tus remembered the upload in the user's config directory
    const stored = JSON.parse(await fs.readFile(path.join(dir, 'config/vought/uploads.json'), 'utf8')) as {
      uploads: Array<{ metadata: { video_id: string } }>;
    };
    expect(stored.uploads).toHaveLength(1);
    const videoId = stored.uploads[0]?.metadata.video_id as string;

    throttle = 0;
    // the killed run's last PATCH drains through the proxy first, so the server's offset is final
    for (let i = 0; i < 200 && seen.active > 0; i++) await new Promise((r) => setTimeout(r, 50));
    seen.epoch++;
    seen.patchBytes = 0;
    seen.offsets = [];
    const second = await done(['upload', clip, '--json', '--wait', '--chunk-size', '0.25', '--tags', 'cli,bunny']);
    expect(second.code, second.err).toBe(0);
    expect(second.err).toContain(`resuming the upload of video ${videoId}`);
    // the second run started from where the server had got to, and sent only the rest
    expect(seen.offsets[0]).toBeGreaterThan(0);
    expect(seen.patchBytes).toBeLessThan(size);
    expect(seen.patchBytes).toBe(size - (seen.offsets[0] as number));
    const last = JSON.parse(second.out.trim().split('\n').at(-1) as string);
    expect(last).toEqual({
      id: videoId,
      status: 'ready',
      hls: `${proxyUrl}/v1/videos/${videoId}/hls/master.m3u8`,
      dash: `${proxyUrl}/v1/videos/${videoId}/dash/manifest.mpd`,
    });
    expect((await fetch(last.hls)).status).toBe(200);
    // done: nothing left to resume
    expect(JSON.parse(await fs.readFile(path.join(dir, 'config/vought/uploads.json'), 'utf8')).uploads).toEqual([]);
    id = videoId;
  });

  it('lists, searches and shows videos', async () => {
    const list = await done(['ls', 'bunny']);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/^ID\s+STATUS\s+DURATION\s+VISIBILITY\s+TITLE/);
    expect(list.out).toContain(`${id}  ready   0:06      public      Big Buck Bunny`);
    const json = await done(['ls', '--tag', 'cli', '--json']);
    expect(JSON.parse(json.out).map((v: { id: string }) => v.id)).toEqual([id]);
    expect((await done(['ls', 'nothing-like-this', '--json'])).out.trim()).toBe('[]');
    const status = await done(['status', id]);
    expect(status.code).toBe(0);
    expect(status.out).toMatch(/status\s+ready/);
    expect(status.out).toContain(`${proxyUrl}/watch/${id}`);
    expect(JSON.parse((await done(['status', id, '--json'])).out)).toMatchObject({ id, status: 'ready', title: 'Big Buck Bunny' });
    const open = await done(['open', id]);
    expect(open).toMatchObject({ code: 0, out: `${proxyUrl}/watch/${id}\n` });
  });

  it('uploads private videos, and exits 3 when the encode fails', async () => {
    const broken = path.join(dir, 'broken.mp4');
    await fs.writeFile(broken, (await fs.readFile(clip)).subarray(0, 64 * 1024)); // an mp4 without its moov
    const result = await done(['upload', broken, '--wait', '--json', '--private', '--title', 'Half a file']);
    expect(result.code, result.err).toBe(3);
    const line = JSON.parse(result.out.trim().split('\n').at(-1) as string);
    expect(line.status).toBe('failed');
    expect(result.err).toContain('encode failed');
    // private: not listed for others, listed with --mine, 404 without a token
    expect((await done(['ls', '--json'])).out).not.toContain(line.id);
    expect((await done(['ls', '--mine', '--json'])).out).toContain(line.id);
    expect((await done(['status', line.id], { VOUGHT_TOKEN: '' })).code).toBe(4);
    expect((await done(['status', line.id])).code).toBe(3);
  });

  it('uploads with an encryption policy, and refuses one the API does not accept', async () => {
    const result = await done(['upload', clip, '--json', '--title', 'Sealed', '--encryption', 'cenc, aes-128', '--rotate', '3']);
    expect(result.code, result.err).toBe(0);
    const line = JSON.parse(result.out.trim().split('\n').at(-1) as string);
    const status = JSON.parse((await done(['status', line.id, '--json'])).out);
    expect(status.encryption).toEqual({ schemes: ['cenc', 'aes-128'], rotationSegments: 3 });
    const bad = await done(['upload', clip, '--encryption', 'rot13']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/encryption/);
    expect((await done(['upload', clip, '--rotate', '3'])).code).toBe(2);
  });

  it('exits 2 on usage errors and 4 without a token or for what does not exist', async () => {
    expect((await done([])).code).toBe(2);
    expect((await done(['frobnicate'])).code).toBe(2);
    expect((await done(['upload'])).code).toBe(2);
    expect((await done(['upload', path.join(dir, 'missing.mp4')])).code).toBe(2);
    expect((await done(['ls', '--limit', 'many'])).code).toBe(2);
    expect((await done(['upload', clip, '--bogus'])).code).toBe(2);
    const anonymous = await done(['upload', clip], { VOUGHT_TOKEN: '' });
    expect(anonymous.code).toBe(4);
    expect(anonymous.err).toContain('needs a token');
    expect((await done(['status', 'no-such-video'])).code).toBe(4);
    expect((await done(['rm', 'no-such-video'])).code).toBe(4);
    const unreachable = await done(['ls'], { VOUGHT_URL: 'http://127.0.0.1:1' });
    expect(unreachable.code).toBe(1);
    expect(unreachable.err).toContain('cannot reach');
    for (const command of ['upload', 'ls', 'status', 'rm', 'open', 'start', 'token', 'cluster']) {
      const help = await done([command, '--help']);
      expect(help.code, command).toBe(0);
      expect(help.out).toContain(`Usage: vought ${command}`);
    }
  });

  it('deletes', async () => {
    const rm = await done(['rm', id]);
    expect(rm).toMatchObject({ code: 0, out: `deleted ${id}\n` });
    expect((await done(['status', id])).code).toBe(4);
  });
});
