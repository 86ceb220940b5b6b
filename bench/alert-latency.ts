// `npm run bench:latency [-- --calls 20]`: on the embedded stack (`trailwatch local`), the time
// trailwatch itself adds on each alert path: from a failed call reaching it (PutEvents answered by the
// local bus; a log file's upload answered by the local S3) to its alert being handed to SNS. The AWS
// part before that is CloudTrail's delivery (to EventBridge within seconds, best effort; log files
// about every 5 minutes), which no local measurement can stand in for.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { failedStartJobRun } from '../local/api-call-sample';
import { startLocalStack } from '../local/stack';
import { alertsFor, deliverLogFile, putOnLocalBus } from '../local/two-paths-demo';

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
      // Each call its own caller: noise control would otherwise hold back all but the first.
      const viaBus = failedStartJobRun(new Date(), undefined, `bench-bus-${i}`);
      const t0 = Date.now();
      await putOnLocalBus(stack, [viaBus]);
      await stack.waitForApiCalls(i + 1);
      const viaFile = failedStartJobRun(new Date(), undefined, `bench-file-${i}`);
      const t1 = Date.now();
      await deliverLogFile(stack, [viaFile], `BENCH${i}`);
      for (const [record, path, at] of [
        [viaBus, 'eventbridge', t0],
        [viaFile, 's3', t1],
      ] as const) {
        const found = alertsFor(stack, String(record.eventID));
        if (found.length !== 1) throw new Error(`${path}: ${found.length} alerts for one call`);
        const sentAt = Date.parse(found[0]?.document.delivery?.sentAt ?? '');
        results[path].push(sentAt - at);
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
