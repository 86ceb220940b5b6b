/**
 * The estimate of a distributed backfill in words (the dry run's output, and the runbook's figures in
 * docs/operations.md, which a test keeps equal to this text for the runbook's listing).
 */
import { PRICES, type BackfillEstimate } from '../lambdas/core/backfill-estimate';

/** A count with thousands separators and at most `digits` decimals. */
function num(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/** A count in words for large figures: 210.2 million, 1.43 billion. */
function big(n: number): string {
  if (n >= 1e9) return `${num(n / 1e9, 2)} billion`;
  if (n >= 1e6) return `${num(n / 1e6, 1)} million`;
  return num(n);
}

function usd(n: number): string {
  if (n > 0 && n < 0.01) return 'under $0.01';
  return n < 100 ? `$${n.toFixed(2)}` : `$${num(n)}`;
}

function bytesText(n: number): string {
  if (n >= 1e12) return `${num(n / 1e12, 2)} TB`;
  if (n >= 1e9) return `${num(n / 1e9, 2)} GB`;
  return `${num(n / 1e6, 1)} MB`;
}

function duration(hours: number): string {
  if (hours >= 48) return `${num(hours / 24, 1)} days`;
  if (hours >= 1) return `${num(hours, 1)} hours`;
  if (hours >= 1 / 60) return `${num(hours * 60, 0)} minutes`;
  return `${num(hours * 3600, 0)} seconds`;
}

/** The estimate as the lines `trailwatch backfill --on-aws --dry-run` prints (two-space indented). */
export function formatBackfillEstimate(e: BackfillEstimate): string[] {
  const a = e.assumptions;
  return [
    `  objects:         ${big(e.objects)} (${bytesText(e.bytes)} gzipped), ${big(e.messages)} messages of up to ${a.keysPerMessage} keys`,
    `  Lambda:          ${big(e.gbSeconds)} GB-seconds at ${num(a.memoryGb * 1024)} MB, ${big(e.invocations)} invocations: ${usd(e.cost.lambda)}`,
    `  SQS:             ${big(e.sqsRequests)} requests (send, receive, delete): ${usd(e.cost.sqs)}`,
    `  S3:              ${big(e.s3Gets)} GETs${e.s3Lists > 0 ? `, ${big(e.s3Lists)} LISTs` : ''}: ${usd(e.cost.s3)}`,
    `  DynamoDB:        ${big(e.events)} events (${num(a.targetShare * 100, 1)}% of ${big(e.records)} records), ${big(e.writeUnits)} write units: ${usd(e.cost.dynamodbWrites)}`,
    `  total:           ${usd(e.cost.total)} (${PRICES.region} list prices of ${PRICES.asOf}), then ${usd(e.cost.dynamodbStoragePerMonth)} a month to store ${num(e.storageGb, e.storageGb < 10 ? 2 : 0)} GB`,
    `  time:            ${duration(e.hours)} at a maximum concurrency of ${num(a.maxConcurrency)}, about ${num(e.writeUnitsPerSecond)} write units/s on the table`,
  ];
}
