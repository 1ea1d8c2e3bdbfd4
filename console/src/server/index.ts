// The web console's assets, built in memory by esbuild when the origin mounts the console: no
// build step to remember, never stale, about 100 ms of esbuild at start. The app (plain TypeScript
// and one CSS file) is bundled, minified and named by content hash; hls.js is served as shipped and
// loaded only by the watch page; index.html is the one page of the history-API router.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const appDir = path.resolve(import.meta.dirname, '../app');

/** Where the console's assets are served from (below the origin's root). */
export const ASSET_PREFIX = '/console/assets/';

export interface ConsoleAsset {
  body: Buffer;
  type: string;
  etag: string;
}

export interface ConsoleBundle {
  /** By file name below ASSET_PREFIX. */
  assets: Map<string, ConsoleAsset>;
  /** index.html for every console page. */
  html: string;
  /** Bytes of what the first page load fetches (main script + style), raw and gzipped. */
  size: { bytes: number; gzip: number };
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

function asset(body: Buffer, name: string): ConsoleAsset {
  return {
    body,
    type: TYPES[path.extname(name)] ?? 'application/octet-stream',
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
  };
}

/** Bundles the app. `minify: false` keeps it readable (debugging). */
export async function buildConsole(options: { minify?: boolean } = {}): Promise<ConsoleBundle> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [path.join(appDir, 'main.ts')],
    bundle: true,
    minify: options.minify ?? true,
    format: 'esm',
    splitting: true,
    chunkNames: '[name]-[hash]',
    platform: 'browser',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    write: false,
    outdir: '/out',
    entryNames: '[name]-[hash]',
    legalComments: 'none',
    logLevel: 'silent',
    metafile: true,
  });
  const assets = new Map<string, ConsoleAsset>();
  const { gzipSync } = await import('node:zlib');
  for (const file of result.outputFiles) {
    const name = path.basename(file.path);
    assets.set(name, asset(Buffer.from(file.contents), name));
  }
  // What the first page load fetches: the entry, the chunks it imports statically, its style.
  const outputs = result.metafile.outputs;
  const entry = Object.keys(outputs).find((key) => outputs[key]?.entryPoint && key.endsWith('.js')) ?? '';
  const first = new Set<string>();
  const visit = (key: string) => {
    if (first.has(key) || !outputs[key]) return;
    first.add(key);
    for (const imported of outputs[key].imports) if (imported.kind === 'import-statement') visit(imported.path);
  };
  visit(entry);
  const style = path.basename(outputs[entry]?.cssBundle ?? '');
  const script = path.basename(entry);
  const preloads = [...first].map((key) => path.basename(key)).filter((name) => name !== script);
  let bytes = 0;
  let gzip = 0;
  for (const name of [script, ...preloads, style]) {
    const body = assets.get(name)?.body;
    if (!body) continue;
    bytes += body.length;
    gzip += gzipSync(body).length;
  }
  // hls.js as its authors ship it (minified UMD, sets window.Hls), named by version for caching.
  const hlsPath = require.resolve('hls.js/dist/hls.min.js');
  const hlsVersion = (JSON.parse(await readFile(path.resolve(path.dirname(hlsPath), '../package.json'), 'utf8')) as { version: string })
    .version;
  const hlsName = `hls-${hlsVersion}.min.js`;
  assets.set(hlsName, asset(await readFile(hlsPath), hlsName));
  const icon =
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#1b4dd8"/><path d="M12 9l12 7-12 7z" fill="#fff"/></svg>';
  assets.set('icon.svg', asset(Buffer.from(icon), 'icon.svg'));
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>vought</title>
<link rel="icon" href="${ASSET_PREFIX}icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${ASSET_PREFIX}${style}">
<script type="module" src="${ASSET_PREFIX}${script}"></script>
${preloads.map((name) => `<link rel="modulepreload" href="${ASSET_PREFIX}${name}">`).join('\n')}
</head>
<body data-hls="${ASSET_PREFIX}${hlsName}">
<a class="skip" href="#main">Skip to content</a>
<div id="app"><noscript>The vought console needs JavaScript. The API is at <a href="/docs">/docs</a>.</noscript></div>
</body>
</html>
`;
  return { assets, html, size: { bytes, gzip } };
}

let built: Promise<ConsoleBundle> | undefined;

/** The bundle, built once per process (the first call starts the build). */
export function consoleBundle(): Promise<ConsoleBundle> {
  built ??= buildConsole().catch((error: unknown) => {
    built = undefined; // a later request tries again
    throw error;
  });
  return built;
}

/**
 * Paths the console answers with index.html (history-API routes). Fixed prefixes only, so it never
 * shadows the API, delivery, health, metrics, docs or /.well-known: those are all elsewhere.
 */
export const CONSOLE_PAGES = ['/', '/upload', '/sign-in', '/callback', '/webhooks', '/watch/:id', '/manage/:id', '/embed/:id'] as const;
