import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbEventStore } from '../../lambdas/adapters/event-store';
import { ensureTable, eventTableDefinition } from '../../lambdas/adapters/table-definitions';
import { normalizeRecord } from '../../lambdas/core/normalize';
import type { NormalizedEvent } from '../../lambdas/core/normalized-event';
import type { ServiceName } from '../../lambdas/core/services';
import { collect, EventQueryClient, StoredEvent, ValidationError } from '@trailwatch/client';
import { shardOf } from '../../lambdas/core/table-contract';
import { DynaliteServer, startDynalite } from '../../local/dynalite-server';
import { seedRecords } from '../../local/seed-records';

const TABLE = 'query-events';
const SOURCE = {
  bucket: 'trail-bucket',
  key: 'AWSLogs/123456789012/CloudTrail/us-east-1/2024/02/15/f.json.gz',
};
const DELIVERED_AT = new Date('2024-02-15T00:00:00Z');
const SERVICES: ServiceName[] = ['glue', 'emr', 'athena', 'batch'];
const ALICE = 'arn:aws:iam::123456789012:user/alice';
const OPS_ROLE = 'arn:aws:sts::123456789012:assumed-role/Ops/ops-session';

let server: DynaliteServer;
let client: DynamoDBClient;
let queries: number;
let itemsRead = 0;
const seeds: NormalizedEvent[] = seedRecords().map((s) => {
  const r = normalizeRecord(s.record);
  if (!r.ok) throw new Error(`seed ${s.name}: ${r.message}`);
  return r.event;
});
// 45 days × 4 services × 5 events: enough to cross a month and to need several pages per partition.
const synthetic = buildEvents();

