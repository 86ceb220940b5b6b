// `npm run build:cli`: bundles the `trailwatch` command into dist/ with esbuild, from a clean folder so
// nothing stale ships. Our own modules (the workspace packages included, through tsconfig.json's
// `paths`) go into the bundle; every npm dependency stays a `require` of the installed package. The
// bundle is CommonJS, so each command's import() is a lazily run module, not a file read at start.
// Type checking is `npm run typecheck`'s job (tsc), not the build's.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.join(__dirname, '..');
const dist = path.join(root, 'dist');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
/**
 * npm packages stay external: the installed package gets them from its own dependencies. tsx is only
 * resolved when the sources run through it (local/s3-server.ts), never by the bundle.
 */
const external = [...Object.keys(pkg.dependencies ?? {}), 'tsx'];
/** Data read by path at run time, copied to where the bundled code looks for it (beside dist/trailwatch.js). */
const ASSETS = { 'test/fixtures/seeds': 'seeds' };

async function build() {
  fs.rmSync(dist, { recursive: true, force: true });
  await esbuild.build({
    absWorkingDir: root,
    // s3rver-child runs in a process of its own, forked by path from beside the bundle.
    entryPoints: { trailwatch: 'cli/trailwatch.ts', 's3rver-child': 'local/s3rver-child.ts' },
    outdir: dist,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external,
    logLevel: 'warning',
  });
  for (const [from, to] of Object.entries(ASSETS)) {
    fs.cpSync(path.join(root, from), path.join(dist, to), { recursive: true });
  }
  fs.chmodSync(path.join(root, pkg.bin.trailwatch), 0o755);
}

build().catch((err) => {
  process.stderr.write(`build: ${err.message}\n`);
  process.exitCode = 1;
});
