import { GetObjectCommand, NoSuchKey, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { TrailwatchError } from '../core/errors';
import type { LogObjectSource } from '../core/pipeline';
import type { LogObjectRef } from '../core/ports';

/** Reading a log object from S3 failed; the message says why, `bucket` and `key` say which object. */
export class LogObjectReadError extends TrailwatchError {
  constructor(
    readonly bucket: string,
    readonly key: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The log object is not in the bucket (deleted after the event was sent, or a wrong key). */
export class LogObjectNotFoundError extends LogObjectReadError {}

/** Streams CloudTrail log objects from S3 with GetObject; the body is never buffered whole. */
export class S3LogSource implements LogObjectSource {
  constructor(private readonly s3: S3Client = new S3Client({})) {}

  /** Opens the object's body stream; throws LogObjectNotFoundError or LogObjectReadError (the pipeline adds the object's name). */
  async open(ref: LogObjectRef): Promise<AsyncIterable<Uint8Array>> {
    const { bucket, key } = ref;
    try {
      const response = await this.s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
      const body = response.Body as (AsyncIterable<Uint8Array> & object) | undefined;
      if (!body || !(Symbol.asyncIterator in body)) {
        throw new LogObjectReadError(bucket, key, 'GetObject returned no body stream');
      }
      return body;
    } catch (err) {
      if (err instanceof TrailwatchError) throw err;
      if (err instanceof NoSuchKey || (err instanceof S3ServiceException && err.name === 'NoSuchKey')) {
        throw new LogObjectNotFoundError(bucket, key, 'the object does not exist (NoSuchKey)', {
          cause: err,
        });
      }
      if (err instanceof S3ServiceException && err.name === 'NoSuchBucket') {
        throw new LogObjectNotFoundError(bucket, key, 'the bucket does not exist (NoSuchBucket)', {
          cause: err,
        });
      }
      const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      throw new LogObjectReadError(bucket, key, `GetObject failed: ${reason}`, { cause: err });
    }
  }
}
