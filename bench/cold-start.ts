// The function's cold start for `npm run bench`: builds the bundle as the stack does (INGEST_BUNDLING), then
// in fresh Node processes loads it with the function's environment, as Lambda's runtime does, and handles one
// small log file against the local stack (s3rver, dynalite, the local SNS endpoint); a bare `node -e 0`
// beside it is the start no function can beat.
import { PutObjectCommand, CreateBucketCommand } from '@aws-sdk/client-s3';
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Token } from 'aws-cdk-lib';
import { INGEST_BUNDLING } from '../lib/ingest-function';
import { TrailwatchStack } from '../lib/trailwatch-stack';
import { LOCAL_CREDENTIALS } from '../lambdas/adapters/aws-clients';
import { startLocalStack } from '../local/stack';
import { logKey } from '../local/samples';
import { generateLogFile } from './generate-log';
import type { ProcessRunner } from './processes';
import { startTransactionsFront } from './transactions-front';

/** The bundle as the function ships it. */
export interface FunctionBundle {
  readonly file: string;
  readonly bytes: number;
  readonly mapBytes: number;
}

/** One cold start: the process as a whole and, inside it, the load and the first event. */
export interface ColdStart {
  /** Spawn to exit of the process that loads the bundle and handles one file. */
  readonly wallSeconds: number;
  /** `require` of the bundle (module compile and top-level code: config, clients, schemas). */
  readonly requireMs: number;
  /** The first invocation, from the call to its result. */
  readonly firstEventMs: number;
  readonly maxRssBytes: number;
  /** Spawn to exit of a process that only loads the bundle (what the init phase costs). */
  readonly loadOnlyWallSeconds: number;
  /** Spawn to exit of `node -e 0` in the same round. */
  readonly bareWallSeconds: number;
}

