// The adapter's ranged, conditional GetObject against moto, which (unlike s3rver) answers If-Match:
// a reopen of an object that changed gets S3's 412 and must become the one-line "changed" error.
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { LogObjectChangedError } from '../../lambdas/core/log-object-errors';
import { S3LogSource } from '../../lambdas/adapters/s3-log-source';
import { describeWithMoto, startMoto, type MotoServer } from '../helpers/moto';

const BUCKET = 'trail-logs';
const KEY = 'AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/file.json.gz';
const ref = { bucket: BUCKET, key: KEY };

async function text(body: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of body) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts).toString('utf8');
}

describeWithMoto('S3LogSource.openPart: Range and If-Match against moto', () => {
  let moto: MotoServer | undefined;
  let s3: S3Client;
  let source: S3LogSource;

  beforeAll(async () => {
    moto = await startMoto();
    if (!moto) return;
    s3 = new S3Client({
      region: 'us-east-1',
      endpoint: moto.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    source = new S3LogSource(s3);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  }, 60_000);

  afterAll(async () => {
    s3?.destroy();
    await moto?.stop();
  });

  test('a part from an offset, while the ETag is the one read, is the rest of the object', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: '0123456789abcdef' }));
    const whole = await source.openPart(ref, { offset: 0 });
    expect(await text(whole.body)).toBe('0123456789abcdef');
    expect(whole.etag).toMatch(/^".+"$/);

    const rest = await source.openPart(ref, { offset: 10, ...(whole.etag ? { ifMatch: whole.etag } : {}) });
    expect(await text(rest.body)).toBe('abcdef');
    expect(rest.contentRange).toBe('bytes 10-15/16');
  });

  test('a reopen after the object was overwritten fails with LogObjectChangedError naming the ETag', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: 'first version' }));
    const first = await source.openPart(ref, { offset: 0 });
    await text(first.body);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: 'second version, longer' }));

    const reopen = source.openPart(ref, { offset: 5, ...(first.etag ? { ifMatch: first.etag } : {}) });
    await expect(reopen).rejects.toBeInstanceOf(LogObjectChangedError);
    await expect(reopen).rejects.toThrow(/the object changed while it was read .*PreconditionFailed/);
    await expect(reopen).rejects.toMatchObject({ bucket: BUCKET, key: KEY });
  });
});
