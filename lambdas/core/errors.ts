// The base class lives in the client package, so an error of the query library is a TrailwatchError
// to the CLI as much as one of the app's own. Its own entry point loads nothing else (not zod), which
// keeps `trailwatch --version` and `--help` fast.
import { TrailwatchError } from '@trailwatch/client/errors';

export { TrailwatchError };

/** A whole log file could not be read: empty, not gzip, truncated, not JSON, no `Records` array. */
export class LogFileError extends TrailwatchError {}

/** Configuration (environment, context, rules file) is invalid; the message names the setting. */
export class ConfigError extends TrailwatchError {}
