/**
 * The cost and time estimate of a distributed backfill, from what its listing found (objects and
 * gzipped bytes): Lambda GB-seconds and invocations, SQS and S3 requests, DynamoDB write units, and the
 * time at the event source mapping's maximum concurrency. Every rate and price is a named constant
 * below with where it comes from; docs/operations.md prints the runbook's figures from this code.
 */
import { BACKFILL_BATCH_MAX_KEYS } from './backfill-batch';

/**
 * The handler's measured throughput per invocation at 1024 MB: `npm run bench -- --handler` (README,
 * "Benchmarks") processed a 400 MB log file (7.5x gzip, so 53.3 MB gzipped) with 31.6 s of its own CPU
 * scaled to the 0.58 vCPU Lambda gives 1024 MB: 1.69 MB of gzipped log per second. That file has half
 * of its calls watched; a usual trail (a few percent) parses faster, so this errs on the high side.
 */
export const HANDLER_GZIP_BYTES_PER_SECOND = 400e6 / 7.5 / 31.6;

/**
 * Time per object beside its bytes (S3 GET first byte, the table writes' round trips), an assumption
 * (not measured on AWS): it dominates for the small files of an organization trail.
 */
export const PER_OBJECT_SECONDS = 0.03;

/** Log records per gzipped byte: the benchmark file's 290,000 records in 53.3 MB gzipped (184 bytes each). */
export const RECORDS_PER_GZIP_BYTE = 290_000 / (400e6 / 7.5);

/** Write units per stored event in table layout v1 (docs/table.md, "Write units and storage"). */
export const WRITE_UNITS_PER_EVENT = 3.67;

/** Storage per million stored events, v1 (docs/table.md). */
export const GB_PER_MILLION_EVENTS = 1.72;

/** The backfill function's memory (lib/ default), in GB. */
export const DEFAULT_MEMORY_GB = 1;

/** The event source mapping's default maximum concurrency (the stack's `backfill.maxConcurrency`). */
export const DEFAULT_MAX_CONCURRENCY = 10;

/** Share of log records from Glue, EMR, Athena and Batch unless the user says (the benchmark's 5% file). */
export const DEFAULT_TARGET_SHARE = 0.05;

/**
 * List prices, us-east-1, in USD, as published by AWS on its pricing pages in 2025 (Lambda x86,
 * SQS standard, S3 Standard requests, DynamoDB on-demand after the November 2024 cut). Not read live:
 * check the pages of your region before a large run; free tiers are left out.
 */
export const PRICES = {
  asOf: '2025-06',
  region: 'us-east-1',
  lambdaPerGbSecond: 0.0000166667,
  lambdaPerMillionRequests: 0.2,
  sqsPerMillionRequests: 0.4,
  s3GetPerThousand: 0.0004,
  s3ListPerThousand: 0.005,
  dynamodbPerMillionWriteUnits: 0.625,
  dynamodbStoragePerGbMonth: 0.25,
} as const;

/** What the listing found. */
export interface ListingSummary {
  readonly objects: number;
  /** Gzipped bytes of those objects (their S3 sizes). */
  readonly bytes: number;
  /** Where the listing came from: a prefix walk pays S3 LIST calls, an inventory manifest does not. */
  readonly source: 'prefix-walk' | 'inventory';
}

/** The knobs of an estimate; each defaults to the constant of the same meaning. */
export interface EstimateAssumptions {
  readonly maxConcurrency?: number;
  readonly targetShare?: number;
  readonly memoryGb?: number;
  readonly keysPerMessage?: number;
}

/** The estimate of one backfill. */
export interface BackfillEstimate {
  readonly objects: number;
  readonly bytes: number;
  readonly messages: number;
  /** Invocations, assuming one message per invocation (the mapping's batch size may join several). */
  readonly invocations: number;
  readonly lambdaSeconds: number;
  readonly gbSeconds: number;
  /**
   * SendMessageBatch and ReceiveMessage calls (10 messages each) and one delete per message: the
   * stack's mapping hands one message to each invocation (batch size 1).
   */
  readonly sqsRequests: number;
  readonly s3Gets: number;
  readonly s3Lists: number;
  readonly records: number;
  readonly events: number;
  readonly writeUnits: number;
  readonly storageGb: number;
  /** Wall time with `maxConcurrency` invocations always busy. */
  readonly hours: number;
  /** The table's average write rate meanwhile: compare with the pacing rule (docs/operations.md). */
  readonly writeUnitsPerSecond: number;
  readonly cost: {
    readonly lambda: number;
    readonly sqs: number;
    readonly s3: number;
    readonly dynamodbWrites: number;
    readonly total: number;
    /** Not in the total: a month of the stored events. */
    readonly dynamodbStoragePerMonth: number;
  };
  readonly assumptions: Required<EstimateAssumptions>;
}

/** Estimates a backfill from its listing; pure arithmetic on the constants above. */
export function estimateBackfill(
  listing: ListingSummary,
  assumptions: EstimateAssumptions = {},
): BackfillEstimate {
  const a: Required<EstimateAssumptions> = {
    maxConcurrency: assumptions.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY,
    targetShare: assumptions.targetShare ?? DEFAULT_TARGET_SHARE,
    memoryGb: assumptions.memoryGb ?? DEFAULT_MEMORY_GB,
    keysPerMessage: assumptions.keysPerMessage ?? BACKFILL_BATCH_MAX_KEYS,
  };
  const { objects, bytes } = listing;
  const messages = Math.ceil(objects / a.keysPerMessage);
  // CPU scales with memory up to one vCPU (1769 MB); above it a single-threaded handler gains little.
  const speedup = Math.min(a.memoryGb, 1769 / 1024) / DEFAULT_MEMORY_GB;
  const lambdaSeconds = bytes / (HANDLER_GZIP_BYTES_PER_SECOND * speedup) + objects * PER_OBJECT_SECONDS;
  const gbSeconds = lambdaSeconds * a.memoryGb;
  const sqsRequests = 2 * Math.ceil(messages / 10) + messages;
  const s3Lists = listing.source === 'prefix-walk' ? Math.ceil(objects / 1000) : 0;
  const records = bytes * RECORDS_PER_GZIP_BYTE;
  const events = records * a.targetShare;
  const writeUnits = events * WRITE_UNITS_PER_EVENT;
  const wallSeconds = lambdaSeconds / a.maxConcurrency;
  const lambda = gbSeconds * PRICES.lambdaPerGbSecond + (messages / 1e6) * PRICES.lambdaPerMillionRequests;
  const sqs = (sqsRequests / 1e6) * PRICES.sqsPerMillionRequests;
  const s3 = (objects / 1000) * PRICES.s3GetPerThousand + (s3Lists / 1000) * PRICES.s3ListPerThousand;
  const dynamodbWrites = (writeUnits / 1e6) * PRICES.dynamodbPerMillionWriteUnits;
  const storageGb = (events / 1e6) * GB_PER_MILLION_EVENTS;
  return {
    objects,
    bytes,
    messages,
    invocations: messages,
    lambdaSeconds,
    gbSeconds,
    sqsRequests,
    s3Gets: objects,
    s3Lists,
    records,
    events,
    writeUnits,
    storageGb,
    hours: wallSeconds / 3600,
    writeUnitsPerSecond: wallSeconds > 0 ? writeUnits / wallSeconds : 0,
    cost: {
      lambda,
      sqs,
      s3,
      dynamodbWrites,
      total: lambda + sqs + s3 + dynamodbWrites,
      dynamodbStoragePerMonth: storageGb * PRICES.dynamodbStoragePerGbMonth,
    },
    assumptions: a,
  };
}
