import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { RecordsScanner, type ScanCounters } from '../../lambdas/core/json-records-scanner';
import { RecordSkipper } from '../../lambdas/core/record-skipper';
import { RECORD_SKIPPER_WASM } from '../../lambdas/core/record-skipper-wasm.generated';
import { seededRandom as prng } from '../../local/seeded-random';

// The WebAssembly record skipper (lambdas/core/record-skipper.wat) walks whole records for the scanner. It
// must change nothing but the speed: on any document, however chunked, the scanner with it hands out the
// same records, counts the same and fails with the same message as the scanner walking every byte in
// JavaScript, and both agree with JSON.parse of the whole document on valid ones.

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the build script is plain CommonJS
const buildWasm = require('../../scripts/build-wasm.js') as {
  generate(wat: string): Promise<string>;
  SOURCE: string;
  TARGET: string;
};

const CORPUS = path.resolve(__dirname, '../../../shared/corpus/grycap-cloudtrail');
const required = process.env.TRAILWATCH_REQUIRE_CORPUS === '1';
const WANTED = new Set(['glue.amazonaws.com', 'athena.amazonaws.com']);

interface Outcome {
  readonly records: unknown[];
  readonly counters: ScanCounters;
  readonly error?: string;
}

/** Scans the bytes in chunks of the given sizes (cycled), with or without the skipper. */
function scan(bytes: Buffer, sizes: readonly number[], accelerate: boolean, wanted = WANTED): Outcome {
  const counters: ScanCounters = { recordsRead: 0, recordsMatched: 0, recordsSkipped: {} };
  const scanner = new RecordsScanner({ wanted, counters, accelerate });
  const records: unknown[] = [];
  try {
    for (let at = 0, k = 0; at < bytes.length; k++) {
      const size = sizes[k % sizes.length]!;
      records.push(...scanner.push(bytes.subarray(at, at + size)));
      at += size;
    }
    scanner.finish();
  } catch (err) {
    return { records, counters, error: (err as Error).message };
  }
  return { records, counters };
}

/** What JSON.parse of the whole document followed by a filter of Records keeps. */
function expected(text: string, wanted = WANTED): unknown[] {
  const doc = JSON.parse(text) as { Records: unknown[] };
  return doc.Records.filter((r) => {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) return false;
    const source = (r as { eventSource?: unknown }).eventSource;
    return typeof source === 'string' && wanted.has(source);
  });
}

// Strings that matter to the skipper: long runs (several 64-byte blocks), quotes and backslashes (escaped),
// brackets and commas inside strings, multi-byte characters.
const piece = fc.constantFrom('"', '\\', '{', '}', '[', ']', ',', ':', 'é', '😀', ' ', 'x'.repeat(70), 'abc');
const text = fc.array(piece, { maxLength: 12 }).map((parts) => parts.join(''));
const sources = fc.constantFrom(
  'glue.amazonaws.com',
  'athena.amazonaws.com',
  'ec2.amazonaws.com',
  'glue.amazonaws.co',
  '',
);
const payload = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text,
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(text, fc.constant('eventSource')), tie('value'), { maxKeys: 4 }),
  ),
})).value;
// A record: its own keys in any order, eventSource anywhere (also twice, nested, not a string, missing).
const record = fc
  .record({
    before: fc.dictionary(text, payload, { maxKeys: 3 }),
    eventSource: fc.oneof(sources, fc.constant(undefined), fc.integer(), payload),
    after: fc.dictionary(text, payload, { maxKeys: 3 }),
    again: fc.option(sources, { nil: undefined }),
  })
  .map(({ before, eventSource, after, again }) => {
    const r: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(before)) if (k !== 'eventSource') r[k] = v;
    if (eventSource !== undefined) r.eventSource = eventSource;
    for (const [k, v] of Object.entries(after)) if (k !== 'eventSource') r[k] = v;
    if (again !== undefined) r.eventSource = again;
    return r;
  });
const element = fc.oneof({ weight: 8, arbitrary: record }, { weight: 1, arbitrary: payload });

