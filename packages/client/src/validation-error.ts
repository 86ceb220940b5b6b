import { TrailwatchError } from './errors';

/** A query input is invalid; `field` names the input field and the message says what it expects. */
export class ValidationError extends TrailwatchError {
  constructor(
    readonly field: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${field}: ${reason}`, options);
  }
}
