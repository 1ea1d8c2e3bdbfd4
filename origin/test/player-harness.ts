// What the Chromium player tests share: whether Chromium and ffmpeg are here (required in CI), the
// player libraries from node_modules, and a page server on another origin than the media (CORS is
// part of what is proven) on localhost, a secure context, which EME requires.
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { hasTool } from './harness.ts';

const require = createRequire(import.meta.url);
const CHROMIUM = '/usr/bin/chromium';

/** Chromium and ffmpeg are installed; throws in CI when they are not (the player tests must run there). */
export async function playersReady(): Promise<boolean> {
  const ready = existsSync(CHROMIUM) && (await hasTool('ffmpeg'));
  if (!ready && process.env.CI === 'true')
    throw new Error('Chromium (/usr/bin/chromium) and ffmpeg are required for the player tests in CI');
  return ready;
}

// dashjs exports no package.json: find node_modules through hls.js, which sits beside it.
const modules = path.resolve(path.dirname(require.resolve('hls.js/dist/hls.min.js')), '../..');
const libs: Record<string, string> = {
  '/hls.js': require.resolve('hls.js/dist/hls.min.js'),
  '/dash.js': path.join(modules, 'dashjs/dist/modern/umd/dash.all.min.js'),
  '/shaka.js': path.join(modules, 'shaka-player/dist/shaka-player.compiled.js'),
};

/** The start of a test page: one muted <video id="v">, the three players' scripts, `q` (the page's query) and `video`. */
export const PAGE_HEAD = `<!doctype html><html><body><video id="v" muted playsinline width="640" height="360"></video>
<script src="/hls.js"></script><script src="/dash.js"></script><script src="/shaka.js"></script>
<script>
const q = new URLSearchParams(location.search);
const video = document.getElementById('v');`;

export interface PlayerPage {
  /** The page's URL (http://localhost:PORT/); add ?player=...&src=... */
  url: string;
  browser: Browser;
  close(): Promise<void>;
}

/** Serves `html` (which loads /hls.js, /dash.js and /shaka.js) and launches headless Chromium. */
export async function startPlayerPage(html: string): Promise<PlayerPage> {
  const server = http.createServer(async (req, res) => {
    const file = libs[new URL(req.url ?? '/', 'http://x').pathname];
    if (file) {
      res.setHeader('content-type', 'text/javascript');
      res.end(await fs.readFile(file));
      return;
    }
    res.setHeader('content-type', 'text/html');
    res.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--autoplay-policy=no-user-gesture-required',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  return {
    url: `http://localhost:${(server.address() as AddressInfo).port}/`,
    browser,
    async close() {
      await browser.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
