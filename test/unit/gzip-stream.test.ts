import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { LogFileError } from '../../lambdas/core/errors';
import { gunzipChunks, type GunzipOptions } from '../../lambdas/core/gzip-stream';
import { inflateOffThreadPays, OFF_THREAD_MIN_COMPRESSED_BYTES } from '../../lambdas/core/inflate-placement';

// The three engines behind gunzipChunks: they must hand out the same bytes and fail with the same errors.
const ENGINES: { name: string; options: GunzipOptions }[] = [
  { name: 'in place', options: {} },
  { name: 'worker thread', options: { offThread: true } },
  { name: 'zlib stream', options: { inPlace: false } },
];

async function* chunks(bytes: Uint8Array, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield Buffer.from(bytes.subarray(i, i + size));
}

/** Everything the engine hands out, copied as it comes (a chunk is valid only until the next one). */
async function inflateAll(source: AsyncIterable<Buffer>, options: GunzipOptions): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of gunzipChunks(source, options)) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

/** The error inflating these bytes throws. */
async function inflateError(bytes: Buffer, options: GunzipOptions, size = 97): Promise<Error> {
  try {
    await inflateAll(chunks(bytes, size), options);
  } catch (err) {
    return err as Error;
  }
  throw new Error('the engine accepted the data');
}

/** Text of some variety that compresses to many deflate blocks. */
function sampleText(seed: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = 32 + ((x >>> 0) % 24);
  }
  return out;
}

describe.each(ENGINES)('gunzipChunks, $name', ({ options }) => {
  test('hands out the bytes zlib decompresses, for one or more members, any input chunking and chunk size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer(),
        fc.integer({ min: 0, max: 40000 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 64, max: 9000 }),
        fc.boolean(),
        async (seed, length, members, inputChunk, outputChunk, zeroPadding) => {
          // Prepare: the text cut into gzip members, optionally followed by zero padding (which gunzip skips).
          const plain = sampleText(seed, length);
          const cut = Math.ceil(plain.length / members);
          const parts: Buffer[] = [];
          for (let k = 0; k < members; k++) parts.push(zlib.gzipSync(plain.subarray(k * cut, (k + 1) * cut)));
          if (zeroPadding) parts.push(Buffer.alloc(10));
          // Act
          const got = await inflateAll(chunks(Buffer.concat(parts), inputChunk), {
            ...options,
            chunkSize: outputChunk,
          });
          // Assess
          expect(got.equals(plain)).toBe(true);
        },
      ),
      { numRuns: options.offThread === true ? 25 : 100 },
    );
  });

  test.each([
    {
      name: 'truncated data',
      bytes: zlib.gzipSync(sampleText(1, 5000)).subarray(0, 600),
      message: 'gzip data is truncated',
    },
    { name: 'no data at all', bytes: Buffer.alloc(0), message: 'gzip data is truncated' },
    {
      name: 'corrupt data',
      bytes: Buffer.concat([zlib.gzipSync(sampleText(2, 5000)).subarray(0, 20), Buffer.alloc(200, 0xff)]),
      message: /^gzip data is corrupt \(.+\)$/,
    },
    {
      name: 'garbage after a member',
      bytes: Buffer.concat([zlib.gzipSync('hello'), Buffer.from('garbage')]),
      message: /^gzip data is corrupt/,
    },
  ])('$name: LogFileError "$message"', async ({ bytes, message }) => {
    const err = await inflateError(bytes, options);
    expect(err).toBeInstanceOf(LogFileError);
    if (typeof message === 'string') expect(err.message).toBe(message);
    else expect(err.message).toMatch(message);
  });

  test('data corrupt in the middle: the bytes before it come out, then the error', async () => {
    // Prepare: an intact member of several output chunks, then one with an unknown compression method.
    // (Damage inside a deflate block may first decode as garbage; a damaged header fails where it starts.)
    const plain = sampleText(3, 200000);
    const second = zlib.gzipSync(sampleText(4, 1000));
    second[2] = 7;
    const bytes = Buffer.concat([zlib.gzipSync(plain), second]);
    const seen: Buffer[] = [];
    // Act
    const reading = (async () => {
      for await (const chunk of gunzipChunks(chunks(bytes, 1000), { ...options, chunkSize: 4096 }))
        seen.push(Buffer.from(chunk));
    })();
    // Assess
    await expect(reading).rejects.toThrow(/^gzip data is corrupt \(.+\)$/);
    const before = Buffer.concat(seen);
    expect(before.length).toBeGreaterThan(4096);
    expect(before.equals(plain.subarray(0, before.length))).toBe(true);
  });

  test('an error of the source passes through unchanged, after the bytes before it', async () => {
    const failure = new Error('socket hang up');
    const plain = sampleText(4, 50000);
    const bytes = zlib.gzipSync(plain);
    async function* failing(): AsyncGenerator<Buffer> {
      yield bytes.subarray(0, bytes.length >> 1);
      throw failure;
    }
    const seen: Buffer[] = [];
    const reading = (async () => {
      for await (const chunk of gunzipChunks(failing(), { ...options, chunkSize: 1024 }))
        seen.push(Buffer.from(chunk));
    })();
    await expect(reading).rejects.toBe(failure);
    expect(Buffer.concat(seen).equals(plain.subarray(0, Buffer.concat(seen).length))).toBe(true);
  });

  test('a caller that stops early releases the source', async () => {
    // Prepare: a long source that records whether it was closed.
    const bytes = zlib.gzipSync(sampleText(5, 300000));
    let closed = false;
    let pulled = 0;
    async function* source(): AsyncGenerator<Buffer> {
      try {
        for (let i = 0; i < bytes.length; i += 512) {
          pulled++;
          yield bytes.subarray(i, i + 512);
        }
      } finally {
        closed = true;
      }
    }
    // Act: take one chunk, then stop.
    for await (const chunk of gunzipChunks(source(), { ...options, chunkSize: 2048 })) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    // The worker's feeder notices at its next step; give it a few turns.
    for (let k = 0; k < 50 && !closed; k++) await new Promise((resolve) => setImmediate(resolve));
    // Assess: closed, and far from read to the end (the source is read as the caller takes chunks).
    expect(closed).toBe(true);
    expect(pulled).toBeLessThan(Math.ceil(bytes.length / 512));
  });
});

