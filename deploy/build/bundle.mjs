// The production build of a service: `node ../deploy/build/bundle.mjs` in origin/, encoder/ or edge/
// (their `build` script), or `node deploy/build/bundle.mjs origin encoder edge` from the root.
// Writes <service>/dist/main.js (+ main.js.map): plain JavaScript that `node <service>/dist/main.js`
// runs without tsx or any dev dependency.
//
// Why esbuild bundles and not `tsc` emitting every workspace to dist/: workspaces export their
// TypeScript sources (`"exports": {".": "./src/index.ts"}`), which is what lets `npm start`, vitest
// and the type check run on a fresh clone with no build step. A per-workspace tsc emit would pull
// every sibling's sources into each program (tsc's rootDir error) unless every package switched to
// project references and conditional exports that tsx, vitest and tsc would all have to be taught.
// A bundle leaves all of that as it is: each service's main.ts and the @vought/* code it imports
// become one ES module, npm packages stay external (`import 'hono'`, resolved from node_modules as
// installed by `npm ci --omit=dev`). One file also starts faster than ~250 modules resolved and
// loaded one by one (figures in docs/deploy.md). Type checking stays tsc's job (`turbo run typecheck`,
// which `npm run build` runs first): esbuild only strips types.
//
// Checked here, so a service cannot depend on the dev install at run time: every npm package a
// bundle imports must be a production dependency (dependencies, optionalDependencies or
// peerDependencies) of the workspace whose code imports it.
//
// Code that finds files next to its own source (`import.meta.dirname`, `.url`, `.filename`) keeps
// finding them there: those expressions are rewritten to the source file's location relative to the
// bundle. The one runtime user is the web console (console/src/server), which bundles the browser
// app in console/src/app when the origin mounts it; the image ships that directory
// (deploy/docker/collect-runtime.mjs).

import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const repo = path.resolve(import.meta.dirname, '../..');

/** Workspace directories (absolute) and their package.json, from the root's `workspaces` globs. */
function workspaces() {
  const root = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
  const dirs = root.workspaces.flatMap((pattern) => {
    if (!pattern.endsWith('/*')) return [path.join(repo, pattern)];
    const parent = path.join(repo, pattern.slice(0, -2));
    return fs.readdirSync(parent).map((name) => path.join(parent, name));
  });
  return dirs
    .filter((dir) => fs.existsSync(path.join(dir, 'package.json')))
    .map((dir) => ({ dir, manifest: JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) }));
}

const packageName = (specifier) => {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
};
const builtins = new Set(builtinModules);

/** npm packages external, @vought/* bundled; records who imports what for the dependency check. */
function externalPackages(imports) {
  return {
    name: 'vought-external-packages',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith('node:') || builtins.has(args.path)) return { path: args.path, external: true };
        if (args.path.startsWith('@vought/')) return undefined; // a workspace: bundled from its sources
        const name = packageName(args.path);
        const list = imports.get(name) ?? new Map();
        imports.set(name, list);
        if (list.get(args.importer) !== 'import-statement') list.set(args.importer, args.kind);
        return { path: args.path, external: true };
      });
    },
  };
}

/** import.meta.url/dirname/filename of a bundled module keep naming its source file. */
function sourceLocations(outdir) {
  return {
    name: 'vought-source-locations',
    setup(build) {
      build.onLoad({ filter: /\.[cm]?[jt]s$/ }, async (args) => {
        if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        const text = await fs.promises.readFile(args.path, 'utf8');
        if (!/import\.meta\.(url|dirname|filename)\b/.test(text)) return undefined;
        const relative = JSON.stringify(path.relative(outdir, args.path).split(path.sep).join('/'));
        const url = `new URL(${relative}, import.meta.url)`;
        const contents = text.replace(/import\.meta\.(url|dirname|filename)\b/g, (_, what) => {
          if (what === 'url') return `${url}.href`;
          if (what === 'filename') return `__voughtFileURLToPath(${url})`;
          return `__voughtPath.dirname(__voughtFileURLToPath(${url}))`;
        });
        return { contents, loader: path.extname(args.path).slice(1).replace(/^[cm]/, '') };
      });
    },
  };
}

