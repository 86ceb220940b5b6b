/** Which files a folder walk (`parse`, `ingest`) reads: the names CloudTrail gives its log files. */

// CloudTrail delivers `.json.gz`; `.json` and `.gz` cover unpacked or renamed copies. Anything else in
// a log folder (a README, a checksum list) is not a log file and would only fail to parse.
const LOG_FILE_NAME = /\.(json|gz)$/i;

/** True when a file met while walking a folder should be read; files named on the command line always are. */
export function looksLikeLogFile(name: string): boolean {
  return LOG_FILE_NAME.test(name);
}
