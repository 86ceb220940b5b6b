#!/usr/bin/env node
// Entry point of the `trailwatch` command: runs the TypeScript CLI through tsx so that
// `npx trailwatch` works right after `npm ci`, with no build step.
'use strict';
require('tsx/cjs');
require('./main.ts')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
