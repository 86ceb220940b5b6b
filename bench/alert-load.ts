// `npm run bench:alerts [-- --bookkeeping 10000 --latency-ms 5 --failures 150000 --repeated 3450000]`: the alert step under
// load (issues 15 case 6 and 19 item 2).
// 0. The heap a file's alert holds while it is built (AlertDelivery.begin, every failure added, before the
//    finish), `--collector` distinct failed calls, over a ledger that grants every claim: what it holds, counted.
// 1. Bookkeeping, in this process: `--bookkeeping` distinct failed calls alerted by AlertDelivery over the
//    DynamoDB ledger on dynalite (the publisher only counts), each request delayed by `--latency-ms` (5: a
//    DynamoDB round trip in the region): wall time and DynamoDB calls per operation.
// 2. The bundled handler, each file in a Lambda-like process of its own against the local stack: a file
//    with `--failures` distinct failed calls, and one with one failed record repeated `--repeated` times;
//    its own CPU (scaled to 0.58 vCPU, what Lambda gives 1,024 MB) and peak RSS. `--skip-handler` skips it.
// `--cpu-prof <dir>` writes each handler process's V8 CPU profile there (the bundle's .map beside it names
// the sources). Event claims go in transactions through bench/transactions-front.ts, as on DynamoDB; `--single-claims`
// sends both parts straight to dynalite, where the store finds no transactions and writes one claim a request.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AlertStateStore } from '../lambdas/adapters/alert-state-store';
import { alertStateTableDefinition } from '../lambdas/adapters/alert-state-table';
import { LOCAL_CREDENTIALS } from '../lambdas/adapters/aws-clients';
import { ensureTable } from '../lambdas/adapters/table-definitions';
import { AlertDelivery } from '../lambdas/core/alert-delivery';
import type { AlertLedger } from '../lambdas/core/alert-ports';
import { newLogStats, readLogEvents } from '../lambdas/core/log-events';
import type { NormalizedEvent } from '../lambdas/core/normalized-event';
import { startDynalite } from '../local/dynalite-server';
import { buildFunctionBundle, measureColdStarts, type BenchClaims } from './cold-start';
import { generateLogFile, generateRepeatedFailure } from './generate-log';
import { ProcessRunner } from './processes';
import { startTransactionsFront } from './transactions-front';

const MB = 1024 * 1024;
// Lambda gives a function CPU in proportion to its memory: one vCPU at 1,769 MB, so 0.58 at 1,024 MB.
const SHARE_AT_1024 = 1024 / 1769;

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const value = Number(i >= 0 ? process.argv[i + 1] : fallback);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(
      `usage: npm run bench:alerts [-- --collector 40000] [--bookkeeping 10000] [--latency-ms 5] [--failures 150000] [--repeated 3450000] [--skip-handler] [--single-claims] [--cpu-prof dir]; ${name} must be a whole number`,
    );
  }
  return value;
}

async function failuresOf(file: string): Promise<NormalizedEvent[]> {
  const failures: NormalizedEvent[] = [];
  for await (const event of readLogEvents(fs.createReadStream(file), newLogStats())) {
    if (event.failed) failures.push(event);
  }
  return failures;
}

// A ledger that grants every claim and stores nothing: the heap measured is the alert side's alone.
const grantingLedger = {
  claimEvents: async (ids: readonly string[]) => ({
    claimed: new Map(ids.map((id) => [id, {}])),
    final: new Map(),
    held: new Map(),
    heldFor: new Map(),
    heldBy: new Map(),
  }),
  messageRecord: async () => undefined,
} as unknown as AlertLedger;

// The heap a file's alert holds while it is built, before its finish (needs --expose-gc).
async function collectorHeap(dir: string, count: number): Promise<void> {
  const file = path.join(dir, `collector-${count}.json.gz`);
  await generateLogFile(file, Number.POSITIVE_INFINITY, 1, 46, 1, count);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('the collector measurement needs node --expose-gc');
  const delivery = new AlertDelivery({ ledger: grantingLedger, publisher: { publish: async () => 'm' } });
  gc();
  const before = process.memoryUsage().heapUsed;
  const alerts = delivery.begin({ bucket: 'bench', key: 'collector.json.gz' });
  let failures = 0;
  for await (const event of readLogEvents(fs.createReadStream(file), newLogStats())) {
    if (!event.failed) continue;
    failures += 1;
    await alerts.add(event);
  }
  gc();
  const bytes = process.memoryUsage().heapUsed - before;
  const sum = (counts: Partial<Record<string, number>>): number =>
    Object.values(counts).reduce<number>((a, b) => a + (b ?? 0), 0);
  const held = alerts.holdings;
  console.log(
    `alert side of one file: ${failures} failures added; holds ${sum(held.held)} whole, ${sum(held.chunk)} in a chunk, ` +
      `${sum(held.kinds)} overflow kinds: ${(bytes / MB).toFixed(1)} MB of heap`,
  );
}

