import { ListObjectsV2Command, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { PrefixLister } from '../core/backfill-plan';
import { TrailwatchError } from '../core/errors';

/** An object found under a day prefix. */
export interface ListedObject {
  readonly key: string;
  /** Bytes; 0 for zero-byte objects (the processor skips them). */
  readonly size: number;
}

/** Listing a bucket failed: names the bucket, the prefix and what to check. */
export class S3ListError extends TrailwatchError {}

/** Options of S3LogLister. */
export interface S3LogListerOptions {
  readonly bucket: string;
  /** Default: a new S3Client with the SDK's defaults. */
  readonly client?: S3Client;
}

/**
 * Lists a CloudTrail bucket one folder level at a time: ListObjectsV2 with Delimiter '/', every page
 * followed, so even a bucket of millions of objects is only read where the backfill needs it.
 */
export class S3LogLister implements PrefixLister {
  readonly bucket: string;
  private readonly client: S3Client;

  constructor(options: S3LogListerOptions) {
    this.bucket = options.bucket;
    this.client = options.client ?? new S3Client({});
  }

  /** The child prefixes (CommonPrefixes) of `prefix`, each ending in '/'. */
  async listChildPrefixes(prefix: string): Promise<string[]> {
    // A Set: S3-compatible servers may repeat a common prefix on the next page.
    const children = new Set<string>();
    for await (const page of this.pages(prefix)) {
      for (const p of page.CommonPrefixes ?? []) if (p.Prefix) children.add(p.Prefix);
    }
    return [...children];
  }

  /** The objects directly under `prefix` (not in its sub-folders), page by page. */
  async *listObjects(prefix: string): AsyncGenerator<ListedObject> {
    for await (const page of this.pages(prefix)) {
      for (const o of page.Contents ?? []) {
        if (o.Key !== undefined) yield { key: o.Key, size: o.Size ?? 0 };
      }
    }
  }

  private async *pages(prefix: string) {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            Delimiter: '/',
            ...(token !== undefined ? { ContinuationToken: token } : {}),
          }),
        );
      } catch (err) {
        throw translateListError(this.bucket, prefix, err);
      }
      yield page;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }
}

function translateListError(bucket: string, prefix: string, err: unknown): unknown {
  if (!(err instanceof S3ServiceException)) return err;
  const where = `s3://${bucket}/${prefix}`;
  switch (err.name) {
    case 'NoSuchBucket':
      return new S3ListError(
        `${where}: bucket ${bucket} does not exist (check --bucket, --region and the endpoint)`,
        {
          cause: err,
        },
      );
    case 'AccessDenied':
    case 'AllAccessDisabled':
      return new S3ListError(`${where}: access denied to list the bucket (the caller needs s3:ListBucket)`, {
        cause: err,
      });
    default:
      return new S3ListError(`${where}: cannot list: ${err.name}: ${err.message}`, { cause: err });
  }
}
