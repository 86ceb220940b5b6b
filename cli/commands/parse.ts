import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { parseCommandLine } from '../flags';
import { LogFileError } from '../../lambdas/core/errors';
import { inflateOffThreadPays } from '../../lambdas/core/inflate-placement';
import {
  SHARE_SAMPLE_BYTES,
  twoThreadsLikelyPay,
  watchedShareOfSample,
} from '../../lambdas/core/parse-threads';
import { WATCHED_EVENT_SOURCES } from '../../lambdas/core/services';
import { newLogStats, readLogEvents, type LogStats } from '../../lambdas/core/log-events';
import { looksLikeLogFile } from '../log-files';
import { LineWriter } from '../line-writer';
import { ParseWorker } from '../parse-in-worker';
import { type CliIO, type Command, UsageError } from '../usage';

const USAGE = `Usage: trailwatch parse [options] PATH...

Prints the AWS Glue, Amazon EMR, Amazon Athena and AWS Batch calls found in CloudTrail log files,
one normalized event per line as JSON (the shape is described in docs/normalized-event.md).
PATH is a log file (gzip or plain JSON, as CloudTrail delivers them) or a folder, which is read
recursively in sorted order: only its files named *.json.gz, *.json or *.gz are read, and hidden
entries (names starting with a dot) are skipped. A file named as PATH is always read.

On stderr: one line per file that could not be read (\`<file>: <reason>\`), then a summary of
files, records read, events kept and records skipped by reason.

Exit status: 0 every file was read; 1 some file could not be read (the others are still printed);
2 usage error.

Options:
  -h, --help   Show this help and exit`;

/** A path to read, or a path that could not even be listed. */
type Target =
  | { readonly display: string; readonly file: string; readonly bytes: number }
  | { readonly display: string; readonly error: string };

// Plain words for the file-system errors a user can meet, instead of Node's `ENOENT: ..., open '...'`.
const ERRNO_WORDS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a folder, not a file',
  ENOTDIR: 'a part of the path is not a folder',
  ELOOP: 'too many levels of symbolic links',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
};

function reasonOf(err: unknown): string {
  if (err instanceof LogFileError) return err.message;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && ERRNO_WORDS[code]) return ERRNO_WORDS[code];
  const message = (err as { message?: unknown } | undefined)?.message;
  return `unexpected error: ${(typeof message === 'string' ? message : String(err)).split('\n')[0]}`;
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// Depth-first in sorted order, so output is the same on every machine; real paths already seen are
// not entered again, so a symbolic link back up the tree cannot loop. Inside a folder only files
// named like log files are read (`given` is false there); a file named on the command line always is.
async function* walk(
  display: string,
  absolute: string,
  seen: Set<string>,
  given = true,
): AsyncGenerator<Target> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(absolute);
  } catch (err) {
    yield { display, error: reasonOf(err) };
    return;
  }
  if (stat.isFile()) {
    if (given || looksLikeLogFile(absolute)) yield { display, file: absolute, bytes: stat.size };
    return;
  }
  if (!stat.isDirectory()) {
    yield { display, error: 'not a regular file or folder' };
    return;
  }
  let names: string[];
  try {
    const real = await fs.promises.realpath(absolute);
    if (seen.has(real)) return;
    seen.add(real);
    names = (await fs.promises.readdir(absolute)).filter((n) => !n.startsWith('.')).sort(byName);
  } catch (err) {
    yield { display, error: reasonOf(err) };
    return;
  }
  for (const name of names) {
    yield* walk(path.join(display, name), path.join(absolute, name), seen, false);
  }
}

async function readFileEvents(file: string, stats: LogStats, writer: LineWriter): Promise<void> {
  // Streamed: a log file is never held whole, whatever its size.
  const stream = fs.createReadStream(file);
  // A large file inflates on a worker thread while this one scans and normalizes (unknown size: in place).
  const inflateOffThread = inflateOffThreadPays(fileSize(file), os.availableParallelism());
  try {
    for await (const event of readLogEvents(stream, stats, { inflateOffThread })) {
      if (writer.add(JSON.stringify(event) + '\n') && !(await writer.flush())) return;
    }
  } finally {
    stream.destroy();
    // The file's events go out before any line about it on stderr.
    await writer.flush();
  }
}

/** The file's size, or undefined where it cannot be known before reading (the read then reports why). */
function fileSize(file: string): number | undefined {
  try {
    return fs.statSync(file).size;
  } catch {
    return undefined;
  }
}

/**
 * The watched share of the records in the file's first SHARE_SAMPLE_BYTES (inflated when gzipped), or
 * undefined when it cannot be told; the read that follows reports what is wrong with the file.
 */
