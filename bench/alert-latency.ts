// `npm run bench:latency [-- --calls 20]`: on the embedded stack (`trailwatch local`), the time
// trailwatch itself adds on each alert path: from a failed call reaching it (PutEvents answered by the
// local bus; a log file's upload answered by the local S3) to its alert being handed to SNS. The AWS
// part before that is CloudTrail's delivery (to EventBridge within seconds, best effort; log files
// about every 5 minutes), which no local measurement can stand in for.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startLocalStack } from '../local/stack';
import { runTwoPathsDemo } from '../local/two-paths-demo';

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function main(): Promise<void> {
  const k = process.argv.indexOf('--calls');
  const calls = Number(k >= 0 ? process.argv[k + 1] : '20');
  if (!(calls >= 1)) throw new Error('usage: npm run bench:latency [-- --calls 20]');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trailwatch-latency-'));
  const stack = await startLocalStack({ dataDir: dir, persistTables: false });
  const results: Record<'eventbridge' | 's3', number[]> = { eventbridge: [], s3: [] };
  try {
    for (let i = 0; i < calls; i++) {
      // What `npm start` shows, once per round: a call on the bus, then a log file with it and one
      // call the bus never had. Each round its own callers: noise control would otherwise hold back
      // all but the first.
      const alerts = await runTwoPathsDemo(stack, `bench-${i}`);
      for (const path of ['eventbridge', 's3'] as const) {
        const found = alerts.filter((a) => a.path === path);
        if (found.length !== 1) throw new Error(`${path}: ${found.length} alerts for one call`);
        results[path].push(found[0]?.trailwatchMs ?? NaN);
      }
    }
  } finally {
    await stack.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `trailwatch's own time from arrival to the alert's publish, ${calls} failed calls per path (ms):`,
  );
  console.log('| path        | p50 | p90 | max |');
  console.log('| ----------- | --: | --: | --: |');
  for (const [name, values] of Object.entries(results)) {
    const sorted = [...values].sort((a, b) => a - b);
    console.log(
      `| ${name.padEnd(11)} | ${percentile(sorted, 50)} | ${percentile(sorted, 90)} | ${sorted[sorted.length - 1]} |`,
    );
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