async function bookkeeping(
  dir: string,
  count: number,
  latencyMs: number,
  claims: BenchClaims,
): Promise<void> {
  const file = path.join(dir, `bookkeeping-${count}.json.gz`);
  await generateLogFile(file, Number.POSITIVE_INFINITY, 1, 44, 1, count);
  const failures = (await failuresOf(file)).slice(0, count);
  const dynalite = await startDynalite();
  const front = claims === 'transactions' ? await startTransactionsFront(dynalite.endpoint) : undefined;
  const client = new DynamoDBClient({
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
    endpoint: front?.endpoint ?? dynalite.endpoint,
  });
  const calls = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      calls.set(name, (calls.get(name) ?? 0) + 1);
      // The round trip to DynamoDB in the same region, which dynalite on this machine does not have.
      if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
      return next(args);
    },
    { step: 'initialize', name: 'benchCallCounter' },
  );
  try {
    const tableName = 'bench-alert-state';
    await ensureTable(client, alertStateTableDefinition(tableName), { pollMs: 20 });
    let published = 0;
    const delivery = new AlertDelivery({
      // As the composition builds it: transactions where the endpoint has them.
      ledger: new AlertStateStore({ tableName, client, claimWrites: 'detect' }),
      publisher: {
        publish: async () => {
          published++;
          return `m-${published}`;
        },
      },
    });
    const started = performance.now();
    const outcome = await delivery.alertFile(failures, { bucket: 'bench', key: 'bookkeeping.json.gz' });
    const seconds = (performance.now() - started) / 1000;
    const total = [...calls.values()].reduce((a, b) => a + b, 0);
    console.log(
      `bookkeeping (${latencyMs} ms added per request): ${failures.length} distinct failed calls, ${outcome.messagesPublished} messages, ` +
        `${outcome.eventsAlerted} alerted, ${outcome.eventsSuppressed} suppressed: ${seconds.toFixed(1)} s, ` +
        `${total} DynamoDB calls (${[...calls].map(([name, n]) => `${name.replace(/Command$/, '')} ${n}`).join(', ')})`,
    );
  } finally {
    client.destroy();
    await front?.stop();
    await dynalite.stop();
  }
}

async function handlerRuns(
  dir: string,
  distinct: number,
  repeated: number,
  claims: BenchClaims,
): Promise<void> {
  const files: { label: string; path: string }[] = [];
  if (distinct > 0) {
    const file = path.join(dir, `distinct-${distinct}.json.gz`);
    const log = await generateLogFile(file, Number.POSITIVE_INFINITY, 1, 45, 1, distinct);
    files.push({
      label: `${log.records} distinct failed calls (${(log.uncompressedBytes / MB).toFixed(0)} MB, ${(log.compressedBytes / MB).toFixed(1)} MB gzip)`,
      path: file,
    });
  }
  if (repeated > 0) {
    const file = path.join(dir, `repeated-${repeated}.json.gz`);
    const log = await generateRepeatedFailure(file, repeated);
    files.push({
      label: `one failed call repeated ${log.records} times (${(log.uncompressedBytes / MB).toFixed(0)} MB, ${(log.compressedBytes / MB).toFixed(1)} MB gzip)`,
      path: file,
    });
  }
  const runner = new ProcessRunner(dir);
  const bundle = await buildFunctionBundle(dir);
  const profileAt = process.argv.indexOf('--cpu-prof');
  const profileDir = profileAt >= 0 ? path.resolve(process.argv[profileAt + 1] ?? '.') : undefined;
  const { handlerRuns: runs } = await measureColdStarts(runner, bundle, dir, 0, files, claims, profileDir);
  if (profileDir !== undefined) {
    fs.copyFileSync(`${bundle.file}.map`, path.join(profileDir, `${path.basename(bundle.file)}.map`));
    console.log(`CPU profiles in ${profileDir}, the bundle's source map beside them`);
  }
  for (const run of runs) {
    const scaled = Math.max(run.wallSeconds, run.cpuSeconds / SHARE_AT_1024);
    console.log(
      `bundled handler, ${run.label}: ${run.wallSeconds.toFixed(1)} s wall, ${run.cpuSeconds.toFixed(1)} s CPU of its own, ` +
        `peak RSS ${(run.maxRssBytes / MB).toFixed(0)} MB; at 1,024 MB (${SHARE_AT_1024.toFixed(2)} vCPU) about ` +
        `${scaled.toFixed(0)} s (the larger of wall and CPU / share) of the 300 s timeout; ${run.claimTransactions} claim transactions; ` +
        `${run.readsResumed} S3 reads resumed; ` +
        (run.summary !== undefined
          ? `summary ${JSON.stringify(run.summary)}`
          : `FAILED: ${run.error ?? 'no error line'}`),
    );
  }
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trailwatch-alert-load-'));
  try {
    const collected = option('--collector', 40_000);
    if (collected > 0) await collectorHeap(dir, collected);
    const claims: BenchClaims = process.argv.includes('--single-claims') ? 'single' : 'transactions';
    console.log(
      `event claims: ${claims === 'single' ? 'one PutItem each (dynalite)' : 'in transactions (bench/transactions-front.ts)'}`,
    );
    const count = option('--bookkeeping', 10_000);
    if (count > 0) await bookkeeping(dir, count, option('--latency-ms', 5), claims);
    if (!process.argv.includes('--skip-handler')) {
      await handlerRuns(dir, option('--failures', 150_000), option('--repeated', 3_450_000), claims);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
