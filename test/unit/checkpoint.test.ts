import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  backfillFingerprint,
  CheckpointFile,
  CheckpointFileError,
  defaultCheckpointPath,
} from '../../lambdas/adapters/checkpoint-file';
import {
  BackfillCheckpoint,
  backfillScopeText,
  CheckpointDataSchema,
  CheckpointMismatchError,
  isDaySealed,
} from '../../lambdas/core/checkpoint';

const DAY1 = 'AWSLogs/111111111111/CloudTrail/us-east-1/2024/03/01/';
const DAY2 = 'AWSLogs/111111111111/CloudTrail/us-east-1/2024/03/02/';
const NOW = new Date('2024-03-10T12:00:00Z');

describe('BackfillCheckpoint', () => {
  test('a fresh checkpoint has nothing done', () => {
    const cp = BackfillCheckpoint.fresh('f', 'scope', NOW);
    expect(cp.isDayDone(DAY1)).toBe(false);
    expect(cp.isKeyDone(DAY1, `${DAY1}a.json.gz`)).toBe(false);
    expect(cp.changed).toBe(false);
  });

  test('keys are done one by one until their sealed day completes and collapses to one entry', () => {
    // Prepare
    const cp = BackfillCheckpoint.fresh('f', 'scope', NOW);

    // Act
    cp.markKeyDone(DAY1, `${DAY1}a.json.gz`);
    const afterKey = cp.toData(NOW);
    cp.completeDay(DAY1, true);
    const afterDay = cp.toData(NOW);

    // Assess
    expect(afterKey.doneKeys).toEqual({ [DAY1]: [`${DAY1}a.json.gz`] });
    expect(afterKey.doneDays).toEqual([]);
    expect(afterDay.doneDays).toEqual([DAY1]);
    expect(afterDay.doneKeys).toEqual({});
    expect(cp.isDayDone(DAY1)).toBe(true);
    expect(cp.isKeyDone(DAY1, `${DAY1}never-listed.json.gz`)).toBe(true);
  });

  test('an unsealed day keeps its keys, so objects delivered later are still picked up', () => {
    // Prepare
    const cp = BackfillCheckpoint.fresh('f', 'scope', NOW);
    cp.markKeyDone(DAY2, `${DAY2}a.json.gz`);

    // Act
    cp.completeDay(DAY2, false);

    // Assess
    expect(cp.isDayDone(DAY2)).toBe(false);
    expect(cp.isKeyDone(DAY2, `${DAY2}a.json.gz`)).toBe(true);
    expect(cp.isKeyDone(DAY2, `${DAY2}b.json.gz`)).toBe(false);
  });

  test('a failure is remembered until the key succeeds', () => {
    // Prepare
    const cp = BackfillCheckpoint.fresh('f', 'scope', NOW);

    // Act
    cp.markKeyFailed(`${DAY1}a.json.gz`, 'cannot read');
    const failed = cp.toData(NOW).failedKeys;
    cp.markKeyDone(DAY1, `${DAY1}a.json.gz`);

    // Assess
    expect(failed).toEqual({ [`${DAY1}a.json.gz`]: 'cannot read' });
    expect(cp.isKeyDone(DAY1, `${DAY1}a.json.gz`)).toBe(true);
    expect(cp.toData(NOW).failedKeys).toEqual({});
  });

  test('restore continues where the stored one stopped and refuses a checkpoint of other arguments', () => {
    // Prepare
    const cp = BackfillCheckpoint.fresh('f1', 'scope one', NOW);
    cp.markKeyDone(DAY1, `${DAY1}a.json.gz`);
    const data = CheckpointDataSchema.parse(JSON.parse(JSON.stringify(cp.toData(NOW))));

    // Act
    const restored = BackfillCheckpoint.restore(data, 'f1', 'cp.json');

    // Assess
    expect(restored.isKeyDone(DAY1, `${DAY1}a.json.gz`)).toBe(true);
    expect(() => BackfillCheckpoint.restore(data, 'f2', 'cp.json')).toThrow(CheckpointMismatchError);
    expect(() => BackfillCheckpoint.restore(data, 'f2', 'cp.json')).toThrow(
      /^cp\.json: checkpoint of another backfill \(scope one\)/,
    );
  });

  test('changed tracks unsaved changes', () => {
    const cp = BackfillCheckpoint.fresh('f', 'scope', NOW);
    cp.markKeyDone(DAY1, 'k');
    expect(cp.changed).toBe(true);
    cp.toData(NOW);
    expect(cp.changed).toBe(false);
  });
});

