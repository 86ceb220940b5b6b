// Part of `npm run build`: bundles the `trailwatch` command into dist/ with esbuild, from a clean
// folder so nothing stale ships. trailwatch's own modules (the workspace packages included, through
// tsconfig.json's `paths`) go into the bundle; every npm package stays a `require` of the installed
// package, and the build fails if one of them is not in `dependencies` (it would be missing where the
// app package is installed). The bundle is CommonJS, so each command's import() is a lazily run
// module, not a file read at start. Type checking is `npm run typecheck`'s job (tsc), not the build's.
'use strict';
const fs = require('node:fs');
const { builtinModules } = require('node:module');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.join(__dirname, '..');
const dist = path.join(root, 'dist');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
/** Packages the bundle may name without depending on them: tsx is only resolved when the sources run through it (local/s3-server.ts). */
const DEV_ONLY = new Set(['tsx']);
/** Data read by path at run time, copied to where the bundled code looks for it (beside dist/trailwatch.js). */
const ASSETS = { 'local/seeds': 'seeds' };

/** `@scope/name` or `name` of an import path such as `s3rver/lib/models/account`. */
function packageOf(importPath) {
  const parts = importPath.split('/');
  return importPath.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

async function build() {
  fs.rmSync(dist, { recursive: true, force: true });
  const result = await esbuild.build({
    absWorkingDir: root,
    // s3rver-child runs in a process of its own, forked by path from beside the bundle; parse-worker is
    // the worker thread `trailwatch parse` starts by path from beside it.
    entryPoints: {
      trailwatch: 'cli/trailwatch.ts',
      's3rver-child': 'local/s3rver-child.ts',
      'parse-worker': 'cli/parse-worker.ts',
    },
    outdir: dist,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    metafile: true,
    logLevel: 'warning',
  });
  const builtins = new Set(builtinModules);
  const undeclared = new Set();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const { path: imported, external } of output.imports) {
      if (!external || imported.startsWith('node:') || builtins.has(imported)) continue;
      const name = packageOf(imported);
      if (!(name in (pkg.dependencies ?? {})) && !DEV_ONLY.has(name)) undeclared.add(name);
    }
  }
  if (undeclared.size > 0) {
    throw new Error(`the command requires ${[...undeclared].join(', ')}, not in package.json dependencies`);
  }
  for (const [from, to] of Object.entries(ASSETS)) {
    fs.cpSync(path.join(root, from), path.join(dist, to), { recursive: true });
  }
  fs.chmodSync(path.join(root, pkg.bin.trailwatch), 0o755);
}

build().catch((err) => {
  process.stderr.write(`build: ${err.message}\n`);
  process.exitCode = 1;
});
