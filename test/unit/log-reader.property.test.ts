import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { LogFileError } from '../../lambdas/core/errors';
import { newReadStats, readWatchedRecords } from '../../lambdas/core/log-reader';
import { seededRandom } from '../../local/seeded-random';
import { WATCHED_EVENT_SOURCES } from '../../lambdas/core/services';

// Property: on any valid CloudTrail-like file, however it is encoded and chunked, the streaming reader
// yields exactly what JSON.parse of the whole file followed by a filter of Records would, in order.

const WATCHED = new Set(WATCHED_EVENT_SOURCES);

/** What the obvious approach keeps from a parsed document. */
function expectedRecords(doc: { Records: unknown[] }): unknown[] {
  return doc.Records.filter((r) => {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) return false;
    const source = (r as { eventSource?: unknown }).eventSource;
    return typeof source === 'string' && WATCHED.has(source);
  });
}

/**
 * JSON text of a value, with random (valid) whitespace and random \uXXXX escapes of ordinary characters,
 * so that keys such as `eventSource` and `Records` also appear in escaped spellings.
 */
function serialize(value: unknown, random: () => number): string {
  const ws = (): string => (random() < 0.8 ? '' : [' ', '\n', '\t', '\r\n  '][Math.floor(random() * 4)]!);
  const str = (s: string): string => {
    let out = '"';
    for (let k = 0; k < s.length; k++) {
      const unit = s.charCodeAt(k);
      const pair =
        unit >= 0xd800 && unit <= 0xdbff && k + 1 < s.length && (s.charCodeAt(k + 1) & 0xfc00) === 0xdc00;
      const lone = (unit & 0xf800) === 0xd800 && !pair;
      if (random() < 0.1 || lone) {
        out += `\\u${unit.toString(16).padStart(4, '0')}`;
      } else if (unit === 0x22 || unit === 0x5c || unit < 0x20) {
        out += JSON.stringify(s[k]).slice(1, -1);
      } else if (pair) {
        out += s.slice(k, k + 2);
        k++;
      } else {
        out += s[k];
      }
    }
    return `${out}"`;
  };
  const walk = (v: unknown): string => {
    if (v === null || typeof v !== 'object') return typeof v === 'string' ? str(v) : JSON.stringify(v);
    if (Array.isArray(v)) return `[${ws()}${v.map((e) => ws() + walk(e) + ws()).join(',')}]`;
    const entries = Object.entries(v as Record<string, unknown>);
    return `{${ws()}${entries.map(([k, e]) => `${ws()}${str(k)}${ws()}:${ws()}${walk(e)}${ws()}`).join(',')}}`;
  };
  return ws() + walk(value) + ws();
}

const otherSources = fc.constantFrom(
  'ec2.amazonaws.com',
  's3.amazonaws.com',
  'glue.amazonaws.co',
  'GLUE.amazonaws.com',
  ' glue.amazonaws.com',
  '',
);
// Characters that matter to a scanner: quotes and backslashes (escaped in JSON), multi-byte UTF-8, anything.
const trickyUnit = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('"', '\\', '}', ']', 'é', '😀') },
  { weight: 4, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
);
const anyJson = fc.jsonValue({ maxDepth: 3, stringUnit: trickyUnit });
const key = fc.string({ unit: trickyUnit, maxLength: 12 });
// Long strings take the scanner's other path (jumping from quote to quote).
const longString = fc.string({ unit: trickyUnit, minLength: 20, maxLength: 150 });

