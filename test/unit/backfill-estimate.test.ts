import {
  estimateBackfill,
  HANDLER_GZIP_BYTES_PER_SECOND,
  PER_OBJECT_SECONDS,
  PRICES,
  RECORDS_PER_GZIP_BYTE,
  WRITE_UNITS_PER_EVENT,
} from '../../lambdas/core/backfill-estimate';
import { formatBackfillEstimate } from '../../cli/backfill-estimate-text';

describe('estimateBackfill', () => {
  it('derives every figure from the listing and the documented rates', () => {
    // 1,000 objects of 100 KB, found by a prefix walk.
    const e = estimateBackfill({ objects: 1000, bytes: 100e6, source: 'prefix-walk' }, { maxConcurrency: 4 });
    const seconds = 100e6 / HANDLER_GZIP_BYTES_PER_SECOND + 1000 * PER_OBJECT_SECONDS;
    expect(e.messages).toBe(50);
    expect(e.invocations).toBe(50);
    expect(e.lambdaSeconds).toBeCloseTo(seconds, 6);
    expect(e.gbSeconds).toBeCloseTo(seconds, 6);
    expect(e.sqsRequests).toBe(60); // 5 calls each to send and receive 50 messages, 50 deletes
    expect(e.s3Gets).toBe(1000);
    expect(e.s3Lists).toBe(1);
    expect(e.events).toBeCloseTo(100e6 * RECORDS_PER_GZIP_BYTE * 0.05, 6);
    expect(e.writeUnits).toBeCloseTo(e.events * WRITE_UNITS_PER_EVENT, 6);
    expect(e.hours).toBeCloseTo(seconds / 4 / 3600, 9);
    expect(e.writeUnitsPerSecond).toBeCloseTo(e.writeUnits / (seconds / 4), 6);
    expect(e.cost.lambda).toBeCloseTo(
      seconds * PRICES.lambdaPerGbSecond + 50e-6 * PRICES.lambdaPerMillionRequests,
      12,
    );
    expect(e.cost.total).toBeCloseTo(e.cost.lambda + e.cost.sqs + e.cost.s3 + e.cost.dynamodbWrites, 12);
  });

  it('an inventory listing pays no LIST; more concurrency shortens the time, not the cost', () => {
    const listing = { objects: 2_000_000, bytes: 40e9, source: 'inventory' as const };
    const slow = estimateBackfill(listing, { maxConcurrency: 10 });
    const fast = estimateBackfill(listing, { maxConcurrency: 100 });
    expect(slow.s3Lists).toBe(0);
    expect(fast.hours).toBeCloseTo(slow.hours / 10, 9);
    expect(fast.cost.total).toBeCloseTo(slow.cost.total, 9);
    expect(fast.writeUnitsPerSecond).toBeCloseTo(slow.writeUnitsPerSecond * 10, 6);
  });

  it('more memory buys CPU up to one vCPU: fewer seconds, more GB each', () => {
    const listing = { objects: 10, bytes: 1e9, source: 'inventory' as const };
    const base = estimateBackfill(listing);
    const big = estimateBackfill(listing, { memoryGb: 2 });
    expect(big.lambdaSeconds).toBeLessThan(base.lambdaSeconds);
    expect(big.gbSeconds).toBeGreaterThan(base.gbSeconds);
  });

  it('the target share scales events and write units, nothing else', () => {
    const listing = { objects: 100, bytes: 5e6, source: 'inventory' as const };
    const five = estimateBackfill(listing, { targetShare: 0.05 });
    const fifty = estimateBackfill(listing, { targetShare: 0.5 });
    expect(fifty.writeUnits).toBeCloseTo(five.writeUnits * 10, 6);
    expect(fifty.gbSeconds).toBe(five.gbSeconds);
  });

  it('prints each figure with its unit', () => {
    const text = formatBackfillEstimate(
      estimateBackfill({ objects: 1000, bytes: 100e6, source: 'prefix-walk' }, { maxConcurrency: 4 }),
    ).join('\n');
    expect(text).toContain('objects:         1,000 (100 MB gzipped), 50 messages of up to 20 keys');
    expect(text).toMatch(/Lambda: +\d+ GB-seconds at 1,024 MB, 50 invocations: under \$0\.01/);
    expect(text).toContain('S3:              1,000 GETs, 1 LISTs');
    expect(text).toMatch(/time: +\d+ seconds at a maximum concurrency of 4/);
  });
});
