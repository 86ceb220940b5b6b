// `npm run build:cli`: compiles the `trailwatch` command into dist/ (tsconfig.build.json) from a clean
// folder, so a renamed or deleted source never leaves a stale file in the package, then adds the data
// files the compiled code reads at run time and makes the command executable.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const dist = path.join(root, 'dist');
/** Folders of data files read (by path) by compiled modules, copied beside them. */
const ASSETS = ['test/fixtures/seeds'];
const BIN = 'dist/cli/trailwatch.js';

fs.rmSync(dist, { recursive: true, force: true });
const tsc = spawnSync(
  process.execPath,
  [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
if (tsc.status !== 0) {
  process.stderr.write('build: tsc -p tsconfig.build.json failed\n');
  process.exit(tsc.status ?? 1);
}
for (const folder of ASSETS) {
  fs.cpSync(path.join(root, folder), path.join(dist, folder), { recursive: true });
}
fs.chmodSync(path.join(root, BIN), 0o755);
