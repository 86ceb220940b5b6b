import {
  BACKFILL_BATCH_MAX_KEYS,
  BackfillBatchError,
  decodeBackfillBatch,
  encodeBackfillBatch,
  looksLikeBackfillBatch,
  SQS_MAX_BODY_BYTES,
  type BackfillBatch,
} from '../../lambdas/core/backfill-batch';

const KEY =
  'AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/111122223333_CloudTrail_eu-west-1_20240501T0000Z_a.json.gz';
const BATCH: BackfillBatch = {
  kind: 'trailwatch.backfill-batch',
  version: 1,
  runId: 'bf-20240501-abc123',
  bucket: 'org-trail-logs',
  keys: [KEY],
};

function decodeError(body: string | undefined): string {
  try {
    decodeBackfillBatch(body);
  } catch (err) {
    expect(err).toBeInstanceOf(BackfillBatchError);
    return (err as Error).message;
  }
  throw new Error('expected a BackfillBatchError');
}

describe('backfill batch message v1', () => {
  it('round-trips through its JSON body', () => {
    const body = encodeBackfillBatch(BATCH);
    expect(JSON.parse(body)).toEqual(BATCH);
    expect(decodeBackfillBatch(body)).toEqual(BATCH);
    expect(looksLikeBackfillBatch(JSON.parse(body))).toBe(true);
    expect(looksLikeBackfillBatch({ Records: [] })).toBe(false);
  });

  it('a full batch of the longest keys S3 allows stays under SQS 256 KB', () => {
    const keys = Array.from({ length: BACKFILL_BATCH_MAX_KEYS }, (_, i) => `${i}`.padEnd(1024, 'k'));
    const body = encodeBackfillBatch({ ...BATCH, keys });
    expect(Buffer.byteLength(body)).toBeLessThan(SQS_MAX_BODY_BYTES / 8);
  });

  it.each([
    [undefined, 'backfill batch: empty message body'],
    ['not json', 'backfill batch: the message body is not JSON'],
    ['{"Records":[]}', 'backfill batch: kind: expected'],
    [JSON.stringify({ ...BATCH, version: 2 }), 'backfill batch: version: expected 1'],
    [JSON.stringify({ ...BATCH, runId: 'a b' }), 'backfill batch: runId: expected 1-128 letters'],
    [JSON.stringify({ ...BATCH, bucket: 7 }), 'backfill batch: bucket: expected a string'],
    [JSON.stringify({ ...BATCH, keys: [] }), 'backfill batch: keys: expected at least one key'],
    [JSON.stringify({ ...BATCH, keys: [KEY, ''] }), 'backfill batch: keys.1: expected a non-empty key'],
    [JSON.stringify({ ...BATCH, extra: 1 }), 'backfill batch: body:'],
  ])('refuses %s naming the field', (body, expected) => {
    expect(decodeError(body)).toContain(expected);
  });

  it('refuses to encode more keys than a batch holds', () => {
    const keys = Array.from({ length: BACKFILL_BATCH_MAX_KEYS + 1 }, () => KEY);
    expect(() => encodeBackfillBatch({ ...BATCH, keys })).toThrow(
      `backfill batch: keys: expected at most ${BACKFILL_BATCH_MAX_KEYS} keys`,
    );
  });
});
