import * as zlib from 'node:zlib';
import { LogFileError } from '../../lambdas/core/errors';
import { newReadStats, readWatchedRecords, type ReadStats } from '../../lambdas/core/log-reader';
import { seedRecords } from '../../local/seed-records';

/** The bytes as a stream of chunks of `size` bytes (the last one shorter). */
async function* chunks(bytes: Uint8Array, size = 65536): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** Reads everything the reader yields (or throws). */
async function readAll(
  bytes: Uint8Array,
  chunkSize?: number,
  options: { eventSources?: ReadonlySet<string> } = {},
) {
  const stats = newReadStats();
  const records: unknown[] = [];
  for await (const record of readWatchedRecords(chunks(bytes, chunkSize), { ...options, stats }))
    records.push(record);
  return { records, stats };
}

/** The message of the LogFileError the reader throws for these bytes. */
async function fileError(bytes: Uint8Array, chunkSize?: number): Promise<string> {
  try {
    await readAll(bytes, chunkSize);
  } catch (err) {
    expect(err).toBeInstanceOf(LogFileError);
    return (err as Error).message;
  }
  throw new Error('the reader accepted the file');
}

/** Deep equality of two JSON values without recursion (for values nested deeper than the stack allows). */
function sameJson(a: unknown, b: unknown): boolean {
  const pending: [unknown, unknown][] = [[a, b]];
  while (pending.length > 0) {
    const [x, y] = pending.pop()!;
    if (x === null || y === null || typeof x !== 'object' || typeof y !== 'object') {
      if (!Object.is(x, y)) return false;
      continue;
    }
    if (Array.isArray(x) !== Array.isArray(y)) return false;
    const xs = x as Record<string, unknown>;
    const ys = y as Record<string, unknown>;
    const keys = Object.keys(xs);
    if (keys.length !== Object.keys(ys).length) return false;
    for (const k of keys) {
      if (!Object.prototype.hasOwnProperty.call(ys, k)) return false;
      pending.push([xs[k], ys[k]]);
    }
  }
  return true;
}

const text = (s: string): Buffer => Buffer.from(s, 'utf8');
const gzip = (s: string | Buffer): Buffer => zlib.gzipSync(s);
const glue = (extra: Record<string, unknown> = {}) => ({
  eventSource: 'glue.amazonaws.com',
  eventName: 'GetJob',
  ...extra,
});
const ec2 = (extra: Record<string, unknown> = {}) => ({
  eventSource: 'ec2.amazonaws.com',
  eventName: 'DescribeInstances',
  ...extra,
});
const log = (records: unknown[], around: Record<string, unknown> = {}): string =>
  JSON.stringify({ Records: records, ...around });