/** A record-like object: an eventSource (watched, other, not a string, or none) among arbitrary fields. */
const recordLike = fc
  .record({
    fields: fc.dictionary(fc.oneof(key, longString), fc.oneof(anyJson, longString), { maxKeys: 5 }),
    eventSource: fc.option(fc.oneof(fc.constantFrom(...WATCHED_EVENT_SOURCES), otherSources, anyJson), {
      nil: undefined,
    }),
    // A watched eventSource and a `Records` array deeper down must not count.
    nested: fc.option(
      fc.record({
        eventSource: fc.constantFrom(...WATCHED_EVENT_SOURCES),
        Records: fc.array(fc.constant({ eventSource: 'glue.amazonaws.com' }), { maxLength: 2 }),
      }),
      { nil: undefined },
    ),
    at: fc.nat(),
  })
  .map(({ fields, eventSource, nested, at }) => {
    const entries: [string, unknown][] = Object.entries(fields).filter(([k]) => k !== 'eventSource');
    if (nested) entries.splice(at % (entries.length + 1), 0, ['requestParameters', nested]);
    if (eventSource !== undefined) entries.splice(at % (entries.length + 1), 0, ['eventSource', eventSource]);
    return Object.fromEntries(entries);
  });

const element = fc.oneof({ weight: 4, arbitrary: recordLike }, { weight: 1, arbitrary: anyJson });

/** A CloudTrail-like document: Records among other top-level keys that hold record-like objects. */
const documentArb = fc
  .record({
    records: fc.array(element, { maxLength: 12 }),
    around: fc.dictionary(
      key.filter((k) => k !== 'Records'),
      fc.oneof(anyJson, fc.array(recordLike, { maxLength: 3 })),
      { maxKeys: 4 },
    ),
    at: fc.nat(),
  })
  .map(({ records, around, at }) => {
    const entries: [string, unknown][] = Object.entries(around);
    entries.splice(at % (entries.length + 1), 0, ['Records', records]);
    return Object.fromEntries(entries) as { Records: unknown[] };
  });

const encodingArb = fc.record({
  seed: fc.integer(),
  bom: fc.boolean(),
  compression: fc.constantFrom('none', 'gzip', 'multi-member gzip'),
  cuts: fc.array(fc.nat(), { maxLength: 24 }),
  oneByteChunks: fc.nat(3).map((n) => n === 0),
});

type Encoding = { seed: number; bom: boolean; compression: string; cuts: number[]; oneByteChunks: boolean };

/** The file's bytes, compressed as asked (multi-member: the JSON cut at the first few cut points). */
function encode(text: string, enc: Encoding): Buffer {
  const plain = Buffer.concat([
    enc.bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0),
    Buffer.from(text, 'utf8'),
  ]);
  if (enc.compression === 'none') return plain;
  if (enc.compression === 'gzip') return zlib.gzipSync(plain);
  const points = [...new Set(enc.cuts.slice(0, 3).map((c) => c % (plain.length + 1)))].sort((a, b) => a - b);
  const bounds = [0, ...points, plain.length];
  return Buffer.concat(bounds.slice(1).map((end, k) => zlib.gzipSync(plain.subarray(bounds[k], end))));
}

