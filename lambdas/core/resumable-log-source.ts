import {
  LogObjectChangedError,
  LogObjectInterruptedError,
  LogObjectNotFoundError,
} from './log-object-errors';
import { OutOfTimeError, TIME_RESERVE_MS } from './out-of-time';
import type { LogObjectSource, OpenOptions } from './pipeline';
import type { LogObjectRef } from './ports';

/** One answer of the object store: a body from some byte on, and what identifies the object. */
export interface ObjectPart {
  readonly body: AsyncIterable<Uint8Array>;
  /** The object's ETag as the store sent it (quotes included); undefined when it sent none. */
  readonly etag?: string;
  /** The Content-Range header of a partial answer (`bytes 100-999/1000`); undefined for the whole object. */
  readonly contentRange?: string;
  /** The body's length in bytes, when the store said. */
  readonly contentLength?: number;
  /** Lets go of the body (its connection) without reading it; harmless once it ended or failed. */
  release(): void;
}

/** Where an ObjectPart starts: at `offset` (Range), only if the object's ETag is still `ifMatch`. */
export interface PartStart {
  readonly offset: number;
  readonly ifMatch?: string;
}

/** The object store's side of a resumable read: one request per call (an S3 GetObject). */
export interface ObjectPartReader {
  /**
   * The object's body from `start.offset` on (the whole object at 0). Throws LogObjectNotFoundError when
   * the object is gone, LogObjectChangedError when its ETag is not `start.ifMatch`, another error otherwise.
   */
  openPart(ref: LogObjectRef, start: PartStart): Promise<ObjectPart>;
}