/** JSON text with random whitespace and random \u escapes of a key's or value's characters. */
function serialize(value: unknown, random: () => number): string {
  const ws = (): string => (random() < 0.85 ? '' : [' ', '\n', '\t', '\r\n  '][Math.floor(random() * 4)]!);
  const str = (s: string): string =>
    random() < 0.1
      ? `"${[...s].map((ch) => (ch.length === 1 ? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}` : ch)).join('')}"`
      : JSON.stringify(s);
  const walk = (v: unknown): string => {
    if (v === null || typeof v !== 'object') return typeof v === 'string' ? str(v) : JSON.stringify(v);
    if (Array.isArray(v)) return `[${ws()}${v.map((e) => ws() + walk(e) + ws()).join(',')}]`;
    const entries = Object.entries(v as Record<string, unknown>);
    return `{${ws()}${entries.map(([k, e]) => `${ws()}${str(k)}${ws()}:${ws()}${walk(e)}${ws()}`).join(',')}}`;
  };
  return walk(value);
}

const chunkSizes = fc.oneof(
  fc.constant([1 << 20]),
  fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 5 }),
  fc.array(fc.integer({ min: 60, max: 70 }), { minLength: 1, maxLength: 3 }),
);

describe('record skipper', () => {
  test('is available on this Node (so the tests below compare the two walks)', () => {
    // Assess
    expect(RecordSkipper.shared()).toBeDefined();
  });

  test('the generated module is the compiled record-skipper.wat (run npm run build:wasm after a change)', async () => {
    // Act
    const generated = await buildWasm.generate(fs.readFileSync(buildWasm.SOURCE, 'utf8'));
    // Assess
    expect(fs.readFileSync(buildWasm.TARGET, 'utf8')).toBe(generated);
    expect(generated).toContain(RECORD_SKIPPER_WASM);
  });

  test('valid documents: the same records and counts as the JavaScript walk and as JSON.parse', () => {
    fc.assert(
      fc.property(fc.array(element, { maxLength: 25 }), fc.integer(), chunkSizes, (elements, seed, sizes) => {
        // Prepare
        const doc = `{"Records":[${elements.map((e) => serialize(e, prng(seed))).join(',')}]}`;
        const bytes = Buffer.from(doc, 'utf8');
        // Act
        const fast = scan(bytes, sizes, true);
        const slow = scan(bytes, sizes, false);
        // Assess
        expect(fast.error).toBeUndefined();
        expect(fast).toEqual(slow);
        expect(fast.records).toEqual(expected(doc));
      }),
      { numRuns: 300 },
    );
  });

  test('damaged documents: the same outcome, error message included, as the JavaScript walk', () => {
    fc.assert(
      fc.property(
        fc.array(record, { minLength: 1, maxLength: 12 }),
        fc.integer(),
        fc.array(fc.tuple(fc.nat(), piece), { minLength: 1, maxLength: 3 }),
        chunkSizes,
        (records, seed, damage, sizes) => {
          // Prepare: a few pieces inserted at random places
          let doc = `{"Records":[${records.map((e) => serialize(e, prng(seed))).join(',')}]}`;
          for (const [at, what] of damage) {
            const k = at % doc.length;
            doc = doc.slice(0, k) + what + doc.slice(k);
          }
          const bytes = Buffer.from(doc, 'utf8');
          // Act
          const fast = scan(bytes, sizes, true);
          const slow = scan(bytes, sizes, false);
          // Assess
          expect(fast).toEqual(slow);
        },
      ),
      { numRuns: 300 },
    );
  });

  describe('on the real CloudTrail corpus', () => {
    if (!fs.existsSync(CORPUS) && !required) {
      test.skip(`skipped: ${CORPUS} does not exist (set TRAILWATCH_REQUIRE_CORPUS=1 to make this a failure)`, () =>
        undefined);
      return;
    }

    test('every file, wanting half of its event sources: the same records as both references', () => {
      // Prepare
      const files = fs.readdirSync(CORPUS).filter((f) => f.endsWith('.json.gz'));
      expect(files.length).toBeGreaterThan(0);
      let compared = 0;
      for (const file of files) {
        const bytes = zlib.gunzipSync(fs.readFileSync(path.join(CORPUS, file)));
        const doc = bytes.toString('utf8');
        const all = [
          ...new Set(
            (JSON.parse(doc) as { Records: { eventSource: string }[] }).Records.map((r) => r.eventSource),
          ),
        ].sort();
        const wanted = new Set(all.filter((_, k) => k % 2 === 0));
        for (const sizes of [[1 << 20], [4096], [97, 1000, 64]]) {
          // Act
          const fast = scan(bytes, sizes, true, wanted);
          const slow = scan(bytes, sizes, false, wanted);
          // Assess
          expect(fast.error).toBeUndefined();
          expect(fast).toEqual(slow);
          expect(fast.records).toEqual(expected(doc, wanted));
          compared += fast.records.length;
        }
      }
      expect(compared).toBeGreaterThan(0);
    });
  });
});
