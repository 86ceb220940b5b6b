import * as zlib from 'node:zlib';
import { LogFileError } from './errors';
import { InPlaceGunzip } from './in-place-gunzip';
import { gunzipInWorker } from './worker-gunzip';

/**
 * Size of the decompressed chunks zlib produces per step. Per-chunk costs (zlib calls, hand-offs) are real:
 * inflating in place on 400 MB, 1 MB chunks read 5% faster than 256 KB and 15% faster than 64 KB, and 2 MB
 * no faster. In place one buffer of this size serves the whole file; the stream (the fallback) allocates
 * one per step, and larger chunks let it get further ahead, at a cost in memory: measured reader peak RSS
 * on 200 MB was 91-99 MB with 512 KB, 104-117 MB with 1 MB, 121-140 MB with 2 MB.
 */
export const GUNZIP_CHUNK_SIZE = 1024 * 1024;

/** Options of gunzipChunks. */
export interface GunzipOptions {
  /**
   * Inflate on the calling thread into one reused buffer (default true, where Node's zlib allows it);
   * false uses a zlib stream (thread pool, a fresh buffer per chunk), which the tests compare it with.
   */
  readonly inPlace?: boolean;
  /**
   * Inflate on a worker thread instead, ahead of the caller (see inflateOffThreadPays); only where the in-place
   * engine is available (the worker uses the same zlib handle), otherwise ignored.
   */
  readonly offThread?: boolean;
  /** Largest decompressed chunk handed out; default GUNZIP_CHUNK_SIZE. */
  readonly chunkSize?: number;
}

/**
 * From the stream (the fallback), the caller gets the decompressed bytes in pieces of at most this size, with
 * an event-loop turn after each.
 * zlib (on the thread pool) and the file or network reads restart only when the event loop runs their
 * callbacks, which it cannot do while the caller scans: without a turn between the chunks that are already
 * buffered, the caller scans them back to back and zlib stands idle. Turns every 512 KB let zlib (up to a
 * whole chunk per turn) and the reads get ahead of the scanner, so decompression overlaps scanning.
 */
const SCAN_PIECE_SIZE = 512 * 1024;

/** True when the bytes start with the gzip magic number (1f 8b). */
export function startsWithGzipMagic(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/**
 * Decompresses a gzip byte stream (one or more concatenated members) chunk by chunk, reading the source
 * only as fast as the caller takes the chunks. Each chunk is valid until the caller asks for the next one
 * (the buffer is reused): keep a copy of what must outlive that. zlib errors become LogFileError (truncated
 * or corrupt data); errors of the source pass through unchanged.
 */
export async function* gunzipChunks(
  source: AsyncIterable<Buffer>,
  options: GunzipOptions = {},
): AsyncGenerator<Buffer, void, undefined> {
  const chunkSize = options.chunkSize ?? GUNZIP_CHUNK_SIZE;
  if (options.inPlace !== false && options.offThread === true && InPlaceGunzip.available()) {
    try {
      yield* gunzipInWorker(source, chunkSize);
    } catch (err) {
      throw isZlibError(err) ? gzipError(err) : err;
    }
    return;
  }
  const engine = options.inPlace === false ? undefined : InPlaceGunzip.create(chunkSize);
  if (engine === undefined) {
    yield* gunzipStream(source, chunkSize);
    return;
  }
  try {
    for await (const compressed of source) {
      engine.feed(compressed);
      for (let out = engine.next(false); out !== undefined; out = engine.next(false)) yield out;
    }
    for (let out = engine.next(true); out !== undefined; out = engine.next(true)) yield out;
  } catch (err) {
    throw isZlibError(err) ? gzipError(err) : err;
  } finally {
    engine.close();
  }
}

/** gunzipChunks through a zlib stream: the fallback where the in-place engine is not available. */
async function* gunzipStream(source: AsyncIterable<Buffer>, chunkSize: number): AsyncGenerator<Buffer> {
  // Two chunks of buffer let zlib (on the thread pool) inflate the next chunk while the caller scans this one.
  const options: zlib.ZlibOptions & { highWaterMark: number } = {
    chunkSize,
    highWaterMark: 2 * chunkSize, // a stream option zlib passes on (missing from its typings)
  };
  const gunzip = zlib.createGunzip(options);
  const feeding = feed(source, gunzip);
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      for (let at = 0; at < chunk.length; at += SCAN_PIECE_SIZE) {
        yield at === 0 && chunk.length <= SCAN_PIECE_SIZE ? chunk : chunk.subarray(at, at + SCAN_PIECE_SIZE);
        await nextTurn();
      }
    }
  } catch (err) {
    throw isZlibError(err) ? gzipError(err) : err;
  } finally {
    // Not awaited: the feeder may be waiting on a slow source; it stops at its next step once it sees the
    // stream destroyed, and it never rejects.
    gunzip.destroy();
    void feeding;
  }
}

/** Resolves after the event loop has handled pending I/O callbacks (the check phase follows the poll phase). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Writes the source into the gunzip stream; a source failure destroys the stream with that error. */
async function feed(source: AsyncIterable<Buffer>, gunzip: zlib.Gunzip): Promise<void> {
  try {
    for await (const chunk of source) {
      if (gunzip.destroyed) return;
      if (!gunzip.write(chunk)) await drained(gunzip);
    }
    gunzip.end();
  } catch (err) {
    if (!gunzip.destroyed) gunzip.destroy(err as Error);
  }
}

/** Resolves when the stream wants more input, or can never take any (closed, failed: the reader reports it). */
function drained(gunzip: zlib.Gunzip): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      gunzip.off('drain', done);
      gunzip.off('close', done);
      resolve();
    };
    gunzip.on('drain', done);
    gunzip.on('close', done);
  });
}

function isZlibError(err: unknown): err is Error & { code: string } {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}

function gzipError(err: Error & { code: string }): LogFileError {
  if (err.code === 'Z_BUF_ERROR') return new LogFileError('gzip data is truncated', { cause: err });
  return new LogFileError(`gzip data is corrupt (${err.message})`, { cause: err });
}