describe('isDaySealed', () => {
  test.each([
    ['2024-03-08', true],
    // 2024-03-09 ends at 03-10T00:00Z; sealed only 24 hours later.
    ['2024-03-09', false],
    ['2024-03-10', false],
  ])('%s at 2024-03-10T12:00Z: %s', (day, sealed) => {
    expect(isDaySealed(day, NOW)).toBe(sealed);
  });

  test('the boundary is exactly the end of the day plus the grace hours', () => {
    expect(isDaySealed('2024-03-09', new Date('2024-03-10T23:59:59Z'))).toBe(false);
    expect(isDaySealed('2024-03-09', new Date('2024-03-11T00:00:00Z'))).toBe(true);
  });
});

describe('backfillScopeText and its fingerprint', () => {
  const base = {
    bucket: 'b',
    prefix: 'p/',
    from: '2024-01-01',
    to: '2024-01-31',
    table: 't',
    retentionDays: 365,
  };

  test('list order does not matter, every argument that changes the work does', () => {
    const a = backfillScopeText({ ...base, accounts: ['2', '1'] });
    const b = backfillScopeText({ ...base, accounts: ['1', '2'] });
    expect(a).toBe(b);
    expect(backfillFingerprint(a)).toBe(backfillFingerprint(b));
    for (const change of [
      { bucket: 'c' },
      { prefix: '' },
      { from: '2024-01-02' },
      { to: '2024-02-01' },
      { table: 'u' },
      // Issue 15, case 8: options that change what a run does with each object.
      { alerts: { topicArn: 'arn:aws:sns:us-east-1:1:t', stateTable: 's' } },
      { retentionDays: 30 },
    ]) {
      expect(backfillFingerprint(backfillScopeText({ ...base, ...change }))).not.toBe(backfillFingerprint(a));
    }
    expect(backfillFingerprint(a)).toMatch(/^[0-9a-f]{16}$/);
  });

  test('alerts to another topic or state table are another backfill too', () => {
    const to = (topicArn: string, stateTable: string) =>
      backfillFingerprint(backfillScopeText({ ...base, alerts: { topicArn, stateTable } }));
    expect(new Set([to('arn:t1', 's1'), to('arn:t2', 's1'), to('arn:t1', 's2')]).size).toBe(3);
    expect(backfillScopeText(base)).toContain('alerts=off');
  });

  test('the default checkpoint path is under .trailwatch/checkpoints', () => {
    expect(defaultCheckpointPath('/work', 'abc')).toBe('/work/.trailwatch/checkpoints/abc.json');
  });
});

describe('CheckpointFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'trailwatch-cp-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('save then load round-trips, creating the folder, leaving no temporary file', async () => {
    // Prepare
    const file = new CheckpointFile(join(dir, 'nested', 'cp.json'));
    const cp = BackfillCheckpoint.fresh('f', 'scope', NOW);
    cp.markKeyDone(DAY1, 'k1');

    // Act
    await file.save(cp.toData(NOW));
    const loaded = await file.load();

    // Assess
    expect(loaded).toEqual(cp.toData(NOW));
    expect(readdirSync(join(dir, 'nested'))).toEqual(['cp.json']);
  });

  test('saves run in call order: the last one wins', async () => {
    // Prepare
    const file = new CheckpointFile(join(dir, 'cp.json'));
    const cp = BackfillCheckpoint.fresh('f', 'scope', NOW);
    const saves: Promise<void>[] = [];

    // Act
    for (let i = 0; i < 20; i++) {
      cp.markKeyDone(DAY1, `k${i}`);
      saves.push(file.save(cp.toData(NOW)));
    }
    await Promise.all(saves);

    // Assess
    expect((await file.load())?.doneKeys[DAY1]).toHaveLength(20);
  });

  test('a missing file is no checkpoint', async () => {
    expect(await new CheckpointFile(join(dir, 'none.json')).load()).toBeUndefined();
  });

  test.each([
    ['not JSON', '{"version": 1,', /cp\.json: not JSON; delete it or pass --restart/],
    [
      'another document',
      '{"version": 2}',
      /cp\.json: not a trailwatch checkpoint \(version: .*\); delete it or pass --restart/,
    ],
  ])('%s is reported in one line naming the file', async (_what, content, message) => {
    // Prepare
    const path = join(dir, 'cp.json');
    writeFileSync(path, content);

    // Act
    const loading = new CheckpointFile(path).load();

    // Assess
    await expect(loading).rejects.toThrow(CheckpointFileError);
    await expect(new CheckpointFile(path).load()).rejects.toThrow(message);
    expect(readFileSync(path, 'utf8')).toBe(content);
  });
});