/** Builds lambdas/ingest/handler.ts with the stack's own bundling options (lib/ingest-function.ts). */
export async function buildFunctionBundle(dir: string): Promise<FunctionBundle> {
  const b = INGEST_BUNDLING;
  const outfile = path.join(dir, 'function', 'index.js');
  await esbuild.build({
    entryPoints: [path.join(__dirname, '..', 'lambdas', 'ingest', 'handler.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: b.target,
    minify: b.minify,
    keepNames: b.keepNames,
    mainFields: [...b.mainFields],
    sourcemap: b.sourceMap,
    sourcesContent: b.sourcesContent,
    // The stack passes these as `--alias:<package>=<path>` from the repository root.
    alias: Object.fromEntries(
      b.esbuildArgs['--alias'].map((a) => {
        const [pkg = '', file = ''] = a.split('=');
        return [pkg, path.join(__dirname, '..', file)];
      }),
    ),
    outfile,
    logLevel: 'error',
  });
  return { file: outfile, bytes: fs.statSync(outfile).size, mapBytes: fs.statSync(`${outfile}.map`).size };
}

// Loads the bundle as the runtime does (require of the handler file), then handles one S3 event.
const COLD_START_SCRIPT = `
const t0 = process.hrtime.bigint();
const { handler } = require(process.argv[1]);
const t1 = process.hrtime.bigint();
if (process.argv[2] !== 'load-only') {
  const remaining = Number(process.env.TRAILWATCH_BENCH_REMAINING_MS || 300000);
  handler(JSON.parse(process.argv[2]), { getRemainingTimeInMillis: () => remaining }).then((result) => {
    const t2 = process.hrtime.bigint();
    const summary = result.objects[0];
    console.log(JSON.stringify({ requireMs: Number(t1 - t0) / 1e6, firstEventMs: Number(t2 - t1) / 1e6, summary }));
  });
}
`;

const BUCKET = 'bench-cold-start';
const ACCOUNT = '123456789012';

/**
 * The function's environment as the stack sets it (a stack of the default configuration reading the
 * bench bucket), with the local stack's resources in place of the ones the deployment would create.
 */
function deployedEnvironment(resources: Readonly<Record<string, string>>): Record<string, string> {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const deployed = new TrailwatchStack(app, 'BenchColdStart', { config: { sourceBucketName: BUCKET } });
  const environment = { ...deployed.ingest.environment, ...resources };
  const unresolved = Object.keys(environment).filter((k) => Token.isUnresolved(environment[k]));
  if (unresolved.length > 0) {
    throw new Error(`bench/cold-start.ts has no local value for ${unresolved.join(', ')}: add it`);
  }
  return environment;
}

/** The S3 notification Lambda would get for one object of the bench bucket. */
function s3Event(key: string, size: number, region: string): string {
  return JSON.stringify({
    Records: [
      {
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        eventTime: new Date().toISOString(),
        awsRegion: region,
        s3: {
          bucket: { name: BUCKET },
          object: { key: encodeURIComponent(key).replace(/%2F/g, '/'), size },
        },
      },
    ],
  });
}

/** A large file processed by the bundled handler, as one invocation, against the local stack. */
export interface HandlerRun {
  readonly label: string;
  readonly wallSeconds: number;
  /** The function process's own CPU (the local servers run in the bench's process, as AWS's would elsewhere). */
  readonly cpuSeconds: number;
  readonly maxRssBytes: number;
  /** The invocation's summary of the object; undefined when the invocation failed. */
  readonly summary: unknown;
  /** Why the invocation failed (the error's first line), when it did. */
  readonly error?: string;
  /** TransactWriteItems calls the invocation made (through the front; 0 with `single` claims). */
  readonly claimTransactions: number;
  /** S3 bodies that broke off and were reopened where they stopped (the function's `log object read resumed` lines). */
  readonly readsResumed: number;
}

/**
 * How the function's event claims reach the local DynamoDB: `transactions` through the front that answers
 * TransactWriteItems (bench/transactions-front.ts), as the function claims on DynamoDB; `single` straight
 * to dynalite, where the function finds no transactions and writes one claim per request.
 */
export type BenchClaims = 'transactions' | 'single';

/**
 * Runs `runs` cold starts against a local stack started in `dir`; each run handles a small file of its own
 * (fresh event IDs, so every run stores and alerts as a first delivery would).
 */
export async function measureColdStarts(
  runner: ProcessRunner,
  bundle: FunctionBundle,
  dir: string,
  runs: number,
  bigFiles: readonly { readonly label: string; readonly path: string }[] = [],
  claims: BenchClaims = 'transactions',
  /** Where the big files' handler processes write a V8 CPU profile (`node --cpu-prof`), if anywhere. */
  profileDir?: string,
): Promise<{
  runs: ColdStart[];
  file: { bytes: number; records: number; watched: number };
  handlerRuns: HandlerRun[];
}> {
  const stack = await startLocalStack({ dataDir: path.join(dir, 'local-stack'), persistTables: false });
  const front =
    claims === 'transactions' ? await startTransactionsFront(stack.endpoints.dynamodb) : undefined;
  try {
    // A bucket of its own: the local stack's in-process handler leaves it alone (not a source bucket).
    await stack.clients.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      AWS_REGION: stack.region,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_S3: stack.endpoints.s3,
      AWS_ENDPOINT_URL_DYNAMODB: front?.endpoint ?? stack.endpoints.dynamodb,
      AWS_ENDPOINT_URL_SNS: stack.endpoints.sns,
      // s3rver stores aws-chunked framing inside objects unless checksums are sent only when required.
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...deployedEnvironment({
        TABLE_NAME: stack.tableName,
        ALERT_STATE_TABLE_NAME: stack.alertStateTableName,
        ALERT_TOPIC_ARN: stack.topicArn,
      }),
    };
    const results: ColdStart[] = [];
    let file = { bytes: 0, records: 0, watched: 0 };
    for (let run = 0; run < runs; run++) {
      const local = path.join(dir, `cold-start-${run}.json.gz`);
      // About 60 records, a third of them from the watched services, a few failed.
      const log = await generateLogFile(local, 80_000, 0.35, 1000 + run);
      file = { bytes: log.uncompressedBytes, records: log.records, watched: log.watchedRecords };
      const key = logKey({
        accountId: ACCOUNT,
        region: stack.region,
        time: new Date('2026-11-01T00:00:00Z'),
        suffix: `bench${run}`,
      });
      await stack.clients.s3.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: fs.readFileSync(local) }),
      );
      const event = s3Event(key, log.compressedBytes, stack.region);
      const bare = await runner.run(['-e', '0']);
      const loadOnly = await runner.run(['-e', COLD_START_SCRIPT, bundle.file, 'load-only'], { env });
      const cold = await runner.run(['-e', COLD_START_SCRIPT, bundle.file, event], { env, keepStdout: true });
      const line = JSON.parse(cold.lastLine) as {
        requireMs: number;
        firstEventMs: number;
        summary: { status: string; eventsStored: Record<string, number> };
      };
      if (line.summary.status !== 'processed') {
        throw new Error(`the cold-start run did not process its file: ${JSON.stringify(line.summary)}`);
      }
      results.push({
        wallSeconds: cold.wallSeconds,
        requireMs: line.requireMs,
        firstEventMs: line.firstEventMs,
        maxRssBytes: cold.maxRssBytes,
        loadOnlyWallSeconds: loadOnly.wallSeconds,
        bareWallSeconds: bare.wallSeconds,
      });
    }
    const handlerRuns: HandlerRun[] = [];
    for (const [k, big] of bigFiles.entries()) {
      const key = logKey({
        accountId: ACCOUNT,
        region: stack.region,
        time: new Date('2026-11-02T00:00:00Z'),
        suffix: `big${k}`,
      });
      const body = fs.readFileSync(big.path);
      await stack.clients.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
      const transactionsBefore = front?.counts.transactions ?? 0;
      // An hour in hand: the local servers (dynalite in this process, on a busy machine) can take longer
      // than the function's 300 s timeout, and the figure that matters is the function's own CPU. A failed
      // invocation is a result too (out of time, out of memory): reported, not fatal to the bench.
      const run = await runner.run(
        [
          // Node 20 refuses --cpu-prof in NODE_OPTIONS: it goes on the command line.
          ...(profileDir !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
          '-e',
          COLD_START_SCRIPT,
          bundle.file,
          s3Event(key, body.length, stack.region),
        ],
        {
          env: {
            ...env,
            TRAILWATCH_BENCH_REMAINING_MS: '3600000',
          },
          keepStdout: true,
          allowFailure: true,
          countOnStderr: '"message":"log object read resumed"',
        },
      );
      const figures = {
        label: big.label,
        wallSeconds: run.wallSeconds,
        cpuSeconds: run.cpuSeconds,
        maxRssBytes: run.maxRssBytes,
        claimTransactions: (front?.counts.transactions ?? 0) - transactionsBefore,
        readsResumed: run.stderrCount,
      };
      if (run.status === 0) {
        handlerRuns.push({ ...figures, summary: (JSON.parse(run.lastLine) as { summary: unknown }).summary });
      } else {
        const thrown = /^[A-Za-z]*Error\b.*$/m;
        const error =
          thrown.exec(run.stderrHead)?.[0] ?? thrown.exec(run.stderrTail)?.[0] ?? `exit status ${run.status}`;
        // Both ends of a long message: the object it names, and the reason at its end.
        const shown = error.length > 700 ? `${error.slice(0, 300)} … ${error.slice(-400)}` : error;
        handlerRuns.push({ ...figures, summary: undefined, error: shown });
      }
    }
    return { runs: results, file, handlerRuns };
  } finally {
    await front?.stop();
    await stack.stop();
  }
}
