// `npm run build -w console`: writes the bundle to console/build/ (to look at, or to serve from a
// CDN) and prints its size. The origin does not need it: it builds the same bundle in memory.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildConsole } from './index.ts';

const out = path.resolve(import.meta.dirname, '../../build');
const bundle = await buildConsole();
await rm(out, { recursive: true, force: true });
await mkdir(path.join(out, 'assets'), { recursive: true });
await writeFile(path.join(out, 'index.html'), bundle.html);
for (const [name, asset] of bundle.assets) await writeFile(path.join(out, 'assets', name), asset.body);
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
process.stdout.write(
  `console: ${out}\n  app (script + style): ${kb(bundle.size.bytes)} minified, ${kb(bundle.size.gzip)} gzipped\n` +
    [...bundle.assets].map(([name, a]) => `  ${name}  ${kb(a.body.length)}`).join('\n') +
    '\n',
);