describe('gunzipChunks: buffer reuse', () => {
  test.each([
    { name: 'in place: one buffer for every chunk', options: {}, most: 1 },
    { name: 'worker thread: one shared ring of 4 slots', options: { offThread: true }, most: 4 },
  ])('$name', async ({ options, most }) => {
    // Prepare: enough data for dozens of output chunks.
    const bytes = zlib.gzipSync(sampleText(6, 200000));
    const places = new Set<string>();
    const buffers = new Set<ArrayBufferLike>();
    // Act
    let n = 0;
    for await (const chunk of gunzipChunks(chunks(bytes, 4096), { ...options, chunkSize: 4096 })) {
      buffers.add(chunk.buffer);
      places.add(`${chunk.byteOffset}`);
      n++;
    }
    // Assess: many chunks, no allocation per chunk (what keeps the garbage collector out of a large file).
    expect(n).toBeGreaterThan(40);
    expect(buffers.size).toBe(1);
    expect(places.size).toBeLessThanOrEqual(most);
  });
});

describe('gunzipChunks on a worker thread: a caller that drops the chunks half-way', () => {
  test('does not keep the process alive', () => {
    // Prepare: a process that takes one chunk of a large stream, then neither reads on nor closes it.
    const script = `
      const zlib = require('node:zlib');
      const { gunzipChunks } = require(${JSON.stringify(path.join(__dirname, '../../lambdas/core/gzip-stream.ts'))});
      const bytes = zlib.gzipSync(Buffer.alloc(50 * 1024 * 1024, 'a'));
      async function* source() { for (let i = 0; i < bytes.length; i += 4096) yield bytes.subarray(i, i + 4096); }
      const chunks = gunzipChunks(source(), { offThread: true, chunkSize: 65536 });
      chunks.next().then((first) => console.log('took', first.value.length));
    `;
    // Act
    const run = spawnSync(process.execPath, ['-r', require.resolve('tsx/cjs'), '-e', script], {
      encoding: 'utf8',
      timeout: 30000,
    });
    // Assess: it printed and exited by itself (a worker holding it open would run into the timeout).
    expect(run.error).toBeUndefined();
    expect(run.stdout.trim()).toBe('took 65536');
    expect(run.status).toBe(0);
  });
});

describe('inflateOffThreadPays', () => {
  test.each([
    { bytes: undefined, cpus: 2, pays: false },
    { bytes: 1_000_000, cpus: 2, pays: false },
    { bytes: OFF_THREAD_MIN_COMPRESSED_BYTES - 1, cpus: 8, pays: false },
    { bytes: OFF_THREAD_MIN_COMPRESSED_BYTES, cpus: 2, pays: true },
    { bytes: 400_000_000, cpus: 1, pays: false },
  ])('$bytes compressed bytes on $cpus CPUs: $pays', ({ bytes, cpus, pays }) => {
    expect(inflateOffThreadPays(bytes, cpus)).toBe(pays);
  });
});
