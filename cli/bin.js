#!/usr/bin/env node
// Entry point of the `trailwatch` command: runs the TypeScript CLI through tsx so that
// `npx trailwatch` works right after `npm ci`, with no build step.
'use strict';
// trailwatch supports Node.js 20 (engines); the SDK's multi-line notice about it would land in the middle
// of command output, so it is off unless the user sets the variable themselves.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs');
// main.ts loads each command with import(), which Node hands to its ESM loader: tsx must hook that
// loader too (tsx 4's CommonJS build of `tsx/esm/api` resolves its hook file wrongly, so load the ESM build).
import('tsx/esm/api')
  .then((tsx) => {
    tsx.register();
    return require('./main.ts').main(process.argv.slice(2));
  })
  .then((code) => {
    process.exitCode = code;
    // The reader of stdout went away (`| head`): the command ended early; its remaining work
    // (a query page in flight) has nowhere to go.
    if (process.stdout.destroyed) process.exit(code);
  });
