#!/usr/bin/env node
// The installed `trailwatch` command (package.json `bin`): compiled to dist/trailwatch.js by
// `npm run build`, so starting it compiles nothing. cli/bin.js runs the same CLI from the sources.
import { main } from './main';

// trailwatch supports Node.js 20 (engines); the SDK's multi-line notice about it would land in the
// middle of command output, so it is off unless the user sets the variable themselves. Commands load
// the SDK lazily, after this line.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // The reader of stdout went away (`| head`): the command ended early; its remaining work
  // (a query page in flight) has nowhere to go.
  if (process.stdout.destroyed) process.exit(code);
});
