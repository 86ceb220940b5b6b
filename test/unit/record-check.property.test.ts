import fc from 'fast-check';
import { z } from 'zod';
import { cloudTrailRecordSchema } from '../../lambdas/core/cloudtrail-record';
import { normalizeAnyIsoTime, normalizeEventTime } from '../../lambdas/core/event-time';
import { checkCloudTrailRecord, cheapRecordVerdict, RECORD_RULES } from '../../lambdas/core/record-check';
import { seedRecords } from '../../local/seed-records';

// Property: the cheap path (record-check.ts) accepts and rejects exactly what the record schema does, and
// what it accepts as-is is exactly the schema's result. The records are generated from the schema itself
// (its fields, at every level, with right and wrong values), so the schema alone is the oracle.

/** The object schema under optional() and the null-dropping preprocess, or undefined for a leaf. */
function objectShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  let s: unknown = schema;
  for (;;) {
    if (s instanceof z.ZodOptional) s = s.unwrap();
    else if (s instanceof z.ZodPipe) s = s.out;
    else break;
  }
  return s instanceof z.ZodObject ? (s.shape as Record<string, z.ZodType>) : undefined;
}

function arrayElement(schema: z.ZodType): z.ZodType | undefined {
  const s = schema instanceof z.ZodOptional ? schema.unwrap() : schema;
  return s instanceof z.ZodArray ? (s.element as z.ZodType) : undefined;
}

function leafKind(schema: z.ZodType): 'string' | 'boolean' | 'unknown' {
  const s = schema instanceof z.ZodOptional ? schema.unwrap() : schema;
  if (s instanceof z.ZodString) return 'string';
  if (s instanceof z.ZodBoolean) return 'boolean';
  if (s instanceof z.ZodUnknown) return 'unknown';
  throw new Error(`the test does not know this schema type: ${s.constructor.name}`);
}

const times = fc.oneof(
  fc.constantFrom(
    '2024-05-01T08:00:00Z',
    '2024-02-29T23:59:59Z',
    '2023-02-29T10:00:00Z', // not a day
    '2024-13-01T00:00:00Z',
    '2024-05-01T24:00:00Z',
    '2024-05-01T08:00:00.123Z',
    '2024-05-01 08:00:00+02:00',
    'yesterday',
  ),
  fc
    .date({
      min: new Date('1970-01-01T00:00:00Z'),
      max: new Date('2100-01-01T00:00:00Z'),
      noInvalidDate: true,
    })
    .map((d) => `${d.toISOString().slice(0, 19)}Z`),
);
const strings = fc.oneof(fc.string({ maxLength: 12 }), times, fc.constant(''));
/** Wrong values for any field: types the schema does not take, empty containers, lists of nothing useful. */
const wrong = fc.oneof(
  fc.constant(''),
  fc.string({ maxLength: 6 }),
  fc.integer(),
  fc.boolean(),
  fc.constant([]),
  fc.constant({}),
  fc.constant([{}]),
  fc.constant([null]),
);

/** How often a field gets null or a wrong value instead of a right one (in 1000). */
interface Noise {
  readonly nulls: number;
  readonly wrongs: number;
}

/** Mostly right values for the schema; null and wrong values as often as the noise says. */
function valueFor(schema: z.ZodType, noise: Noise): fc.Arbitrary<unknown> {
  const shape = objectShape(schema);
  const element = arrayElement(schema);
  let right: fc.Arbitrary<unknown>;
  if (shape) right = objectFor(shape, noise);
  else if (element) right = fc.array(valueFor(element, noise), { maxLength: 3 });
  else {
    const kind = leafKind(schema);
    right = kind === 'string' ? strings : kind === 'boolean' ? fc.boolean() : fc.jsonValue({ maxDepth: 2 });
  }
  const choices: fc.WeightedArbitrary<unknown>[] = [{ weight: 1000, arbitrary: right }];
  if (noise.nulls > 0) choices.push({ weight: noise.nulls, arbitrary: fc.constant(null) });
  if (noise.wrongs > 0) choices.push({ weight: noise.wrongs, arbitrary: wrong });
  return fc.oneof(...choices);
}

function objectFor(shape: Record<string, z.ZodType>, noise: Noise): fc.Arbitrary<Record<string, unknown>> {
  const fields = Object.fromEntries(Object.entries(shape).map(([k, s]) => [k, valueFor(s, noise)]));
  const extra =
    noise.nulls + noise.wrongs > 0 ? fc.oneof(wrong, fc.constant(null), fc.jsonValue()) : fc.jsonValue();
  // Every known field may be left out; fields the schema does not know pass through it (null ones dropped).
  return fc
    .tuple(
      fc.record(fields, { requiredKeys: [] }),
      fc.dictionary(fc.constantFrom('futureField', 'extra', 'eventSourceX'), extra, { maxKeys: 2 }),
    )
    .map(([known, more]) => ({ ...more, ...known }));
}

