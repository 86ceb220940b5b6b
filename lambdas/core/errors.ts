/** Base class of the errors trailwatch expects and reports in one line (no stack trace). */
export class TrailwatchError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A whole log file could not be read: empty, not gzip, truncated, not JSON, no `Records` array. */
export class LogFileError extends TrailwatchError {}

/** Configuration (environment, context, rules file) is invalid; the message names the setting. */
export class ConfigError extends TrailwatchError {}