beforeAll(async () => {
  server = await startDynalite();
  client = new DynamoDBClient({
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  // Counts the Query requests, to show pagination and early stops.
  client.middlewareStack.add(
    (next) => async (args) => {
      if (!('KeyConditionExpression' in (args.input as object))) return next(args);
      queries++;
      const result = await next(args);
      itemsRead += ((result.output as { Items?: unknown[] }).Items ?? []).length;
      return result;
    },
    { step: 'initialize', name: 'countQueries' },
  );
  await ensureTable(client, eventTableDefinition(TABLE));
  const store = new DynamoDbEventStore({ tableName: TABLE, client });
  await store.putEvents([...seeds, ...synthetic], { ...SOURCE, deliveredAt: DELIVERED_AT });
});

afterAll(async () => {
  client.destroy();
  await server.stop();
});

beforeEach(() => {
  queries = 0;
});

function library(pageSize?: number): EventQueryClient {
  return new EventQueryClient({
    tableName: TABLE,
    client,
    pageSize,
    now: () => new Date('2024-02-15T00:00:00Z'),
  });
}

const ids = (events: readonly { eventId: string }[]) => events.map((e) => e.eventId);
const newestFirst = (a: NormalizedEvent, b: NormalizedEvent) => sk(b).localeCompare(sk(a));
const oldestFirst = (a: NormalizedEvent, b: NormalizedEvent) => sk(a).localeCompare(sk(b));
const sk = (e: NormalizedEvent) => `${e.eventTime}#${e.eventId}`;
const within = (from: string, to: string) => (e: NormalizedEvent) => e.eventTime >= from && e.eventTime <= to;

describe('EventQueryClient against dynalite', () => {
  it('reads one service over a 45-day range, newest first, following pagination in every partition', async () => {
    // Prepare
    const expected = synthetic
      .filter((e) => e.service === 'glue')
      .filter(within('2024-01-01T00:00:00Z', '2024-02-14T23:59:59Z'))
      .sort(newestFirst);
    // Act
    const got = await collect(
      library(2).events({ service: 'glue', from: '2024-01-01', to: '2024-02-14T23:59:59Z' }),
    );
    // Assess: 225 events; each of the 32 shards of each day is read in pages of 2: n events take
    // n/2 + 1 Queries (a full page does not know it was the last).
    expect(expected).toHaveLength(225);
    expect(ids(got)).toEqual(ids(expected));
    const perShard = new Map<string, number>();
    for (const e of expected) {
      const key = `${e.eventTime.slice(0, 10)}#${shardOf('glue', e.eventId)}`;
      perShard.set(key, (perShard.get(key) ?? 0) + 1);
    }
    const emptyShards = 45 * 32 - perShard.size;
    expect(queries).toBe(
      emptyShards + [...perShard.values()].reduce((sum, n) => sum + Math.floor(n / 2) + 1, 0),
    );
  });

  it('merges every service into one time order, oldest first, cut to the range', async () => {
    // Prepare
    const [from, to] = ['2024-01-10T06:30:00Z', '2024-01-12T12:00:00Z'];
    const expected = synthetic.filter(within(from, to)).sort(oldestFirst);
    // Act
    const got = await collect(library(3).events({ from, to, order: 'oldest' }));
    // Assess
    expect(expected.length).toBeGreaterThan(30);
    expect(new Set(expected.map((e) => e.service)).size).toBe(4);
    expect(ids(got)).toEqual(ids(expected));
  });

  it('filters a service range to failed or successful calls', async () => {
    const range = {
      from: '2024-01-01',
      to: '2024-01-07T23:59:59Z',
      service: ['emr', 'batch'] as ServiceName[],
    };
    const base = synthetic
      .filter((e) => e.service === 'emr' || e.service === 'batch')
      .filter(within('2024-01-01', '2024-01-07T23:59:59Z'));
    expect(ids(await collect(library(4).events({ ...range, failed: true })))).toEqual(
      ids(base.filter((e) => e.failed).sort(newestFirst)),
    );
    expect(ids(await collect(library(4).events({ ...range, failed: false })))).toEqual(
      ids(base.filter((e) => !e.failed).sort(newestFirst)),
    );
  });

  it('reads failures of every service by day from the failures index', async () => {
    // Prepare
    const expected = synthetic
      .filter((e) => e.failed)
      .filter(within('2024-01-20T00:00:00Z', '2024-02-05T23:59:59Z'))
      .sort(newestFirst);
    // Act
    const got = await collect(library(5).failures({ from: '2024-01-20', to: '2024-02-05T23:59:59Z' }));
    const athenaOnly = await collect(
      library().failures({ from: '2024-01-20', to: '2024-02-05T23:59:59Z', service: 'athena' }),
    );
    // Assess
    expect(expected.length).toBeGreaterThan(40);
    expect(ids(got)).toEqual(ids(expected));
    expect(got.every((e) => e.failed && e.errorCode === 'AccessDeniedException')).toBe(true);
    expect(ids(athenaOnly)).toEqual(ids(expected.filter((e) => e.service === 'athena')));
  });

  it('reads a bare date given as to as the end of that day', async () => {
    const got = await collect(library().failures({ from: '2017-05-04', to: '2017-05-04' }));
    expect(ids(got)).toEqual(['6e1fc69b-d076-477e-8dec-024ee51488c4']);
  });

  it('finds the seed failure of 2017-05-04 and nothing else that day', async () => {
    const got = await collect(library().failures({ from: '2017-05-04', to: '2017-05-04T23:59:59Z' }));
    expect(ids(got)).toEqual(['6e1fc69b-d076-477e-8dec-024ee51488c4']);
  });

  it('reads what one principal did, over all time or within a range', async () => {
    const all = synthetic.filter((e) => e.principal.arn === ALICE).sort(newestFirst);
    expect(ids(await collect(library(50).byPrincipal({ principalArn: ALICE })))).toEqual(ids(all));
    const ranged = all.filter(within('2024-02-01T00:00:00Z', '2024-02-03T23:59:59Z'));
    const got = await collect(
      library().byPrincipal({
        principalArn: ALICE,
        from: '2024-02-01',
        to: '2024-02-03T23:59:59Z',
        order: 'oldest',
      }),
    );
    expect(ids(got)).toEqual(ids([...ranged].reverse()));
    const roleFailures = await collect(
      library().byPrincipal({ principalArn: OPS_ROLE, failed: true, service: 'batch' }),
    );
    expect(ids(roleFailures)).toEqual(
      ids(
        synthetic
          .filter((e) => e.principal.arn === OPS_ROLE && e.failed && e.service === 'batch')
          .sort(newestFirst),
      ),
    );
  });

  it('reads the history of one resource, by {type, id} or by key', async () => {
    const expected = synthetic
      .filter((e) => e.resources[0]?.type === 'emr:cluster' && e.resources[0].id === 'j-CLUSTER1')
      .sort(newestFirst);
    expect(expected.length).toBeGreaterThan(50);
    const cluster = { accountId: '123456789012', region: 'eu-west-1', type: 'emr:cluster', id: 'j-CLUSTER1' };
    expect(ids(await collect(library(10).byResource({ resource: cluster })))).toEqual(ids(expected));
    expect(
      ids(
        await collect(library(10).byResource({ resource: '123456789012#eu-west-1#emr:cluster#j-CLUSTER1' })),
      ),
    ).toEqual(ids(expected));
    // The same cluster id in another region is another resource.
    expect(await collect(library().byResource({ resource: { ...cluster, region: 'us-east-1' } }))).toEqual(
      [],
    );
    expect(
      ids(
        await collect(
          library().byResource({ resource: '123456789012#us-west-2#emr:cluster#j-2WDJCGEG4E6AJ' }),
        ),
      ),
    ).toEqual(['b348a38d-f744-4097-8b2a-e68c9b424698']);
  });

  it('gives back the stored seed events as they were normalized, with their provenance', async () => {
    // Act
    const got = await collect(
      library().events({ service: 'athena', from: '2017-05-01', to: '2017-05-31', order: 'oldest' }),
    );
    // Assess
    const expected = seeds.filter((e) => e.service === 'athena').sort(oldestFirst);
    expect(got).toEqual(
      expected.map((e) => ({
        ...e,
        source: SOURCE,
        ingestedAt: '2024-02-15T00:00:00.000Z',
        expiresAt: Math.floor(Date.parse(e.eventTime) / 1000) + 365 * 86_400,
      })),
    );
  });

  it('stops reading at the limit', async () => {
    // Act
    const got = await collect(library(2).events({ service: 'glue', since: '30d', limit: 7 }));
    // Assess: the newest 7 (5 of 2024-02-14, 2 of 02-13). Queries: the 32 shards of 02-15 (empty),
    // 02-14, 02-13 and of the day opened ahead, each one page (a shard holds 0 to 2 of a day's 5),
    // a few second pages; not the 31 days of the range.
    expect(ids(got)).toEqual(
      ids(
        synthetic
          .filter((e) => e.service === 'glue')
          .sort(newestFirst)
          .slice(0, 7),
      ),
    );
    expect(queries).toBeGreaterThanOrEqual(4 * 32);
    expect(queries).toBeLessThanOrEqual(4 * 32 + 10);
  });

  it('reads little more than the limit from a busy day spread over 32 shards', async () => {
    // Prepare: 3,000 Glue calls in one hour, in a table of their own.
    const table = 'query-busy-day';
    await ensureTable(client, eventTableDefinition(table));
    const busy = Array.from({ length: 3_000 }, (_, i) => ({
      ...(synthetic[0] as NormalizedEvent),
      eventTime: new Date(Date.parse('2024-02-14T10:00:00Z') + i * 1_200).toISOString().replace('.000Z', 'Z'),
      eventId: `30000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    }));
    await new DynamoDbEventStore({ tableName: table, client }).putEvents(busy, SOURCE);
    const reader = new EventQueryClient({ tableName: table, client, now: () => DELIVERED_AT });
    for (const [limit, order] of [
      [50, 'newest'],
      [1_000, 'oldest'],
    ] as const) {
      itemsRead = 0;
      // Act
      const got = await collect(
        reader.events({ service: 'glue', from: '2024-02-14', to: '2024-02-14', limit, order }),
      );
      // Assess: exact, and about limit/32 + 2 per shard plus the few (doubling) pages of fuller shards.
      const sorted = [...busy].sort(order === 'newest' ? newestFirst : oldestFirst);
      expect(ids(got)).toEqual(ids(sorted.slice(0, limit)));
      expect(itemsRead).toBeLessThanOrEqual(limit * 1.5 + 32 * 3);
    }
  });

  it('defaults to the last 24 hours', async () => {
    const got = await collect(library().events({ service: 'batch' }));
    expect(ids(got)).toEqual(
      ids(
        synthetic
          .filter((e) => e.service === 'batch')
          .filter(within('2024-02-14T00:00:00Z', '2024-02-15T00:00:00Z'))
          .sort(newestFirst),
      ),
    );
  });

  it.each<[string, () => AsyncGenerator<StoredEvent>, string, RegExp]>([
    [
      'an unknown service',
      () => library().events({ service: 'glue2' as ServiceName }),
      'service',
      /one of glue, emr, athena, batch/,
    ],
    ['a bad from', () => library().events({ from: 'last tuesday' }), 'from', /not a date/],
    ['a time without zone', () => library().events({ from: '2024-01-01T10:00' }), 'from', /Z or an offset/],
    ['a bad duration', () => library().failures({ since: '3 days' }), 'since', /duration/],
    ['since and from', () => library().failures({ since: '1d', from: '2024-01-01' }), 'since', /not both/],
    ['from after to', () => library().events({ from: '2024-02-01', to: '2024-01-01' }), 'from', /after/],
    ['to alone', () => library().events({ to: '2024-01-01' }), 'to', /needs 'from' or 'since'/],
    ['a range of decades', () => library().events({ from: '1990-01-01' }), 'from', /at most 3660/],
    ['a zero limit', () => library().events({ limit: 0 }), 'limit', /at least 1/],
    ['a fractional limit', () => library().events({ limit: 2.5 }), 'limit', /whole number/],
    ['a bad order', () => library().events({ order: 'up' as 'newest' }), 'order', /newest/],
    [
      'a typo in a field',
      () => library().events({ serivce: 'glue' } as never),
      'serivce',
      /not a known field/,
    ],
    [
      'a principal that is no ARN',
      () => library().byPrincipal({ principalArn: 'alice' }),
      'principalArn',
      /ARN/,
    ],
    [
      'a resource without type',
      () => library().byResource({ resource: 'nightly-etl' }),
      'resource',
      /<type>#<id>/,
    ],
    ['an empty service list', () => library().events({ service: [] }), 'service', /at least one/],
    ['a zero page size', () => library(0).events(), 'pageSize', /positive whole number/],
    [
      'a bad table name',
      () => new EventQueryClient({ tableName: 'my table', client }).events(),
      'tableName',
      /not a DynamoDB table name/,
    ],
  ])('rejects %s with a ValidationError naming the field', (_name, run, field, reason) => {
    // Act
    let error: unknown;
    try {
      run();
    } catch (err) {
      error = err;
    }
    // Assess: thrown at once, before any request.
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
    expect((error as ValidationError).message).toMatch(reason);
    expect((error as ValidationError).message.startsWith(`${field}: `)).toBe(true);
    expect(queries).toBe(0);
  });

  it('orders events of one second with and without fractions consistently, both ways', async () => {
    // Prepare: a table of its own; the fractional time once sorted before the whole second ('.' < 'Z').
    const table = 'query-subsecond';
    await ensureTable(client, eventTableDefinition(table));
    const at = (eventTime: string, id: string): NormalizedEvent => ({
      ...(synthetic[0] as NormalizedEvent),
      eventTime,
      eventId: `20000000-0000-4000-8000-00000000000${id}`,
    });
    const stored = [
      at('2024-02-14T10:00:58.750Z', '1'),
      at('2024-02-14T10:00:59.500Z', '3'),
      at('2024-02-14T10:00:59Z', '2'),
      at('2024-02-14T10:01:00Z', '4'),
    ];
    await new DynamoDbEventStore({ tableName: table, client }).putEvents(stored, {
      ...SOURCE,
      deliveredAt: DELIVERED_AT,
    });
    const reader = new EventQueryClient({ tableName: table, client, now: () => DELIVERED_AT });
    const range = { service: 'glue' as const, from: '2024-02-14T10:00:00Z', to: '2024-02-14T10:01:00Z' };
    // Act
    const oldest = await collect(reader.events({ ...range, order: 'oldest' }));
    const newest = await collect(reader.events({ ...range, order: 'newest' }));
    // Assess: by second, then by eventId within the second; eventTime comes back as written.
    const expected = ['1', '2', '3', '4'].map((n) => `20000000-0000-4000-8000-00000000000${n}`);
    expect(ids(oldest)).toEqual(expected);
    expect(ids(newest)).toEqual([...expected].reverse());
    expect(oldest[2]?.eventTime).toBe('2024-02-14T10:00:59.500Z');
  });
});

function buildEvents(): NormalizedEvent[] {
  const events: NormalizedEvent[] = [];
  const start = Date.parse('2024-01-01T00:00:00Z');
  for (let day = 0; day < 45; day++) {
    SERVICES.forEach((service, s) => {
      for (let k = 0; k < 5; k++) {
        const n = events.length;
        const failed = (day + k + s) % 4 === 0;
        const time = new Date(start + day * 86_400_000 + k * 4 * 3_600_000 + s * 7 * 60_000 + day * 1000);
        const resources =
          service === 'emr'
            ? [{ type: 'emr:cluster', id: k % 2 === 0 ? 'j-CLUSTER1' : 'j-CLUSTER2' }]
            : k === 4
              ? []
              : [{ type: `${service}:job`, id: `${service}-job-${k}` }];
        events.push({
          service,
          eventSource: `${service}.amazonaws.com`,
          eventName: failed ? 'StartJobRun' : 'DescribeJob',
          eventTime: time.toISOString().replace('.000Z', 'Z'),
          eventId: `10000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
          accountId: '123456789012',
          region: 'eu-west-1',
          principal:
            service === 'glue' || service === 'athena'
              ? { type: 'IAMUser', arn: ALICE, userName: 'alice' }
              : { type: 'AssumedRole', arn: OPS_ROLE, userName: 'Ops' },
          failed,
          ...(failed ? { errorCode: 'AccessDeniedException', errorMessage: 'not allowed' } : {}),
          resources,
          requestParameters: { n },
        });
      }
    });
  }
  return events;
}