const recordShape = objectShape(cloudTrailRecordSchema())!;
const requiredFields = fc.record({
  eventSource: fc.constantFrom('glue.amazonaws.com', 'athena.amazonaws.com'),
  eventName: fc.constantFrom('StartJobRun', 'GetQueryExecution'),
  eventTime: times,
  eventID: fc.uuid(),
});
/** Clean records, records with a few nulls, noisy records: each of the three verdicts comes up often. */
const records = fc
  .tuple(
    fc.oneof(
      objectFor(recordShape, { nulls: 0, wrongs: 0 }),
      objectFor(recordShape, { nulls: 40, wrongs: 0 }),
      objectFor(recordShape, { nulls: 20, wrongs: 40 }),
    ),
    requiredFields,
    fc.boolean(),
  )
  .map(([random, required, keepRandomRequired]) =>
    keepRandomRequired ? random : { ...random, ...required },
  );

describe('the cheap record check against the record schema', () => {
  it('names exactly the schema fields, at every level', () => {
    // Walks the rules and the schema side by side: a field added to one only fails here.
    const compare = (
      rules: ReadonlyMap<string, unknown>,
      shape: Record<string, z.ZodType>,
      at: string,
    ): void => {
      expect([...rules.keys()].sort()).toEqual(Object.keys(shape).sort());
      for (const [key, rule] of rules) {
        const schema = shape[key]!;
        const nested = objectShape(schema);
        const element = arrayElement(schema);
        if (nested) compare(rule as ReadonlyMap<string, unknown>, nested, `${at}.${key}`);
        else if (element)
          compare(
            (rule as { listOf: ReadonlyMap<string, unknown> }).listOf,
            objectShape(element)!,
            `${at}.${key}[]`,
          );
        else
          expect({ at: `${at}.${key}`, rule: typeof rule }).toEqual({ at: `${at}.${key}`, rule: 'number' });
      }
    };
    compare(RECORD_RULES, recordShape, 'record');
  });

  it('accepts and rejects exactly what the schema does, and what it takes as-is is the schema result', () => {
    const seen = { 'as-is': 0, 'needs-schema': 0, invalid: 0 };
    fc.assert(
      fc.property(records, (raw) => {
        // Act
        const verdict = cheapRecordVerdict(raw);
        const parsed = cloudTrailRecordSchema().safeParse(raw);
        const checked = checkCloudTrailRecord(raw);
        seen[verdict]++;
        // Assess
        expect(verdict === 'invalid').toBe(!parsed.success);
        expect(checked.ok).toBe(parsed.success);
        if (verdict === 'as-is') expect(parsed.data).toStrictEqual(raw);
        if (checked.ok) expect(checked.record).toEqual(parsed.data);
        else expect(checked.issues).toEqual(parsed.error?.issues);
      }),
      { numRuns: 800 },
    );
    // The property says something about each verdict only if each one came up often (any seed).
    // Measured on four seeds: as-is 79-89 of the 800 runs (about 10%), needs-schema about 21%, the rest
    // invalid; a bound of 5% is about five standard deviations below the as-is share.
    expect(Math.min(...Object.values(seen))).toBeGreaterThan(40);
  });

  it('takes every seed record as-is (real records need nothing from zod)', () => {
    const verdicts = seedRecords().map((s) => cheapRecordVerdict(s.record));
    expect(verdicts.length).toBeGreaterThan(5);
    expect(verdicts.filter((v) => v !== 'as-is')).toEqual([]);
  });
});

describe("normalizeEventTime's fast path for CloudTrail's own time form", () => {
  it('agrees with the general path on every YYYY-MM-DDTHH:MM:SSZ, real or not', () => {
    const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9999 }).map((n) => String(n).padStart(4, '0')),
        two(14),
        two(33),
        two(25),
        two(61),
        two(61),
        (y, mo, d, h, mi, s) => {
          const text = `${y}-${mo}-${d}T${h}:${mi}:${s}Z`;
          expect(normalizeEventTime(text)).toBe(normalizeAnyIsoTime(text));
        },
      ),
      { numRuns: 5000 },
    );
  });

  it.each([
    '2024-05-01T08:00:0aZ',
    '2024-05-01T08:00:00z',
    '2024/05/01T08:00:00Z',
    ' 2024-05-01T08:00:00Z',
    '2024-05-01T08:00:00+00',
  ])('%j takes the general path and gets its answer', (text) => {
    expect(normalizeEventTime(text)).toBe(normalizeAnyIsoTime(text));
  });
});
