// Build stage, after `npm run build`: puts into the directory given what the final image needs
// besides its production node_modules. Two cases:
// - the production build exists (origin, encoder and edge each have dist/main.js): every
//   workspace's dist/ goes in, and nothing else (no sources, no dev dependencies);
// - it does not yet (`npm run build` only type-checks today): every workspace's src/ (tests left
//   out) and tsx with its own dependency closure from the lockfile, so `node --import tsx` runs.
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

const copy = (relative, filter) => {
  const from = path.join(root, relative);
  if (!fs.existsSync(from)) return;
  fs.cpSync(from, path.join(out, relative), { recursive: true, filter: filter ?? (() => true) });
};

fs.mkdirSync(out, { recursive: true });
const services = ['origin', 'encoder', 'edge'];
const built = services.every((s) => fs.existsSync(path.join(root, s, 'dist', 'main.js')));
if (built) {
  for (const ws of workspaces) copy(path.join(ws, 'dist'));
  console.warn(`collect-runtime: dist/ of ${workspaces.length} workspaces (node <service>/dist/main.js)`);
} else {
  const notTest = (file) => !/\.test\.ts$/.test(file) && !file.split(path.sep).includes('testdata');
  for (const ws of workspaces) copy(path.join(ws, 'src'), notTest);
  // tsx and what it needs, resolved as Node resolves them (nested node_modules first).
  const needed = new Set();
  const visit = (key) => {
    if (needed.has(key)) return;
    const entry = lock.packages[key];
    if (!entry) return;
    needed.add(key);
    for (const name of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) {
      let dir = key;
      for (;;) {
        const candidate = `${dir}/node_modules/${name}`;
        if (lock.packages[candidate] && fs.existsSync(path.join(root, candidate))) {
          visit(candidate);
          break;
        }
        const up = dir.lastIndexOf('/node_modules/');
        if (up < 0) {
          if (lock.packages[`node_modules/${name}`] && fs.existsSync(path.join(root, 'node_modules', name))) visit(`node_modules/${name}`);
          break;
        }
        dir = dir.slice(0, up);
      }
    }
  };
  visit('node_modules/tsx');
  for (const key of needed) copy(key);
  console.warn(
    `collect-runtime: no dist/main.js for ${services.filter((s) => !fs.existsSync(path.join(root, s, 'dist', 'main.js'))).join(', ')}; ` +
      `shipping sources and tsx (${needed.size} packages) instead: node --import tsx <service>/src/main.ts`,
  );
}