/** Bundles `<workspace>/src/main.ts` to `<workspace>/dist/main.js`. Returns what it wrote. */
export async function bundleService(workspaceDir, options = {}) {
  const dir = path.resolve(workspaceDir);
  const entry = path.join(dir, 'src', 'main.ts');
  if (!fs.existsSync(entry)) throw new Error(`${path.relative(repo, entry)}: no such entry point`);
  const finalDir = options.outdir ?? path.join(dir, 'dist');
  // Built beside dist/ (same depth: the relative paths written into the bundle hold), then swapped
  // in, so a process starting meanwhile or a concurrent build never sees half a bundle.
  const outdir = `${finalDir}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const imports = new Map();
  const started = performance.now();
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile: path.join(outdir, 'main.js'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Linked source maps without the sources' text: stack traces name the .ts file and line when
    // Node runs with --enable-source-maps (the image sets it), and the map stays small.
    sourcemap: 'linked',
    sourcesContent: false,
    // Not minified: a stack trace without the map is still readable code.
    minify: false,
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
    banner: {
      js: [
        '// Built by deploy/build/bundle.mjs from src/main.ts and the @vought/* sources it imports; do not edit.',
        "import { fileURLToPath as __voughtFileURLToPath } from 'node:url';",
        "import __voughtPath from 'node:path';",
      ].join('\n'),
    },
    plugins: [externalPackages(imports), sourceLocations(outdir)],
  });
  let warnings;
  try {
    warnings = checkProductionDependencies(imports);
  } catch (error) {
    fs.rmSync(outdir, { recursive: true, force: true });
    throw error;
  }
  for (let attempt = 0; ; attempt++) {
    fs.rmSync(finalDir, { recursive: true, force: true });
    try {
      fs.renameSync(outdir, finalDir);
      break;
    } catch (error) {
      // another build put its dist/ there between our rm and rename: replace it
      if (attempt > 5 || !['ENOTEMPTY', 'EEXIST'].includes(error.code)) throw error;
    }
  }
  const file = path.join(finalDir, 'main.js');
  return {
    file,
    bytes: fs.statSync(file).size,
    modules: Object.keys(result.metafile.inputs).length,
    packages: [...imports.keys()].sort(),
    warnings,
    ms: Math.round(performance.now() - started),
  };
}

/**
 * Every external package is a production dependency of the workspace whose code imports it. A
 * dev dependency loaded only by a dynamic `import()` (a development-only command such as the CLI's
 * `cluster`, which imports pg) is a warning: the bundle runs until that path is taken.
 */
function checkProductionDependencies(imports) {
  const all = workspaces().sort((a, b) => b.dir.length - a.dir.length);
  const problems = [];
  const warnings = [];
  for (const [name, importers] of imports) {
    for (const [importer, kind] of importers) {
      const owner = all.find((ws) => importer.startsWith(ws.dir + path.sep));
      if (!owner) {
        problems.push(`${name}: imported by ${path.relative(repo, importer)}, outside every workspace`);
        continue;
      }
      const m = owner.manifest;
      const declared = { ...m.dependencies, ...m.optionalDependencies, ...m.peerDependencies };
      if (!(name in declared)) {
        const dev = Boolean(m.devDependencies && name in m.devDependencies);
        const where = dev ? 'a devDependency' : 'not a dependency';
        const line = `${name}: imported by ${path.relative(repo, importer)}, ${where} of ${m.name} (production images omit it)`;
        if (dev && kind === 'dynamic-import') warnings.push(`${line}; only by import(), so only that path needs the dev install`);
        else problems.push(line);
      }
    }
  }
  if (problems.length) throw new Error(`production build: undeclared run-time dependencies\n  ${problems.join('\n  ')}`);
  return warnings;
}

// CLI: workspace directories as arguments, or the current directory.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const targets = process.argv.length > 2 ? process.argv.slice(2) : [process.cwd()];
  try {
    for (const target of targets) {
      const built = await bundleService(path.resolve(target));
      console.warn(
        `${path.relative(repo, built.file)}: ${(built.bytes / 1024).toFixed(0)} KiB, ${built.modules} modules, ` +
          `${built.packages.length} npm packages external, ${built.ms} ms`,
      );
      for (const warning of built.warnings) console.warn(`  warning: ${warning}`);
    }
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