/** The bytes cut into chunks at arbitrary points (or into single bytes). */
function* chunked(bytes: Buffer, enc: Encoding): Generator<Uint8Array> {
  // Single bytes for files of up to a few KB (beyond that they only make the test slow, not stronger).
  if (enc.oneByteChunks && bytes.length <= 4096) {
    for (let k = 0; k < bytes.length; k++) yield bytes.subarray(k, k + 1);
    return;
  }
  const points = [...new Set(enc.cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  for (const p of [...points, bytes.length]) {
    yield bytes.subarray(from, p); // empty chunks included: a source may deliver them
    from = p;
  }
}

async function* asAsync(chunks: Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield* chunks;
}

describe('readWatchedRecords: properties', () => {
  test('yields exactly the watched records that JSON.parse of the whole file would, in order', async () => {
    await fc.assert(
      fc.asyncProperty(documentArb, encodingArb, async (doc, enc) => {
        // Prepare
        const text = serialize(doc, seededRandom(enc.seed));
        const parsed = JSON.parse(text) as { Records: unknown[] };
        const bytes = encode(text, enc);
        const stats = newReadStats();
        // Act
        const got: unknown[] = [];
        for await (const record of readWatchedRecords(asAsync(chunked(bytes, enc)), { stats }))
          got.push(record);
        // Assess
        expect(got).toEqual(expectedRecords(parsed));
        expect(stats.recordsRead).toBe(parsed.Records.length);
        expect(stats.recordsMatched).toBe(got.length);
        const skipped = Object.values(stats.recordsSkipped).reduce((a, b) => a + b, 0);
        expect(stats.recordsMatched + skipped).toBe(parsed.Records.length);
        expect(stats.bytesIn).toBe(bytes.length);
      }),
      { numRuns: 250 },
    );
  });

  test('inflating on a worker thread yields the same records and counts, and the same error, as in place', async () => {
    await fc.assert(
      fc.asyncProperty(
        documentArb,
        encodingArb,
        fc.double({ min: 0, max: 1, noNaN: true }),
        async (doc, enc, where) => {
          // Prepare: a gzip file, whole or cut short (1 is whole).
          const full = encode(serialize(doc, seededRandom(enc.seed)).trimEnd(), {
            ...enc,
            compression: enc.compression === 'none' ? 'gzip' : enc.compression,
          });
          const bytes = full.subarray(0, Math.ceil(where * full.length));
          const read = async (inflateOffThread: boolean) => {
            const stats = newReadStats();
            const records: unknown[] = [];
            try {
              for await (const record of readWatchedRecords(asAsync(chunked(bytes, enc)), {
                stats,
                inflateOffThread,
              }))
                records.push(record);
              return { records, stats, error: undefined };
            } catch (err) {
              return { records, stats, error: String(err) };
            }
          };
          // Act
          const inPlace = await read(false);
          const offThread = await read(true);
          // Assess
          expect(offThread).toEqual(inPlace);
        },
      ),
      // Each run starts a worker (tens of milliseconds): fewer runs than the in-place properties.
      { numRuns: 40 },
    );
  });

  test('a file cut short anywhere is a LogFileError, never a hang or another error', async () => {
    await fc.assert(
      fc.asyncProperty(
        documentArb,
        encodingArb,
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        async (doc, enc, where) => {
          // Prepare: the encoded file without its tail (at least one byte missing). Trailing whitespace is
          // dropped first: cutting only that would leave a complete file.
          const bytes = encode(serialize(doc, seededRandom(enc.seed)).trimEnd(), enc);
          const cut = bytes.subarray(0, Math.floor(where * bytes.length));
          // Act
          const reading = (async () => {
            for await (const _ of readWatchedRecords(asAsync(chunked(cut, enc)))) void _;
          })();
          // Assess
          await expect(reading).rejects.toThrow(LogFileError);
        },
      ),
      { numRuns: 100 },
    );
  });

  test('arbitrary bytes either read cleanly or fail with a LogFileError', async () => {
    const garbage = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s)),
      fc
        .string({ unit: fc.constantFrom(...'{}[]":,\\ tfn0123-.eE'.split('')), maxLength: 80 })
        .map((s) => Buffer.from(`{"Records":[${s}`)),
    );
    await fc.assert(
      fc.asyncProperty(garbage, fc.boolean(), encodingArb, async (raw, compress, enc) => {
        // Prepare
        const bytes = compress ? zlib.gzipSync(raw) : Buffer.from(raw);
        let parsedWhole: unknown;
        try {
          parsedWhole = JSON.parse(Buffer.from(raw).toString('utf8'));
        } catch {
          parsedWhole = undefined;
        }
        // Act
        let outcome: 'read' | Error = 'read';
        try {
          for await (const _ of readWatchedRecords(asAsync(chunked(bytes, enc)))) void _;
        } catch (err) {
          outcome = err as Error;
        }
        // Assess: no other kind of error, and no false alarm: what JSON.parse reads as a log file, the reader reads.
        if (outcome !== 'read') expect(outcome).toBeInstanceOf(LogFileError);
        const isLog =
          typeof parsedWhole === 'object' &&
          parsedWhole !== null &&
          Array.isArray((parsedWhole as { Records?: unknown }).Records);
        if (isLog) expect(outcome).toBe('read');
      }),
      { numRuns: 200 },
    );
  });
});