describe('readWatchedRecords: file-level errors', () => {
  const valid = log([glue(), ec2()]);
  const validGzip = gzip(valid);
  // A flipped bit in the CRC-32 trailer: zlib is the one to notice (a flip in the data may first show as bad JSON).
  const corrupted = Buffer.from(validGzip);
  corrupted[corrupted.length - 6]! ^= 0xff;

  const cases: { name: string; bytes: Buffer; message: string | RegExp }[] = [
    { name: 'an empty file', bytes: Buffer.alloc(0), message: 'file is empty' },
    { name: 'gzip of nothing', bytes: gzip(''), message: 'decompressed data is empty' },
    { name: 'only whitespace', bytes: text(' \n\t '), message: 'no JSON content (empty or only whitespace)' },
    {
      name: 'only a byte-order mark',
      bytes: Buffer.from([0xef, 0xbb, 0xbf]),
      message: 'no JSON content (empty or only whitespace)',
    },
    {
      name: 'plain text (neither gzip nor JSON)',
      bytes: text('hello, world'),
      message: 'neither gzip nor JSON',
    },
    { name: 'a single byte', bytes: Buffer.from([0x1f]), message: 'neither gzip nor JSON' },
    {
      name: 'a broken byte-order mark',
      bytes: Buffer.from([0xef, 0xbb, 0x7b, 0x7d]),
      message: 'neither gzip nor JSON',
    },
    { name: 'gzip of plain text', bytes: gzip('hello, world'), message: 'decompressed data is not JSON' },
    {
      name: 'truncated gzip',
      bytes: validGzip.subarray(0, validGzip.length - 12),
      message: 'gzip data is truncated',
    },
    {
      name: 'gzip cut after its header',
      bytes: validGzip.subarray(0, 10),
      message: 'gzip data is truncated',
    },
    { name: 'corrupted gzip', bytes: corrupted, message: /^gzip data is corrupt \(.+\)$/ },
    {
      name: 'gzip followed by garbage',
      bytes: Buffer.concat([validGzip, text('garbage')]),
      message: /^gzip data is corrupt/,
    },
    {
      name: 'a JSON array',
      bytes: text('[{"Records":[]}]'),
      message: 'JSON is an array, not an object with a Records array',
    },
    {
      name: 'a JSON string',
      bytes: text('"Records"'),
      message: 'JSON is a string, not an object with a Records array',
    },
    {
      name: 'a JSON number',
      bytes: text('42'),
      message: 'JSON is a number, not an object with a Records array',
    },
    { name: 'JSON null', bytes: text('null'), message: 'JSON is null, not an object with a Records array' },
    {
      name: 'a CloudTrail digest file',
      bytes: gzip(
        JSON.stringify({
          awsAccountId: '123456789012',
          digestStartTime: '2026-11-01T00:00:00Z',
          logFiles: [],
        }),
      ),
      message: 'this is a CloudTrail digest file, not a log file (no Records array)',
    },
    {
      name: 'an object without Records',
      bytes: text('{"records":[{"eventSource":"glue.amazonaws.com"}]}'),
      message: 'the JSON object has no Records array',
    },
    {
      name: 'Records in a nested object only',
      bytes: text('{"x":{"Records":[]}}'),
      message: 'the JSON object has no Records array',
    },
    {
      name: 'Records is an object',
      bytes: text('{"Records":{"0":{}}}'),
      message: 'Records is an object, not an array',
    },
    { name: 'Records is null', bytes: text('{"Records":null}'), message: 'Records is null, not an array' },
    {
      name: 'Records is a string',
      bytes: text('{"Records":"[]"}'),
      message: 'Records is a string, not an array',
    },
    {
      name: 'two Records keys',
      bytes: text('{"Records":[],"Records":[]}'),
      message: 'the top-level object has two Records keys',
    },
    {
      name: 'JSON cut short inside Records',
      bytes: text(valid.slice(0, valid.length - 3)),
      message: /^JSON is cut short: the data ends inside the Records array after \d+ bytes$/,
    },
    {
      name: 'JSON cut short inside a string',
      bytes: text('{"Records":[{"eventSource":"glue.amaz'),
      message: 'JSON is cut short: the data ends inside the Records array after 37 bytes',
    },
    {
      name: 'JSON cut short after Records',
      bytes: text('{"Records":[],"x":1'),
      message: 'JSON is cut short: the data ends inside the top-level object after 19 bytes',
    },
    { name: 'gzip of JSON cut short', bytes: gzip(valid.slice(0, 30)), message: /^JSON is cut short/ },
    // The grammar is checked outside records (the top level and the Records array) by the scanner, and inside
    // wanted records by JSON.parse; unwanted records are only delimited (see "skips a malformed record").
    {
      name: 'a missing comma between records',
      bytes: text('{"Records":[{"a":1} {"b":2}]}'),
      message: "invalid JSON at byte 20: unexpected '{'",
    },
    {
      name: 'a trailing comma in Records',
      bytes: text('{"Records":[{"a":1},]}'),
      message: "invalid JSON at byte 20: unexpected ']'",
    },
    {
      name: 'a mismatched bracket',
      bytes: text('{"Records":[1}]}'),
      message: "invalid JSON at byte 13: unexpected '}'",
    },
    {
      name: 'a record closed by a bracket',
      bytes: text('{"Records":[{"a":1]}'),
      message: "invalid JSON at byte 18: unexpected ']'",
    },
    {
      name: 'a bad literal',
      bytes: text('{"x":tru,"Records":[]}'),
      message: "invalid JSON at byte 8: unexpected ','",
    },
    {
      name: 'a watched record with a missing comma',
      bytes: text('{"Records":[{"eventSource":"glue.amazonaws.com","a":1 "b":2}]}'),
      message: /^invalid JSON in record 1 \(.+\)$/,
    },
    {
      name: 'a watched record with a mismatched bracket',
      bytes: text('{"Records":[{"eventSource":"glue.amazonaws.com","a":[1}}]}'),
      message: /^invalid JSON in record 1 \(.+\)$/,
    },
    {
      name: 'a watched record with a bad literal',
      bytes: text('{"Records":[{"a":1},{"eventSource":"glue.amazonaws.com","a":tru}]}'),
      message: /^invalid JSON in record 2 \(.+\)$/,
    },
    // Text that merely starts like a JSON value is not JSON; only a whole top-level value is named.
    { name: 'text starting with n', bytes: text('not json at all'), message: 'neither gzip nor JSON' },
    { name: 'text starting with t', bytes: text('true story'), message: 'neither gzip nor JSON' },
    { name: 'text starting with a digit', bytes: text('2nd draft'), message: 'neither gzip nor JSON' },
    {
      name: 'gzip of text starting with n',
      bytes: gzip('nothing'),
      message: 'decompressed data is not JSON',
    },
    { name: 'a cut null', bytes: text('nul'), message: 'neither gzip nor JSON' },
    { name: 'an unterminated string', bytes: text('"Records'), message: 'neither gzip nor JSON' },
    { name: 'a number and garbage', bytes: text('42,'), message: 'neither gzip nor JSON' },
    {
      name: 'JSON true',
      bytes: text(' true\n'),
      message: 'JSON is a boolean, not an object with a Records array',
    },
    {
      name: 'gzip of JSON null',
      bytes: gzip('null'),
      message: 'JSON is null, not an object with a Records array',
    },
    {
      name: 'a number with a leading zero',
      bytes: text('{"Records":[01]}'),
      message: "invalid JSON at byte 13: unexpected '1'",
    },
    {
      name: 'a number without digits after the dot',
      bytes: text('{"Records":[1.]}'),
      message: "invalid JSON at byte 14: unexpected ']'",
    },
    {
      name: 'an unquoted key',
      bytes: text('{Records:[]}'),
      message: "invalid JSON at byte 1: unexpected 'R'",
    },
    {
      name: 'a control byte',
      bytes: text('{"Records":[\u0001]}'),
      message: 'invalid JSON at byte 12: unexpected byte 0x01',
    },
    {
      name: 'data after the object',
      bytes: text('{"Records":[]} {}'),
      message: 'unexpected data after the JSON object at byte 15',
    },
    {
      name: 'a second document',
      bytes: text('{"Records":[]}{"Records":[]}'),
      message: 'unexpected data after the JSON object at byte 14',
    },
    {
      name: 'a watched record with a bad escape',
      bytes: text('{"Records":[{"eventSource":"glue.amazonaws.com","x":"\\q"}]}'),
      message: /^invalid JSON in record 1 \(.+\)$/,
    },
    {
      name: 'a record key with a bad escape',
      bytes: text('{"Records":[{"eventSourc\\e":"glue.amazonaws.com"}]}'),
      message: /^invalid JSON: bad string before byte \d+$/,
    },
  ];

  test.each(cases)('$name: $message', async ({ bytes, message }) => {
    // Prepare: the bytes in small chunks, so every check also works across chunk boundaries.
    // Act
    const got = await fileError(bytes, 5);
    // Assess
    if (typeof message === 'string') expect(got).toBe(message);
    else expect(got).toMatch(message);
  });

  test.each(cases)('$name: the same error when read in one chunk', async ({ bytes, message }) => {
    const got = await fileError(bytes);
    if (typeof message === 'string') expect(got).toBe(message);
    else expect(got).toMatch(message);
  });

  test('an error of the source itself passes through unchanged (it is not a file-format problem)', async () => {
    // Prepare: a source that fails after its first chunk, for gzip and for plain JSON.
    const failure = new Error('socket hang up');
    for (const bytes of [validGzip, text(valid)]) {
      async function* failing(): AsyncGenerator<Uint8Array> {
        yield bytes.subarray(0, 8);
        throw failure;
      }
      // Act
      const reading = (async () => {
        for await (const _ of readWatchedRecords(failing())) void _;
      })();
      // Assess
      await expect(reading).rejects.toBe(failure);
    }
  });

  test('records before the error may be yielded; the error still comes', async () => {
    // Prepare: a watched record, then the file is cut short.
    const bytes = text(valid.slice(0, valid.length - 2));
    const seen: unknown[] = [];
    // Act
    const reading = (async () => {
      for await (const record of readWatchedRecords(chunks(bytes, 4))) seen.push(record);
    })();
    // Assess
    await expect(reading).rejects.toThrow(LogFileError);
    expect(seen).toEqual([glue()]);
  });
});

