import { GetObjectCommand, NoSuchKey, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { TrailwatchError } from '../core/errors';
import { LogObjectChangedError, LogObjectNotFoundError, LogObjectReadError } from '../core/log-object-errors';
import type { LogObjectRef } from '../core/ports';
import type { ObjectPart, ObjectPartReader, PartStart } from '../core/resumable-log-source';

export { LogObjectNotFoundError, LogObjectReadError } from '../core/log-object-errors';

/**
 * Streams CloudTrail log objects from S3 with GetObject, the body never buffered whole; when to reopen a
 * body that broke off, and from where, is core/resumable-log-source.ts's (app/compose.ts joins the two).
 */
export class S3LogSource implements ObjectPartReader {
  constructor(private readonly s3: S3Client = new S3Client({})) {}

  /**
   * One GetObject: the whole object, or from `start.offset` on (`Range: bytes=N-`) and only while its ETag
   * is `start.ifMatch` (`If-Match`). Throws LogObjectNotFoundError, LogObjectChangedError (412) or
   * LogObjectReadError (the pipeline adds the object's name).
   */
  async openPart(ref: LogObjectRef, start: PartStart): Promise<ObjectPart> {
    const { bucket, key } = ref;
    try {
      const response = await this.s3.send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: key,
          ...(start.offset > 0 ? { Range: `bytes=${start.offset}-` } : {}),
          ...(start.ifMatch !== undefined ? { IfMatch: start.ifMatch } : {}),
        }),
      );
      const body = response.Body as (AsyncIterable<Uint8Array> & { destroy?: () => void }) | undefined;
      if (!body || !(Symbol.asyncIterator in body)) {
        throw new LogObjectReadError(bucket, key, 'GetObject returned no body stream');
      }
      return {
        body,
        ...(response.ETag !== undefined ? { etag: response.ETag } : {}),
        ...(response.ContentRange !== undefined ? { contentRange: response.ContentRange } : {}),
        ...(response.ContentLength !== undefined ? { contentLength: response.ContentLength } : {}),
        release: () => body.destroy?.(),
      };
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
      if (
        err instanceof S3ServiceException &&
        (err.name === 'PreconditionFailed' || err.$metadata.httpStatusCode === 412)
      ) {
        throw new LogObjectChangedError(
          bucket,
          key,
          `the object changed while it was read (its ETag is no longer ${start.ifMatch ?? 'the one read'}: PreconditionFailed); not joined to what was read: the file must be read again from its start`,
          { cause: err },
        );
      }
      const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      throw new LogObjectReadError(bucket, key, `GetObject failed: ${reason}`, { cause: err });
    }
  }
}
