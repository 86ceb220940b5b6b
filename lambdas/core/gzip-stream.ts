import * as zlib from 'node:zlib';
import { LogFileError } from './errors';

/**
 * Size of the decompressed chunks. Per-chunk costs (zlib callbacks, stream hand-offs, copying the record that
 * straddles two chunks) are real: on 200 MB, 512 KB chunks read 10% faster than 128 KB and 15% faster than
 * 64 KB; two of them in flight cost about 1 MB of memory.
 */
export const GUNZIP_CHUNK_SIZE = 512 * 1024;

/** True when the bytes start with the gzip magic number (1f 8b). */
export function startsWithGzipMagic(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/**
 * Decompresses a gzip byte stream (one or more concatenated members) chunk by chunk with backpressure.
 * zlib errors become LogFileError (truncated or corrupt data); errors of the source pass through unchanged.
 */
export async function* gunzipChunks(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer, void, undefined> {
  // Two chunks of buffer let zlib (on the thread pool) inflate the next chunk while the caller scans this one.
  const options: zlib.ZlibOptions & { highWaterMark: number } = {
    chunkSize: GUNZIP_CHUNK_SIZE,
    highWaterMark: 2 * GUNZIP_CHUNK_SIZE, // a stream option zlib passes on (missing from its typings)
  };
  const gunzip = zlib.createGunzip(options);
  const feeding = feed(source, gunzip);
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) yield chunk;
  } catch (err) {
    throw isZlibError(err) ? gzipError(err) : err;
  } finally {
    // Not awaited: the feeder may be waiting on a slow source; it stops at its next step once it sees the
    // stream destroyed, and it never rejects.
    gunzip.destroy();
    void feeding;
  }
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

function isZlibError(err: unknown): err is NodeJS.ErrnoException {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}

function gzipError(err: NodeJS.ErrnoException): LogFileError {
  if (err.code === 'Z_BUF_ERROR') return new LogFileError('gzip data is truncated', { cause: err });
  return new LogFileError(`gzip data is corrupt (${err.message})`, { cause: err });
}
