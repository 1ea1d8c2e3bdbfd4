// The console in Debian's Chromium against a real `vought start` (origin, encoder, edge on a temp
// data directory and free ports): sign in with a pasted token, register a webhook, upload an
// ffmpeg-made mp4 through the page and watch it go through upload and encode to ready, play 5 s,
// find it by search, make it private and still play it as its owner, see a clear message as
// anonymous, read the webhook's deliveries, delete it, and continue an upload cut by a page
// reload when the same file is chosen again. Every page gets a screenshot
// (test/artifacts/) and an axe-core check: no serious or critical violations.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import { createRequire } from 'node:module';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningVought, startVought } from '../../cli/test/vought-server.ts';

const require = createRequire(import.meta.url);
const run = promisify(execFile);
const CHROMIUM = '/usr/bin/chromium';
const artifacts = path.resolve(import.meta.dirname, 'artifacts');
const hasFfmpeg = await run('ffmpeg', ['-version']).then(
  () => true,
  () => false,
);
const ready = existsSync(CHROMIUM) && hasFfmpeg;
if (!ready && process.env.CI === 'true') throw new Error('the console tests need Chromium (/usr/bin/chromium) and ffmpeg in CI');
if (!ready) console.warn(`console tests skipped: ${existsSync(CHROMIUM) ? 'ffmpeg is not on the PATH' : `no Chromium at ${CHROMIUM}`}`);

/** Page-side expressions are strings: this file is compiled without the DOM library. */
async function axeCheck(page: Page, name: string): Promise<void> {
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  const violations = (await page.evaluate(
    `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) })))`,
  )) as Array<{ id: string; impact: string; help: string; nodes: string[] }>;
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad, `${name}: ${JSON.stringify(bad, null, 1)}`).toEqual([]);
}

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });

