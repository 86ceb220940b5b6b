// `@trailwatch/client/errors`: the base class alone, for code that only needs `instanceof` (loads nothing else).

/** Base class of every error trailwatch expects and reports in one line (no stack trace needed). */
export class TrailwatchError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
