// Graceful stop of a real origin process (`node --import tsx origin/src/main.ts`, embedded defaults in
// a temporary data directory): an upload is half-sent when SIGTERM arrives; /readyz answers 503 on a
// connection the client already had, new connections are refused, the upload finishes (201 or 204,
// stored), and the process exits 0. The shared pieces are tested in process in
// packages/runtime/test/http-drain.test.ts.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { loadDevKeys, signDevToken } from '@vought/auth';
import { hasFfmpeg, makeSource } from '@vought/media/test/ffmpeg-fixtures';
import { freePort, watchChild } from '@vought/observability/test/required-services';
import { afterAll, describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '../..');
const ffmpeg = await hasFfmpeg();
if (!ffmpeg && process.env.CI === 'true') throw new Error('ffmpeg is required for the shutdown test in CI');

function send(options: http.RequestOptions, body?: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(options, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!ffmpeg)(`origin process on SIGTERM${ffmpeg ? '' : ' (skipped: no ffmpeg)'}`, { timeout: 90_000 }, () => {
  it('answers /readyz 503 at once, refuses new connections, finishes the upload in flight, exits 0', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vought-shutdown-'));
    dirs.push(dir);
    const dataDir = path.join(dir, 'data');
    const source = await makeSource(path.join(dir, 'source.mp4'), { seconds: 4 });
    const bytes = fs.readFileSync(source);
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'origin/src/main.ts'], {
      cwd: repo,
      env: {
        ...process.env,
        VOUGHT_DATA_DIR: dataDir,
        PORT: String(port),
        VOUGHT_HOST: '127.0.0.1',
        VOUGHT_LOG_LEVEL: 'info',
        VOUGHT_RATE_LIMIT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const watched = watchChild(child);
    const exited = watched.exited;
    const waitLog = async (text: string, ms: number) => {
      const deadline = Date.now() + ms;
      while (!watched.log().includes(text)) {
        if (Date.now() > deadline) throw new Error(`no "${text}" in the origin's log:\n${watched.log().slice(-3000)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    await waitLog('origin listening', 30_000);

    const keys = await loadDevKeys(path.join(dataDir, 'keys'));
    const token = await signDevToken(keys, { role: 'editor', issuer: 'vought', audience: 'vought' });
    const auth = { authorization: `Bearer ${token}` };
    const created = await send(
      { host: '127.0.0.1', port, method: 'POST', path: '/v1/videos', headers: { ...auth, 'content-type': 'application/json' } },
      Buffer.from(JSON.stringify({ title: 'shutdown' })),
    );
    expect(created.status).toBe(201);
    const { id } = JSON.parse(created.text) as { id: string };

    // a client's pooled keep-alive connection, idle when SIGTERM comes
    const pooled = new http.Agent({ keepAlive: true, maxSockets: 1 });
    expect((await send({ host: '127.0.0.1', port, path: '/readyz', agent: pooled })).status).toBe(200);

    // the upload in flight: half the body now, the rest after SIGTERM
    let rest = () => {};
    const upload = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'PUT',
          path: `/v1/videos/${id}/source`,
          headers: { ...auth, 'content-type': 'video/mp4', 'content-length': String(bytes.length) },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk) => {
            text += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.write(bytes.subarray(0, bytes.length >> 1));
      rest = () => req.end(bytes.subarray(bytes.length >> 1));
    });
    await new Promise((resolve) => setTimeout(resolve, 300));

    child.kill('SIGTERM');
    await waitLog('draining', 5_000);
    const ready = await send({ host: '127.0.0.1', port, path: '/readyz', agent: pooled });
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.text)).toMatchObject({ status: 'stopping' });
    expect(ready.headers.connection).toBe('close');
    await expect(send({ host: '127.0.0.1', port, path: '/healthz', agent: new http.Agent() })).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
    expect(child.exitCode).toBeNull(); // still there: the upload is in flight

    rest();
    const done = await upload;
    expect(done.status, done.text).toBeLessThan(300);
    expect(fs.existsSync(path.join(dataDir, 'objects', 'videos', id, 'source'))).toBe(true);
    expect(await exited).toBe(0);
    expect(watched.log()).toMatch(/"cut":0/);
    pooled.destroy();
  });
});