describe.skipIf(!ready)('web console in Chromium', { timeout: 180_000 }, () => {
  let dir: string;
  let vought: RunningVought | undefined;
  let base: string;
  let token: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let videoId: string;
  let clip: string;
  let receiver: http.Server;
  let receiverUrl: string;
  const received: string[] = [];
  const title = `Console bunny ${Date.now().toString(36)}`;

  beforeAll(async () => {
    await fs.mkdir(artifacts, { recursive: true });
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vought-console-'));
    clip = path.join(dir, `${title.replace(/ /g, '_')}.mp4`);
    await run('ffmpeg', [
      ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25:duration=8'],
      ...['-f', 'lavfi', '-i', 'sine=frequency=440:duration=8', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'],
      ...['-c:a', 'aac', '-shortest', clip],
    ]);
    // the webhook's receiver: records each body
    receiver = http.createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      received.push(Buffer.concat(chunks).toString());
      res.end('ok');
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as net.AddressInfo).port}/hook`;
    vought = await startVought(dir, { VOUGHT_WEBHOOK_PRIVATE_TARGETS: 'true' });
    base = vought.url;
    token = await vought.token('editor', 'alice');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    // bypassCSP: axe-core is injected as an inline script, which the console's CSP refuses
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
    page = await context.newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await vought?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('serves index.html for console pages only, never over the API, health, metrics, docs or .well-known', async () => {
    for (const p of ['/', '/upload', '/watch/abc', '/manage/abc', '/sign-in', '/webhooks', '/embed/abc']) {
      const res = await fetch(`${base}${p}`);
      expect(res.status, p).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    }
    expect((await fetch(`${base}/v1/videos`)).headers.get('content-type')).toContain('application/json');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('# HELP');
    expect((await fetch(`${base}/openapi.json`)).headers.get('content-type')).toContain('application/json');
    expect(await (await fetch(`${base}/docs`)).text()).toContain('vought API');
    expect((await fetch(`${base}/.well-known/jwks.json`)).headers.get('content-type')).toContain('json');
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect(await (await fetch(`${base}/console/config.json`)).json()).toMatchObject({ auth: { mode: 'dev' } });
  });

  it('signs in with a pasted token', async () => {
    await page.goto(`${base}/`);
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.waitForURL(/\/sign-in/);
    await shot(page, 'sign-in');
    await axeCheck(page, 'sign-in');
    await page.getByTestId('token-input').fill('not-a-token');
    await page.getByTestId('sign-in').click();
    await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('not a token');
    await page.getByTestId('token-input').fill(token);
    await page.getByTestId('sign-in').click();
    await page.waitForURL(`${base}/`);
    await page.getByText('alice').waitFor();
    // the token is kept in sessionStorage, never in a URL
    expect(await page.evaluate('sessionStorage.getItem("vought.token")')).toBe(token);
    expect(page.url()).not.toContain(token);
  });

  it('registers a webhook', async () => {
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByLabel('URL').fill(receiverUrl);
    await page.getByRole('button', { name: 'Add webhook' }).click();
    await page.getByTestId('webhook').waitFor();
    await page.getByText('shown once').waitFor();
  });

  it('uploads a file through the page and follows it to ready', async () => {
    await page.getByRole('link', { name: 'Upload', exact: true }).click();
    await page.getByTestId('upload-input').waitFor({ state: 'attached' });
    await axeCheck(page, 'upload (empty)');
    // every state the item shows is recorded, to prove progress was shown on the way
    await page.evaluate(`window.__states = []; new MutationObserver(() => {
      const item = document.querySelector('[data-testid=upload-item]');
      if (item && window.__states.at(-1) !== item.dataset.state) window.__states.push(item.dataset.state);
    }).observe(document.body, { subtree: true, childList: true, attributes: true })`);
    await page.getByTestId('upload-input').setInputFiles(clip);
    const item = page.getByTestId('upload-item').first();
    await item.waitFor();
    await page.waitForSelector('[data-testid=upload-item][data-state=ready]', { timeout: 150_000 });
    const states = (await page.evaluate('window.__states')) as string[];
    expect(states).toContain('uploading');
    expect(states.some((s) => s === 'queued' || s === 'processing')).toBe(true);
    expect(states.at(-1)).toBe('ready');
    videoId = (await item.getAttribute('data-id')) as string;
    expect(videoId).toMatch(/^[A-Za-z0-9_-]+$/);
    await shot(page, 'upload');
    await axeCheck(page, 'upload');
    const video = (await (await fetch(`${base}/v1/videos/${videoId}`)).json()) as { title: string; status: string };
    expect(video).toMatchObject({ title, status: 'ready' });
  });

  const playFor = async (p: Page, seconds: number) => {
    await p.getByTestId('player').waitFor();
    await p.waitForFunction('document.querySelector("video").readyState >= 2 || !document.querySelector(".player-error").hidden', null, {
      timeout: 30_000,
    });
    if ((await p.evaluate('document.querySelector("video").paused')) === true) await p.getByTestId('play').click();
    await p.waitForFunction(
      `document.querySelector("video").currentTime >= ${seconds} || !document.querySelector(".player-error").hidden`,
      null,
      { timeout: 45_000 },
    );
    expect(await p.evaluate('document.querySelector(".player-error").textContent')).toBe('');
    expect((await p.evaluate('document.querySelector("video").currentTime')) as number).toBeGreaterThanOrEqual(seconds);
  };

  it('plays it on the watch page, with a quality menu and storyboard previews', async () => {
    await page.getByRole('link', { name: 'Watch' }).click();
    await page.waitForURL(`${base}/watch/${videoId}`);
    await playFor(page, 5);
    const qualities = (await page.evaluate('[...document.querySelectorAll(".player-select select")][0].options.length')) as number;
    expect(qualities).toBeGreaterThan(1); // Auto + at least one rendition
    const seek = page.getByRole('slider', { name: 'Seek' });
    const box = await seek.boundingBox();
    if (box) await page.mouse.move(box.x + box.width / 3, box.y + box.height / 2);
    await page.waitForFunction(
      '!document.querySelector(".preview").hidden && document.querySelector(".preview-img").style.backgroundImage.includes("storyboard.jpg")',
    );
    await shot(page, 'watch');
    await axeCheck(page, 'watch');
  });

  it('requires encryption from the manage page and still plays it, fetching keys with a playback token', async () => {
    await page.goto(`${base}/manage/${videoId}`);
    await page.getByTestId('encryption').selectOption('aes-128,cenc');
    await page.getByTestId('save').click();
    await page.getByText('Saved').waitFor();
    const stored = (await (await fetch(`${base}/v1/videos/${videoId}`)).json()) as { encryption: unknown };
    expect(stored.encryption).toEqual({ schemes: ['aes-128', 'cenc'] });
    expect((await fetch(`${base}/v1/videos/${videoId}/v240/s4000/0.m4s`)).status).toBe(403); // clear media refused
    const keys: string[] = [];
    const onRequest = (r: { url(): string }) => {
      if (r.url().includes('/keys/')) keys.push(r.url());
    };
    page.on('request', onRequest);
    await page.goto(`${base}/watch/${videoId}`);
    await playFor(page, 2);
    page.off('request', onRequest);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((u) => /\/keys\/k\d+\?token=/.test(u))).toBe(true);
    const src = (await page.evaluate(
      'performance.getEntriesByType("resource").map((e) => e.name).find((n) => n.includes("master.m3u8"))',
    )) as string;
    expect(src).toContain('encryption=aes-128');
    // DASH-only encryption: the page says why it cannot play it here
    const updated = await fetch(`${base}/v1/videos/${videoId}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ encryption: { schemes: ['cenc'] } }),
    });
    expect(updated.status).toBe(200);
    await page.goto(`${base}/watch/${videoId}`);
    await page.getByTestId('encrypted-only').waitFor();
    // back to clear for the steps below
    await page.goto(`${base}/manage/${videoId}`);
    await page.getByTestId('encryption').selectOption('');
    await page.getByTestId('save').click();
    await page.getByText('Saved').waitFor();
    expect(((await (await fetch(`${base}/v1/videos/${videoId}`)).json()) as { encryption: unknown }).encryption).toBeNull();
  });

  it('finds it by search in the library', async () => {
    await page.getByRole('link', { name: 'Library' }).click();
    const search = page.getByTestId('search');
    await search.fill(title.split(' ').slice(-1)[0] as string);
    await page.waitForSelector(`[data-testid=video-card][data-id="${videoId}"][data-status=ready]`);
    expect(await page.getByTestId('video-card').count()).toBe(1);
    await page.waitForFunction(`document.querySelector('[data-testid=video-card] img')?.complete`);
    await shot(page, 'library');
    await axeCheck(page, 'library');
    await search.fill('zzzz-nothing-like-this');
    await page.getByText('No videos match.').waitFor();
    expect(await page.getByTestId('video-card').count()).toBe(0);
  });

  it('makes it private and still plays it for its owner', async () => {
    await page.goto(`${base}/manage/${videoId}`);
    await page.getByTestId('visibility').selectOption('private');
    await page.getByTestId('save').click();
    await page.getByText('Saved').waitFor();
    expect((await fetch(`${base}/v1/videos/${videoId}`)).status).toBe(404); // anonymous: hidden
    expect(await page.getByTestId('hls-url').inputValue()).toBe(`${base}/v1/videos/${videoId}/hls/master.m3u8`);
    await shot(page, 'manage');
    await axeCheck(page, 'manage');
    await page.goto(`${base}/watch/${videoId}`);
    await playFor(page, 2);
    // the playback token rides the manifest URL, not the user's token
    const src = (await page.evaluate(
      'performance.getEntriesByType("resource").map((e) => e.name).find((n) => n.includes("master.m3u8"))',
    )) as string;
    expect(src).toContain('token=');
    expect(src).not.toContain(token);
  });

  it('tells an anonymous visitor clearly that the private video is not available', async () => {
    const anonymous = await browser.newContext({ viewport: { width: 390, height: 844 }, bypassCSP: true }); // a phone
    const tab = await anonymous.newPage();
    await tab.goto(`${base}/watch/${videoId}`);
    await tab.getByTestId('unavailable').waitFor();
    expect(await tab.getByRole('heading', { level: 1 }).textContent()).toBe('This video is not available');
    expect(await tab.getByTestId('unavailable').textContent()).toContain('If it is yours, sign in to watch it.');
    expect(await tab.getByTestId('player').count()).toBe(0);
    await shot(tab, 'watch-anonymous-phone');
    await axeCheck(tab, 'watch (anonymous)');
    // the library on a phone: one column, nothing wider than the screen
    await tab.goto(`${base}/`);
    await tab
      .getByText(/video|No videos/)
      .first()
      .waitFor();
    expect((await tab.evaluate('document.documentElement.scrollWidth')) as number).toBeLessThanOrEqual(390);
    await shot(tab, 'library-phone');
    await anonymous.close();
  });

  it('shows the webhook deliveries', async () => {
    await expect.poll(() => received.some((body) => body.includes(videoId)), { timeout: 30_000 }).toBe(true);
    await page.goto(`${base}/webhooks`);
    await page.getByText('Deliveries').click();
    await page.getByRole('table').waitFor();
    expect(await page.getByRole('row').count()).toBeGreaterThan(1);
    await shot(page, 'webhooks');
    await axeCheck(page, 'webhooks');
  });

  it('deletes it after confirmation', async () => {
    await page.goto(`${base}/manage/${videoId}`);
    await page.getByTestId('delete').click();
    await page.getByRole('dialog').waitFor();
    await page.getByRole('button', { name: 'Cancel' }).click();
    expect((await fetch(`${base}/v1/videos/${videoId}`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    await page.getByTestId('delete').click();
    await page.getByTestId('confirm').click();
    await page.waitForURL(`${base}/`);
    expect((await fetch(`${base}/v1/videos/${videoId}`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(404);
  });

  it('continues an upload interrupted by a page reload when the same file is chosen again', async () => {
    const big = path.join(dir, 'Reloaded.mp4');
    await run('ffmpeg', [
      ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25:duration=6', '-c:v', 'libx264'],
      ...['-preset', 'ultrafast', '-b:v', '4M', '-pix_fmt', 'yuv420p', big],
    ]);
    const tab = page; // signed in (the token is in this tab's sessionStorage)
    const cdp = await context.newCDPSession(tab);
    // a slow uplink (about 400 KB/s), so that the reload lands in the middle of the upload
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 400 * 1024,
    });
    await tab.goto(`${base}/upload`);
    await tab.getByTestId('upload-input').setInputFiles(big);
    await tab.waitForFunction('Number(document.querySelector("[data-testid=upload-item] progress")?.value) >= 15', null, {
      timeout: 30_000,
    });
    const first = (await tab.getByTestId('upload-item').getAttribute('data-id')) as string;
    await tab.reload();
    await tab.getByText('Interrupted uploads').waitFor();
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await tab.getByTestId('upload-input').setInputFiles(big);
    const item = tab.getByTestId('upload-item');
    await item.getByText('continuing an earlier upload').waitFor();
    expect(await item.getAttribute('data-id')).toBe(first); // the same video, not a new one
    await tab.waitForSelector('[data-testid=upload-item][data-state=ready]', { timeout: 120_000 });
    await cdp.detach();
  });
});