/** How often, and how patiently, a broken body is reopened. */
export interface ResumePolicy {
  /** Reopens in a row that deliver no byte before the read fails (a server that keeps failing). */
  readonly maxReopensWithoutProgress: number;
  /** Reopens of one object in all (each one is a GET). */
  readonly maxReopens: number;
  /** Wait before the second reopen in a row; doubled for each further one, up to maxDelayMs. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/**
 * The first reopen after a body that delivered bytes is immediate: the usual cause is the reader's own
 * pause (the idle timeout fired while the pipeline waited on DynamoDB) or one dropped connection, and the
 * store answered moments before. A store that keeps failing gets three tries a few hundred ms apart.
 */
export const DEFAULT_RESUME_POLICY: ResumePolicy = {
  maxReopensWithoutProgress: 3,
  maxReopens: 20,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
};

/** A body was reopened: where, and why (for the log). */
export interface ResumeNotice {
  /** The byte the new body starts at. */
  readonly offset: number;
  /** The object's size, when known. */
  readonly size: number | undefined;
  /** Reopens of this object so far, this one included. */
  readonly reopens: number;
  /** Why the previous body ended: the error's name and message. */
  readonly reason: string;
}

/** Options of ResumableLogSource. */
export interface ResumableLogSourceOptions {
  readonly policy?: ResumePolicy;
  /** Told of every reopen that got a body. */
  readonly onResume?: (ref: LogObjectRef, notice: ResumeNotice) => void;
  /** Waits; default a timer. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** In [0, 1): the jitter of the backoff; default Math.random. */
  readonly random?: () => number;
}

/**
 * A LogObjectSource whose byte stream survives a body that breaks off (the idle timeout fired while the
 * consumer held back, a connection reset): it counts the bytes it handed out and, when the body fails or
 * ends short of the object's size, asks the reader for the rest from that byte, of the same object (its
 * ETag), so the consumer (gunzip, scanner) sees one continuous stream. It gives up on a changed or deleted
 * object at once, after too many reopens, and when the caller's time left could not cover a reopen.
 *
 * Reopening, rather than stopping the idle timer while the consumer holds back: the timer belongs to the
 * SDK's socket, not to the body; a held-back connection can be closed by the other end all the same;
 * and a dropped connection needs the reopen anyway, so one mechanism covers both. A reopen costs one
 * GET and fetches again at most what the sockets had buffered when the body was destroyed.
 */
export class ResumableLogSource implements LogObjectSource {
  private readonly policy: ResumePolicy;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(
    private readonly reader: ObjectPartReader,
    private readonly options: ResumableLogSourceOptions = {},
  ) {
    this.policy = options.policy ?? DEFAULT_RESUME_POLICY;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  /** Opens the object (one request, its errors as the reader throws them); reopens happen while it is read. */
  async open(ref: LogObjectRef, options: OpenOptions = {}): Promise<AsyncIterable<Uint8Array>> {
    const first = await this.reader.openPart(ref, { offset: 0 });
    return this.read(ref, first, extentOf(first).size, options.remainingMs);
  }

  private async *read(
    ref: LogObjectRef,
    first: ObjectPart,
    size: number | undefined,
    remainingMs: (() => number) | undefined,
  ): AsyncGenerator<Uint8Array, void, undefined> {
    const etag = first.etag;
    let part = first;
    let body = part.body[Symbol.asyncIterator]();
    // Bytes handed to the consumer: where a new body must start.
    let offset = 0;
    let inARow = 0;
    let reopens = 0;

    const sizeText = (): string => (size === undefined ? 'an unknown size' : String(size));
    const interrupted = (why: string, cause: unknown): LogObjectInterruptedError =>
      new LogObjectInterruptedError(
        ref.bucket,
        ref.key,
        `the body broke off at byte ${offset} of ${sizeText()} and ${why}; last: ${reasonOf(cause)}`,
        { cause },
      );

    // A new body from `offset`, or a throw saying why there is none.
    const reopen = async (broken: unknown): Promise<ObjectPart> => {
      let cause = broken;
      for (;;) {
        if (etag === undefined) {
          throw interrupted('is not reopened: the first answer had no ETag to check the object by', cause);
        }
        if (inARow >= this.policy.maxReopensWithoutProgress) {
          throw interrupted(`${inARow} reopens in a row read nothing`, cause);
        }
        if (reopens >= this.policy.maxReopens) {
          throw interrupted(`is not reopened again after ${reopens} reopens`, cause);
        }
        const delay = inARow === 0 ? 0 : this.backoff(inARow);
        const left = remainingMs?.();
        if (left !== undefined && left - delay < TIME_RESERVE_MS) {
          throw new OutOfTimeError(
            `out of time: ${(Math.max(0, left) / 1000).toFixed(1)} s left, so the body that broke off at byte ` +
              `${offset} of ${sizeText()} is not reopened (${reasonOf(cause)})`,
            { cause },
          );
        }
        if (delay > 0) await this.sleep(delay);
        inARow += 1;
        reopens += 1;
        let next: ObjectPart;
        try {
          next = await this.reader.openPart(ref, { offset, ifMatch: etag });
        } catch (err) {
          if (err instanceof LogObjectChangedError || err instanceof LogObjectNotFoundError) throw err;
          cause = err;
          continue;
        }
        const extent = extentOf(next);
        const changed =
          next.etag !== etag
            ? `its ETag was ${etag} when the read began and is ${next.etag ?? 'missing'} at byte ${offset}`
            : size !== undefined && extent.size !== undefined && extent.size !== size
              ? `its size was ${size} bytes when the read began and is ${extent.size} at byte ${offset}`
              : undefined;
        if (changed !== undefined) {
          next.release();
          throw new LogObjectChangedError(
            ref.bucket,
            ref.key,
            `the object changed while it was read (${changed}); not joined to what was read: the file must be read again from its start`,
            { cause: broken },
          );
        }
        if (extent.start !== offset) {
          next.release();
          throw interrupted(
            `the reopen answered from byte ${extent.start} (the store ignored the Range)`,
            cause,
          );
        }
        this.options.onResume?.(ref, { offset, size, reopens, reason: reasonOf(cause) });
        return next;
      }
    };

    try {
      for (;;) {
        let step: IteratorResult<Uint8Array>;
        try {
          step = await body.next();
        } catch (err) {
          // Every byte is in hand (the timeout fired after the last one arrived): the read is done.
          if (size !== undefined && offset >= size) return;
          part.release();
          part = await reopen(err);
          body = part.body[Symbol.asyncIterator]();
          continue;
        }
        if (step.done) {
          if (size === undefined || offset >= size) return;
          part.release();
          part = await reopen(new Error(`the body ended at byte ${offset} of ${size}`));
          body = part.body[Symbol.asyncIterator]();
          continue;
        }
        if (step.value.length === 0) continue;
        offset += step.value.length;
        inARow = 0;
        yield step.value;
      }
    } finally {
      // The consumer stopped early, or the read failed: let go of the connection.
      part.release();
    }
  }

  /** The wait before the `inARow + 1`th reopen in a row: doubling, with jitter in its upper half. */
  private backoff(inARow: number): number {
    const ceiling = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (inARow - 1));
    return ceiling / 2 + (this.random() * ceiling) / 2;
  }
}

/** Where a part's body starts and the whole object's size, from its Content-Range (or length, for a whole object). */
export function extentOf(part: Pick<ObjectPart, 'contentRange' | 'contentLength'>): {
  start: number;
  size: number | undefined;
} {
  if (part.contentRange !== undefined) {
    const match = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(part.contentRange.trim());
    if (match) {
      return { start: Number(match[1]), size: match[2] === '*' ? undefined : Number(match[2]) };
    }
  }
  return { start: 0, size: part.contentLength };
}

function reasonOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.name === 'Error' ? err.message : `${err.name}: ${err.message}`;
}