async function sampleShare(file: string): Promise<number | undefined> {
  let start: Buffer;
  try {
    const handle = await fs.promises.open(file, 'r');
    try {
      const buffer = Buffer.alloc(SHARE_SAMPLE_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, SHARE_SAMPLE_BYTES, 0);
      start = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
    // A cut gzip member inflates as far as it goes with a sync flush.
    const text =
      start[0] === 0x1f && start[1] === 0x8b
        ? zlib.gunzipSync(start, { finishFlush: zlib.constants.Z_SYNC_FLUSH })
        : start;
    return watchedShareOfSample(text.toString('utf8'), WATCHED_SOURCES);
  } catch {
    return undefined;
  }
}

const WATCHED_SOURCES: ReadonlySet<string> = new Set(WATCHED_EVENT_SOURCES);

/**
 * Files from this size on may be parsed on two threads (ParseWorker: this thread reads, inflates and scans,
 * a worker turns the watched records into lines), when their sample says it pays (core/parse-threads.ts).
 * A smaller file is over before a worker would be ready.
 */
const WORKER_MIN_BYTES = 4 * 1024 * 1024;

/**
 * TRAILWATCH_PARSE_WORKER: `auto` (the default: two threads where they pay, in files from WORKER_MIN_BYTES
 * on), `on` (two threads for every file, the worker started before the first batch: what the tests
 * compare), `off` (one).
 */
type WorkerMode = 'auto' | 'on' | 'off';

function workerMode(env: NodeJS.ProcessEnv): WorkerMode {
  const value = env.TRAILWATCH_PARSE_WORKER ?? 'auto';
  if (value === 'auto' || value === 'on' || value === 'off') return value;
  throw new UsageError(`TRAILWATCH_PARSE_WORKER must be auto, on or off, not '${value}'`);
}

function summary(files: number, failed: number, stats: LogStats): string {
  const skipped = Object.entries(stats.recordsSkipped).sort(([a], [b]) => byName(a, b));
  const skippedTotal = skipped.reduce((sum, [, n]) => sum + n, 0);
  const detail =
    skipped.length === 0 ? '' : ` (${skipped.map(([reason, n]) => `${reason} ${n}`).join(', ')})`;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return (
    `trailwatch parse: ${plural(files, 'file')}: ${files - failed} read, ${failed} failed; ` +
    `${plural(stats.recordsRead, 'record')} read, ${plural(stats.eventsKept, 'event')} kept, ${skippedTotal} skipped${detail}`
  );
}

function parseParseArgs(argv: string[]): { help: boolean; paths: string[] } {
  const { values, positionals } = parseCommandLine(argv, { help: { type: 'boolean', short: 'h' } }, true);
  return { help: values.help === true, paths: positionals };
}

/** `trailwatch parse PATH...`: prints the normalized events of local CloudTrail log files as JSON lines. */
export const parseCommand: Command = {
  async run(argv: string[], io: CliIO): Promise<number> {
    const { help, paths } = parseParseArgs(argv);
    if (help) {
      io.stdout.write(USAGE + '\n');
      return 0;
    }
    if (paths.length === 0) {
      throw new UsageError("no PATH given. Usage: trailwatch parse PATH... (see 'trailwatch parse --help')");
    }
    const mode = workerMode(io.env);
    let worker: ParseWorker | undefined;
    const stats = newLogStats();
    const writer = new LineWriter(io.stdout);
    const seen = new Set<string>();
    let files = 0;
    let failed = 0;
    try {
      for (const given of paths) {
        for await (const target of walk(given, path.resolve(io.cwd, given), seen)) {
          if (writer.failure) break;
          files += 1;
          if ('error' in target) {
            failed += 1;
            io.stderr.write(`${target.display}: ${target.error}\n`);
            continue;
          }
          try {
            if (
              mode === 'on' ||
              (mode === 'auto' &&
                target.bytes >= WORKER_MIN_BYTES &&
                twoThreadsLikelyPay(await sampleShare(target.file)))
            ) {
              worker ??= new ParseWorker({ always: mode === 'on' });
              await worker.readFile(target.file, stats, writer);
            } else {
              await readFileEvents(target.file, stats, writer);
            }
          } catch (err) {
            failed += 1;
            io.stderr.write(`${target.display}: ${reasonOf(err)}\n`);
          }
        }
        if (writer.failure) break;
      }
    } finally {
      writer.release();
      await worker?.close();
    }
    if (writer.brokenByUs) {
      io.stderr.write(
        `trailwatch parse: cannot write to stdout: ${writer.failure?.message ?? 'unknown error'}\n`,
      );
      return 1;
    }
    io.stderr.write(summary(files, failed, stats) + '\n');
    return failed === 0 ? 0 : 1;
  },
};
