#!/usr/bin/env node
// Runs the `trailwatch` CLI from its TypeScript sources through tsx, with no build: what the tests
// spawn and what a developer runs while editing (`node cli/bin.js ...`). The installed command is the
// compiled dist/trailwatch.js (package.json `bin`, built by `npm run build`).
'use strict';
// Imported TypeScript through tsx's loaders: main.ts loads each command with import(), which Node
// hands to its ESM loader, so both the CommonJS and the ESM hooks are needed (`tsx/esm/api`'s CommonJS
// build resolves its hook file wrongly in tsx 4, hence the dynamic import of its ESM build).
require('tsx/cjs');
import('tsx/esm/api')
  .then((tsx) => {
    tsx.register();
    return require('./trailwatch.ts');
  })
  .catch((err) => {
    process.stderr.write(`trailwatch: cannot load the TypeScript sources: ${err.message}\n`);
    process.exitCode = 1;
  });
