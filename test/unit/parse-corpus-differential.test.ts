// `trailwatch parse` on two threads (the worker's UTF-8 lines, lineBytesOfBatch) against one thread
// (readLogEvents) and against normalizeRecord itself, over every record of the real corpus
// (../shared/corpus), each relabelled as a call of one of the watched services so that normalization
// sees real identities, payloads and nulls, with bad records among them: the same lines, counts and
// skip reasons every way.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { main } from '../../cli/main';
import { normalizeRecord } from '../../lambdas/core/normalize';
import { seedRecords } from '../../local/seed-records';

const CORPUS = path.resolve(__dirname, '../../../shared/corpus/grycap-cloudtrail');
const required = process.env.TRAILWATCH_REQUIRE_CORPUS === '1';
const present = fs.existsSync(CORPUS);

const WATCHED = [
  'glue.amazonaws.com',
  'elasticmapreduce.amazonaws.com',
  'athena.amazonaws.com',
  'batch.amazonaws.com',
  'emr-serverless.amazonaws.com',
  'emr-containers.amazonaws.com',
];

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

async function parse(mode: 'on' | 'off', file: string): Promise<{ code: number; out: string; err: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main(['parse', file], {
    stdout,
    stderr,
    env: { TRAILWATCH_PARSE_WORKER: mode },
    cwd: path.dirname(file),
  });
  return { code, out: stdout.text, err: stderr.text };
}

/** Records that normalization skips, each for another reason (and one it keeps only once its nulls go). */
const BAD: readonly unknown[] = [
  null,
  'a string',
  [1, 2],
  { eventSource: 'glue.amazonaws.com', eventName: 'GetJob', eventID: 'bad-1' },
  { eventSource: 'glue.amazonaws.com', eventName: '', eventTime: '2024-05-01T08:00:00Z', eventID: 'bad-2' },
  { eventSource: 'athena.amazonaws.com', eventName: 'X', eventTime: 'yesterday', eventID: 'bad-3' },
  { eventSource: 'batch.amazonaws.com', eventName: 'X', eventTime: '2024-02-30T00:00:00Z', eventID: 'bad-4' },
  { eventSource: 'batch.amazonaws.com', eventName: 'X', eventTime: '2024-05-01T08:00:00Z', eventID: 7 },
  {
    eventSource: 'glue.amazonaws.com',
    eventName: 'GetJob',
    eventTime: '2024-05-01T08:00:00Z',
    eventID: 'bad-5',
    readOnly: 'yes',
  },
  {
    eventSource: 'glue.amazonaws.com',
    eventName: 'GetJob',
    eventTime: '2024-05-01T08:00:00Z',
    eventID: 'nulls-1',
    userIdentity: { type: 'IAMUser', arn: null, sessionContext: null },
    errorCode: null,
    requestParameters: null,
  },
];

describe('trailwatch parse over the relabelled corpus', () => {
  if (!present && !required) {
    test.skip(`skipped: ${CORPUS} does not exist (set TRAILWATCH_REQUIRE_CORPUS=1 to make this a failure)`, () =>
      undefined);
    return;
  }

  let dir: string;
  afterAll(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  test('prints the same lines and counts on two threads, on one and as normalizeRecord makes them', async () => {
    // Prepare: every corpus record, five of six relabelled as a watched call, the seeds, and the bad
    // records after every 500th.
    expect(fs.existsSync(CORPUS)).toBe(true); // TRAILWATCH_REQUIRE_CORPUS=1 and no corpus: fail here
    const records: unknown[] = [];
    for (const name of fs.readdirSync(CORPUS).sort()) {
      if (!name.endsWith('.json.gz')) continue;
      const doc = JSON.parse(gunzipSync(fs.readFileSync(path.join(CORPUS, name))).toString('utf8')) as {
        Records: Record<string, unknown>[];
      };
      for (const record of doc.Records) {
        const n = records.length;
        records.push(n % 6 === 5 ? record : { ...record, eventSource: WATCHED[n % WATCHED.length] });
        if (n % 500 === 0) records.push(...BAD);
      }
    }
    records.push(...seedRecords().map((s) => s.record));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trailwatch-corpus-diff-'));
    const file = path.join(dir, 'relabelled.json.gz');
    fs.writeFileSync(file, gzipSync(JSON.stringify({ Records: records })));
    // The reference: each record through normalizeRecord, its event printed as parse prints it.
    const expected: string[] = [];
    const reasons = new Set<string>();
    for (const record of records) {
      const result = normalizeRecord(record);
      if (result.ok) expected.push(JSON.stringify(result.event));
      else reasons.add(result.reason);
    }
    // Act
    const one = await parse('off', file);
    const two = await parse('on', file);
    // Assess
    expect(expected.length).toBeGreaterThan(5000);
    expect([...reasons].sort()).toEqual([
      'invalid-field',
      'invalid-record',
      'invalid-time',
      'missing-field',
      'unwatched-service',
    ]);
    expect(one.code).toBe(0);
    expect(one.out).toBe(expected.map((l) => l + '\n').join(''));
    expect(two).toEqual(one);
  }, 60_000);
});
