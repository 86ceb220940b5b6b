import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import * as fc from 'fast-check';
import { DynamoDbEventStore } from '../../lambdas/adapters/event-store';
import { ensureTable, eventTableDefinition } from '../../lambdas/adapters/table-definitions';
import { fromEventItem, StoredEvent } from '../../lambdas/core/event-item';
import type { NormalizedEvent } from '../../lambdas/core/normalized-event';
import { SERVICE_NAMES, SERVICES, ServiceName } from '../../lambdas/core/services';
import { CONTRACT_ITEM_KEY } from '../../lambdas/core/table-contract';
import { collect, EventQueryClient } from '../../lambdas/query';
import { DynaliteServer, startDynalite } from '../../local/dynalite-server';

// Property: whatever the events and the query, the library returns exactly what a Scan of the
// table, filtered by the query and sorted by time, returns: same events, same order, same limit.

let server: DynaliteServer;
let client: DynamoDBClient;
let tables = 0;

beforeAll(async () => {
  server = await startDynalite();
  client = new DynamoDBClient({
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});

afterAll(async () => {
  client.destroy();
  await server.stop();
});

const START = Date.parse('2024-03-01T00:00:00Z');
const SPAN_S = 2 * 86_400; // two UTC days
const PRINCIPALS = ['arn:aws:iam::111122223333:user/a', 'arn:aws:sts::111122223333:assumed-role/r/s'];
const RESOURCES = [
  { type: 'glue:database', id: 'default' },
  { type: 'glue:job', id: 'etl' },
];
const REGIONS = ['us-east-1', 'eu-west-1'];

const eventArb = fc.record({
  service: fc.constantFrom(...SERVICE_NAMES),
  second: fc.integer({ min: 0, max: SPAN_S - 1 }),
  failed: fc.boolean(),
  principal: fc.nat(PRINCIPALS.length - 1),
  resource: fc.option(fc.nat(RESOURCES.length - 1), { nil: undefined }),
  region: fc.nat(REGIONS.length - 1),
});

const queryArb = fc.record({
  kind: fc.constantFrom('events', 'failures', 'byPrincipal', 'byResource'),
  services: fc.option(fc.subarray([...SERVICE_NAMES], { minLength: 1 }), { nil: undefined }),
  failed: fc.option(fc.boolean(), { nil: undefined }),
  order: fc.constantFrom('newest' as const, 'oldest' as const),
  limit: fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }),
  from: fc.integer({ min: 0, max: SPAN_S - 1 }),
  length: fc.integer({ min: 0, max: SPAN_S }),
  principal: fc.nat(PRINCIPALS.length - 1),
  resource: fc.nat(RESOURCES.length - 1),
  region: fc.nat(REGIONS.length - 1),
  pageSize: fc.option(fc.integer({ min: 1, max: 7 }), { nil: undefined }),
});

type Query = typeof queryArb extends fc.Arbitrary<infer Q> ? Q : never;

const iso = (second: number) => new Date(START + second * 1000).toISOString().replace('.000Z', 'Z');

function toEvent(e: typeof eventArb extends fc.Arbitrary<infer E> ? E : never, i: number): NormalizedEvent {
  const resource = e.resource === undefined ? undefined : RESOURCES[e.resource];
  return {
    service: e.service,
    eventSource: SERVICES[e.service].eventSource,
    eventName: 'Call',
    eventTime: iso(e.second),
    eventId: `40000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    accountId: '111122223333',
    region: REGIONS[e.region],
    principal: { type: 'IAMUser', arn: PRINCIPALS[e.principal] },
    failed: e.failed,
    ...(e.failed ? { errorCode: 'AccessDenied' } : {}),
    resources: resource ? [resource] : [],
  };
}

// What the query asks for, as a predicate over stored events.
function matches(q: Query, e: StoredEvent): boolean {
  const from = iso(q.from);
  const to = iso(Math.min(SPAN_S - 1, q.from + q.length));
  const ranged = q.kind === 'events' || q.kind === 'failures' || q.length < SPAN_S;
  if (ranged && (e.eventTime < from || e.eventTime > to)) return false;
  if (q.services && !q.services.includes(e.service as ServiceName)) return false;
  if (q.kind === 'failures') return e.failed;
  if (q.failed !== undefined && e.failed !== q.failed) return false;
  if (q.kind === 'byPrincipal') return e.principal.arn === PRINCIPALS[q.principal];
  if (q.kind === 'byResource') {
    const r = RESOURCES[q.resource] as { type: string; id: string };
    return e.region === REGIONS[q.region] && e.resources[0]?.type === r.type && e.resources[0].id === r.id;
  }
  return true;
}

function run(reader: EventQueryClient, q: Query): AsyncGenerator<StoredEvent> {
  const to = iso(Math.min(SPAN_S - 1, q.from + q.length));
  const common = { order: q.order, limit: q.limit, service: q.services };
  // The lookups read the whole history unless given a range; leave it off when the range is everything.
  const range = { from: iso(q.from), to };
  switch (q.kind) {
    case 'events':
      return reader.events({ ...common, ...range, failed: q.failed });
    case 'failures':
      return reader.failures({ ...common, ...range });
    case 'byPrincipal':
      return reader.byPrincipal({
        ...common,
        ...(q.length < SPAN_S ? range : {}),
        failed: q.failed,
        principalArn: PRINCIPALS[q.principal] as string,
      });
    case 'byResource':
      return reader.byResource({
        ...common,
        ...(q.length < SPAN_S ? range : {}),
        failed: q.failed,
        resource: {
          accountId: '111122223333',
          region: REGIONS[q.region] as string,
          ...RESOURCES[q.resource]!,
        },
      });
  }
}

async function scanEvents(tableName: string): Promise<StoredEvent[]> {
  const doc = DynamoDBDocumentClient.from(client);
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey }));
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  const sk = (e: StoredEvent) => `${e.eventTime}#${e.eventId}`;
  return items
    .filter((i) => i.pk !== CONTRACT_ITEM_KEY.pk)
    .map(fromEventItem)
    .sort((a, b) => sk(a).localeCompare(sk(b)));
}

describe('EventQueryClient versus a Scan sorted by time', () => {
  it('returns the same events in the same order, cut at the same limit', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(eventArb, { maxLength: 60 }), queryArb, async (generated, q) => {
        // Prepare
        const tableName = `prop-${++tables}`;
        await ensureTable(client, eventTableDefinition(tableName));
        const events = generated.map(toEvent);
        await new DynamoDbEventStore({ tableName, client }).putEvents(events, {
          bucket: 'b',
          key: 'AWSLogs/f.json.gz',
          deliveredAt: new Date('2024-03-03T00:00:00Z'),
        });
        const reader = new EventQueryClient({
          tableName,
          client,
          pageSize: q.pageSize,
          now: () => new Date('2024-03-03T00:00:00Z'),
        });
        // Act
        const got = await collect(run(reader, q));
        // Assess
        const sorted = (await scanEvents(tableName)).filter((e) => matches(q, e));
        if (q.order === 'newest') sorted.reverse();
        expect(got).toEqual(q.limit === undefined ? sorted : sorted.slice(0, q.limit));
      }),
      { numRuns: 30 },
    );
  }, 120_000);
});
