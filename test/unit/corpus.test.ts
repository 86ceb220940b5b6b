import * as fs from 'node:fs';
import * as path from 'node:path';
import { newReadStats, readWatchedRecords } from '../../lambdas/core/log-reader';

// Real CloudTrail files (../shared/corpus, see its README): every one must read without a file error and
// yield nothing, since none of their records is from Glue, EMR, Athena or Batch.
const CORPUS = path.resolve(__dirname, '../../../shared/corpus/grycap-cloudtrail');
const EXPECTED_RECORDS = 6188; // per the corpus README
const required = process.env.TRAILWATCH_REQUIRE_CORPUS === '1';
const present = fs.existsSync(CORPUS);

describe('real CloudTrail corpus (grycap-cloudtrail)', () => {
  if (!present && !required) {
    test.skip(`skipped: ${CORPUS} does not exist (set TRAILWATCH_REQUIRE_CORPUS=1 to make this a failure)`, () =>
      undefined);
    return;
  }

  test('every file reads without a file error, yields no record, and all 6,188 records are counted', async () => {
    // Prepare
    expect(fs.existsSync(CORPUS)).toBe(true); // TRAILWATCH_REQUIRE_CORPUS=1 and no corpus: fail here
    const files = fs
      .readdirSync(CORPUS)
      .filter((f) => f.endsWith('.json.gz'))
      .sort();
    expect(files.length).toBeGreaterThan(0);
    const stats = newReadStats();
    const failures: string[] = [];
    const yielded: unknown[] = [];
    // Act
    for (const file of files) {
      try {
        for await (const record of readWatchedRecords(fs.createReadStream(path.join(CORPUS, file)), {
          stats,
        }))
          yielded.push(record);
      } catch (err) {
        failures.push(`${file}: ${(err as Error).message}`);
      }
    }
    // Assess
    expect(failures).toEqual([]);
    expect(yielded).toEqual([]);
    expect(stats.recordsMatched).toBe(0);
    expect(stats.recordsRead).toBe(EXPECTED_RECORDS);
    expect(stats.recordsSkipped).toEqual({ 'other-service': EXPECTED_RECORDS });
  });
});