describe('readWatchedRecords: what it yields', () => {
  const seeds = seedRecords().map((s) => s.record);

  test('yields the watched records of a gzip log file, in order, and counts the rest', async () => {
    // Prepare: the seed records (all four services) between records of other services.
    const records = [
      ec2(),
      ...seeds.slice(0, 3),
      ec2(),
      'not a record',
      42,
      null,
      [glue()],
      ...seeds.slice(3),
      { eventName: 'NoSource' },
    ];
    // Act
    const { records: got, stats } = await readAll(gzip(log(records)));
    // Assess
    expect(got).toEqual(seeds);
    expect(stats).toEqual<ReadStats>({
      bytesIn: gzip(log(records)).length,
      bytesDecoded: Buffer.byteLength(log(records)),
      recordsRead: records.length,
      recordsMatched: seeds.length,
      recordsSkipped: { 'other-service': 2, 'not-an-object': 4, 'missing-eventSource': 1 },
    });
  });

  test('accepts plain (not gzip) JSON', async () => {
    const { records, stats } = await readAll(text(log([glue(), ec2()])));
    expect(records).toEqual([glue()]);
    expect(stats.bytesIn).toBe(stats.bytesDecoded);
  });

  test('accepts a UTF-8 byte-order mark, plain or gzip, even split into 1-byte chunks', async () => {
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), text(log([glue()]))]);
    for (const bytes of [withBom, gzip(withBom)]) {
      expect((await readAll(bytes, 1)).records).toEqual([glue()]);
    }
  });

  test('reads multi-member gzip (concatenated gzip files), split anywhere', async () => {
    // Prepare: one document cut into three pieces, each compressed on its own.
    const doc = log([glue({ n: 1 }), ec2(), glue({ n: 2 }), glue({ n: 3 })]);
    const cuts = [7, 51, doc.length];
    const members = cuts.map((end, k) => gzip(doc.slice(k === 0 ? 0 : cuts[k - 1], end)));
    // Act
    const { records, stats } = await readAll(Buffer.concat(members), 3);
    // Assess
    expect(records).toEqual([glue({ n: 1 }), glue({ n: 2 }), glue({ n: 3 })]);
    expect(stats.bytesDecoded).toBe(doc.length);
  });

  test('ignores record-like objects under keys before and after Records, and nested Records keys', async () => {
    // Prepare: watched records everywhere except where they count, and one where they do.
    const doc = JSON.stringify({
      before: [glue({ where: 'before' })],
      nested: { Records: [glue({ where: 'nested' })] },
      Records: [
        ec2({
          requestParameters: {
            eventSource: 'glue.amazonaws.com',
            Records: [glue({ where: 'inside a record' })],
          },
        }),
        { requestParameters: { eventSource: 'athena.amazonaws.com' } },
        glue({ where: 'top-level Records', responseElements: { Records: [glue()] } }),
      ],
      after: [glue({ where: 'after' })],
      Records2: [glue({ where: 'Records2' })],
    });
    // Act
    const { records, stats } = await readAll(gzip(doc), 9);
    // Assess
    expect(records).toEqual([glue({ where: 'top-level Records', responseElements: { Records: [glue()] } })]);
    expect(stats.recordsSkipped).toEqual({ 'other-service': 1, 'missing-eventSource': 1 });
  });

  test("decides on the record's own eventSource: escaped spellings count, the last duplicate wins, non-strings do not", async () => {
    const doc =
      '{"Records":[' +
      '{"even\\u0074Source":"glue.amazonaws.com","n":1},' +
      '{"eventSource":"glue.\\u0061mazonaws.com","n":2},' +
      '{"eventSource":"glue.amazonaws.com","eventSource":"ec2.amazonaws.com","n":3},' +
      '{"eventSource":"ec2.amazonaws.com","eventSource":"batch.amazonaws.com","n":4},' +
      '{"eventSource":["glue.amazonaws.com"],"n":5},' +
      '{"eventSource":"glue.amazonaws.com","eventSource":null,"n":6},' +
      '{"eventSource":"GLUE.amazonaws.com","n":7}' +
      ']}';
    const { records, stats } = await readAll(text(doc), 1);
    expect(records).toEqual(JSON.parse(doc).Records.filter((_: unknown, k: number) => [0, 1, 3].includes(k)));
    expect(stats.recordsSkipped).toEqual({ 'other-service': 2, 'missing-eventSource': 2 });
  });

  test('skips a malformed record that is not watched: only its boundaries matter', async () => {
    // Prepare: an EC2 record with a missing comma, a bad literal and a mismatched bracket (brackets still pair
    // up by count), between two watched ones.
    const doc =
      '{"Records":[' +
      JSON.stringify(glue({ n: 1 })) +
      ',{"eventSource":"ec2.amazonaws.com","a":1 "b":tru,"c":[1,"]}"}},' +
      JSON.stringify(glue({ n: 2 })) +
      ']}';
    for (const size of [1, 7, 65536]) {
      // Act
      const { records, stats } = await readAll(text(doc), size);
      // Assess
      expect(records).toEqual([glue({ n: 1 }), glue({ n: 2 })]);
      expect(stats.recordsSkipped).toEqual({ 'other-service': 1 });
      expect(stats.recordsRead).toBe(3);
    }
  });

  test('keeps the eventSources it is asked for', async () => {
    const doc = log([glue(), ec2(), { eventSource: 's3.amazonaws.com' }]);
    const { records } = await readAll(text(doc), undefined, {
      eventSources: new Set(['ec2.amazonaws.com', 's3.amazonaws.com']),
    });
    expect(records).toEqual([ec2(), { eventSource: 's3.amazonaws.com' }]);
  });

  test('handles escaped quotes and backslashes, wherever the chunks split them', async () => {
    // Prepare: strings ending in escaped backslashes and escaped quotes, next to keys that matter.
    const tricky = [
      '\\',
      '\\\\',
      '"',
      '\\"',
      '"\\',
      'a\\',
      '\\u0022',
      '}]',
      '"eventSource":"glue.amazonaws.com"',
    ];
    const records = tricky.flatMap((s) => [glue({ s, [s]: s }), ec2({ s, [s]: [s] })]);
    const doc = log(records, { [tricky.join('')]: tricky });
    for (const size of [1, 2, 3, 7, 64]) {
      // Act
      const { records: got } = await readAll(text(doc), size);
      // Assess
      expect(got).toEqual(records.filter((_, k) => k % 2 === 0));
    }
  });

  test('handles multi-byte characters split across 1-byte chunks', async () => {
    // Prepare: 2-, 3- and 4-byte UTF-8 characters in keys, values and the eventSource itself.
    const unicode = 'é€😀中文\u2028';
    const records = [
      glue({ [unicode]: unicode, user: `ü${unicode}` }),
      { eventSource: `ec2${unicode}` },
      { eventSource: `glue${unicode}` },
    ];
    const doc = log(records);
    // Act
    const plain = await readAll(text(doc), 1);
    const gzipped = await readAll(gzip(doc), 1);
    const custom = await readAll(text(doc), 1, { eventSources: new Set([`glue${unicode}`]) });
    // Assess
    expect(plain.records).toEqual([records[0]]);
    expect(gzipped.records).toEqual([records[0]]);
    expect(custom.records).toEqual([records[2]]);
  });

  test('reads records of 250 KB, watched or not', async () => {
    // Prepare: a big string and a big nested array in each record.
    const big = (n: number) => ({
      text: 'x'.repeat(250_000),
      items: Array.from({ length: 2000 }, (_, k) => ({ k, n })),
    });
    const records = [
      glue({ requestParameters: big(1) }),
      ec2({ requestParameters: big(2) }),
      glue({ requestParameters: big(3) }),
    ];
    const doc = log(records);
    expect(Buffer.byteLength(doc)).toBeGreaterThan(3 * 250_000);
    // Act
    const { records: got, stats } = await readAll(gzip(doc), 4096);
    // Assess
    expect(got).toEqual([records[0], records[2]]);
    expect(stats.recordsRead).toBe(3);
  });

  test('reads JSON nested 10,000 levels deep (no stack overflow), inside and outside records', async () => {
    // Prepare: deep arrays and objects in a watched record, another record and under a top-level key.
    const depth = 10_000;
    const deepArray = '['.repeat(depth) + ']'.repeat(depth);
    const deepObject = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    const doc =
      `{"deep":${deepArray},"Records":[` +
      `{"eventSource":"glue.amazonaws.com","d":${deepArray}},` +
      `{"eventSource":"ec2.amazonaws.com","d":${deepObject}},` +
      `{"d":${deepObject},"eventSource":"batch.amazonaws.com"}` +
      `],"more":${deepObject}}`;
    // Act
    const { records } = await readAll(gzip(doc), 1000);
    // Assess: with an iterative comparison (jest's and JSON.stringify's recursion would overflow the stack)
    const expected = JSON.parse(doc) as { Records: unknown[] };
    expect(records).toHaveLength(2);
    expect(sameJson(records, [expected.Records[0], expected.Records[2]])).toBe(true);
  });

  test('reads pretty-printed JSON', async () => {
    const records = [glue({ list: [1, 2.5, -3e-2, true, false, null, {}, []] }), ec2()];
    const { records: got } = await readAll(
      text(JSON.stringify({ Records: records }, null, '\t') + '\n\r\n '),
      3,
    );
    expect(got).toEqual([records[0]]);
  });

  test('reads whitespace everywhere JSON allows it, empty containers included', async () => {
    const doc =
      ' {\n "Records" : [ { } ,\t[ ] , { "eventSource" :\r\n"glue.amazonaws.com" , "x" : [ 1 , { } ] } ] , "y" : { } } \n';
    const { records, stats } = await readAll(text(doc), 2);
    expect(records).toEqual([{ eventSource: 'glue.amazonaws.com', x: [1, {}] }]);
    expect(stats.recordsSkipped).toEqual({ 'missing-eventSource': 1, 'not-an-object': 1 });
  });

  test('an empty Records array yields nothing and is not an error', async () => {
    const { records, stats } = await readAll(gzip('{"Records":[]}'));
    expect(records).toEqual([]);
    expect(stats.recordsRead).toBe(0);
  });

  test('stops reading the source when the caller stops early', async () => {
    // Prepare: a source that records whether it was closed.
    let closed = false;
    const bytes = gzip(log([glue({ n: 1 }), glue({ n: 2 })]));
    async function* source(): AsyncGenerator<Uint8Array> {
      try {
        for (let i = 0; i < bytes.length; i += 16) yield bytes.subarray(i, i + 16);
      } finally {
        closed = true;
      }
    }
    // Act
    for await (const record of readWatchedRecords(source())) {
      expect(record).toEqual(glue({ n: 1 }));
      break;
    }
    // Assess
    expect(closed).toBe(true);
  });
});
