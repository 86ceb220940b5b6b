import { TrailwatchError } from './errors';

/** Reading a log object failed; the message says why, `bucket` and `key` say which object. */
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

/**
 * The log object was replaced while it was read (its ETag is not the one it had when the read began):
 * the rest of its body cannot be joined to what was read; the file must be read again from its start.
 */
export class LogObjectChangedError extends LogObjectReadError {}

/** The body broke off and could not be read on from where it stopped (see ResumableLogSource). */
export class LogObjectInterruptedError extends LogObjectReadError {}
