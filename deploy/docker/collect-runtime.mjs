// Build stage, after `npm run build`: puts into the directory given what the final image needs
// besides its production node_modules (and the package.json files, copied apart):
// - every workspace's dist/: <service>/dist/main.js bundles (deploy/build/bundle.mjs) for origin,
//   encoder and edge, and the CLI's (the image's `token` command);
// - console/src/app: the web console's browser sources, which the origin bundles with esbuild (a
//   production dependency of the console) when it mounts the console.
// No other sources, no tsx, no dev dependencies. Fails when the build is missing.
import fs from 'node:fs';
import path from 'node:path';

const out = process.argv[2];
if (!out) {
  console.error('usage: node collect-runtime.mjs OUT_DIR');
  process.exit(64);
}
const root = process.cwd();
const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
const workspaces = Object.entries(lock.packages)
  .filter(([key, entry]) => key !== '' && !key.includes('node_modules') && entry.name?.startsWith('@vought/'))
  .map(([key]) => key);

const entries = ['origin', 'encoder', 'edge', 'cli'].map((s) => path.join(s, 'dist', 'main.js'));
const missing = entries.filter((file) => !fs.existsSync(path.join(root, file)));
if (missing.length) {
  console.error(`collect-runtime: ${missing.join(', ')} missing: run npm run build first`);
  process.exit(1);
}
const copy = (relative) => {
  const from = path.join(root, relative);
  if (fs.existsSync(from)) fs.cpSync(from, path.join(out, relative), { recursive: true });
};
fs.mkdirSync(out, { recursive: true });
const built = workspaces.filter((ws) => fs.existsSync(path.join(root, ws, 'dist')));
for (const ws of built) copy(path.join(ws, 'dist'));
copy(path.join('console', 'src', 'app'));
console.warn(`collect-runtime: dist/ of ${built.join(', ')}, and console/src/app (node <service>/dist/main.js)`);
