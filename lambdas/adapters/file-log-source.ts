import * as fs from 'node:fs';
import { TrailwatchError } from '../core/errors';
import type { LogObjectSource } from '../core/pipeline';
import type { LogObjectRef } from '../core/ports';

/** A local log file could not be opened; the message says why in words. */
export class LogFileOpenError extends TrailwatchError {}

const ERRNO_WORDS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a folder, not a file',
};

/** Streams local CloudTrail log files (`trailwatch ingest`): the ref's key is the file's path. */
export class FileLogSource implements LogObjectSource {
  /** Opens the file as a byte stream, failing early (before any event is read) when it cannot be read. */
  async open(ref: LogObjectRef): Promise<AsyncIterable<Uint8Array>> {
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(ref.key, 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      throw new LogFileOpenError(ERRNO_WORDS[code] ?? (err as Error).message, { cause: err });
    }
    return handle.createReadStream({ highWaterMark: 256 * 1024 });
  }
}
