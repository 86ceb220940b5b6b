import {
  eventPartitionKey,
  fnv1a32,
  layoutMismatch,
  resourceKeyOf,
  SERVICE_SHARDS,
  servicePartitionKeys,
  shardOf,
} from '../../lambdas/core/table-contract';
import { SERVICE_NAMES } from '../../lambdas/core/services';
import { eventTableDefinition } from '../../lambdas/adapters/table-definitions';

describe('table contract v1', () => {
  it.each([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
  ])('hashes %j with the published FNV-1a 32-bit test vector', (text, expected) => {
    expect(fnv1a32(text)).toBe(expected);
  });

  it('spreads random eventIds evenly over every shard of each service', () => {
    // Prepare: 32,000 UUID-shaped ids (CloudTrail's eventID form).
    const ids = Array.from({ length: 32_000 }, (_, i) => {
      const hex = (n: number) => n.toString(16).padStart(8, '0');
      return `${hex(Math.imul(i + 1, 2654435761) >>> 0)}-${hex(i).slice(0, 4)}-4${hex(i * 7).slice(0, 3)}-8000-${hex(i * 13)}0000`;
    });
    for (const service of SERVICE_NAMES) {
      const counts = new Array<number>(SERVICE_SHARDS[service]).fill(0);
      for (const id of ids) counts[shardOf(service, id)]! += 1;
      const mean = ids.length / counts.length;
      // Assess: no shard above 115% of the mean (the hot-key ceiling depends on it) and none empty.
      expect(Math.max(...counts)).toBeLessThan(mean * 1.15);
      expect(Math.min(...counts)).toBeGreaterThan(0);
    }
  });

  it('names every shard of a service-day, two digits each', () => {
    expect(servicePartitionKeys('emr', '2024-05-01')).toEqual(
      Array.from({ length: 8 }, (_, i) => `emr#2024-05-01#0${i}`),
    );
    expect(servicePartitionKeys('glue', '2024-05-01')).toHaveLength(32);
    expect(eventPartitionKey('glue', '2024-05-01', 31)).toBe('glue#2024-05-01#31');
  });

  it('keys a resource by account, region, type and id', () => {
    expect(
      resourceKeyOf({ accountId: '111122223333', region: 'eu-west-1', type: 'glue:database', id: 'default' }),
    ).toBe('111122223333#eu-west-1#glue:database#default');
  });

  it('accepts its own table definition and names a v0 table as such', () => {
    // Prepare: the v0 layout, as v0 created it.
    const v0 = {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        ['byPrincipal', 'principalArn'],
        ['failures', 'failureDay'],
        ['byResource', 'resourceKey'],
      ].map(([IndexName, key]) => ({
        IndexName,
        KeySchema: [
          { AttributeName: key, KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      })),
    };
    // Assess
    expect(layoutMismatch(eventTableDefinition('t'))).toBeUndefined();
    expect(layoutMismatch(v0)).toMatch(/v0 layout/);
    expect(layoutMismatch({ KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] })).toMatch(
      /partition key/,
    );
    expect(layoutMismatch({ ...v0, GlobalSecondaryIndexes: [] })).toMatch(/no failures index/);
  });
});
