import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDbEventStore, EventStoreError } from '../../lambdas/adapters/event-store';
import { ensureTable, eventTableDefinition } from '../../lambdas/adapters/table-definitions';
import type { NormalizedEvent } from '../../lambdas/core/normalized-event';
import { collect, EventQueryClient, TableContractError } from '../../lambdas/query';
import { DynaliteServer, startDynalite } from '../../local/dynalite-server';
import { V0_ITEM, v0TableDefinition } from '../helpers/v0-table';

let server: DynaliteServer;
let client: DynamoDBClient;

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

const SOURCE = { bucket: 'b', key: 'AWSLogs/123456789012/CloudTrail/us-east-1/2024/02/14/f.json.gz' };
const EVENT: NormalizedEvent = {
  service: 'glue',
  eventSource: 'glue.amazonaws.com',
  eventName: 'GetJob',
  eventTime: '2024-02-14T10:00:00Z',
  eventId: '00000000-0000-4000-8000-000000000001',
  accountId: '123456789012',
  region: 'us-east-1',
  principal: { type: 'IAMUser', arn: 'arn:aws:iam::123456789012:user/a' },
  failed: false,
  resources: [],
};
const reader = (tableName: string) =>
  new EventQueryClient({ tableName, client, now: () => new Date('2024-02-14T12:00:00Z') });

describe('the table contract version', () => {
  it('reads a v1 table, and an empty one that has no contract item yet', async () => {
    // Prepare
    await ensureTable(client, eventTableDefinition('v1-empty'));
    await ensureTable(client, eventTableDefinition('v1-written'));
    await new DynamoDbEventStore({ tableName: 'v1-written', client }).putEvents([EVENT], SOURCE);
    // Act / Assess
    expect(await collect(reader('v1-empty').events({ service: 'glue' }))).toEqual([]);
    expect((await collect(reader('v1-written').events({ service: 'glue' }))).map((e) => e.eventId)).toEqual([
      EVENT.eventId,
    ]);
  });

  it('refuses a v0 table in the library and in the writer, naming the v0 layout', async () => {
    // Prepare: a v0 table with a v0 item, which a v1 reader would silently not find.
    await client.send(new CreateTableCommand(v0TableDefinition('v0-table')));
    await client.send(new PutItemCommand({ TableName: 'v0-table', Item: V0_ITEM }));
    // Act
    const read = await collect(reader('v0-table').events({ service: 'glue' })).catch((err: unknown) => err);
    const write = await new DynamoDbEventStore({ tableName: 'v0-table', client })
      .putEvents([EVENT], SOURCE)
      .catch((err: unknown) => err);
    // Assess
    expect(read).toBeInstanceOf(TableContractError);
    expect((read as Error).message).toBe(
      'table v0-table is not a v1 trailwatch table: it has the v0 layout (failures index keyed by failureDay); this trailwatch reads table contract v1 (docs/table.md, "Versions")',
    );
    expect(write).toBeInstanceOf(EventStoreError);
    expect((write as Error).message).toMatch(
      /^1 of 1 events from s3:\/\/b\/.* were not written to table v0-table: it is not a trailwatch table of contract v1: it has the v0 layout/,
    );
  });

  it('refuses a table whose contract item names another version, in the library and in the writer', async () => {
    // Prepare: the v1 key schema, but a later contract (say, other shard counts) says so in its item.
    await ensureTable(client, eventTableDefinition('v2-table'));
    await client.send(
      new PutItemCommand({
        TableName: 'v2-table',
        Item: { pk: { S: 'trailwatch#contract' }, sk: { S: 'version' }, contractVersion: { N: '2' } },
      }),
    );
    // Act
    const read = await collect(reader('v2-table').failures({})).catch((err: unknown) => err);
    const write = await new DynamoDbEventStore({ tableName: 'v2-table', client })
      .putEvents([EVENT], SOURCE)
      .catch((err: unknown) => err);
    // Assess
    expect(read).toBeInstanceOf(TableContractError);
    expect((read as Error).message).toMatch(
      /^table v2-table holds trailwatch table contract v2; this trailwatch reads table contract v1/,
    );
    expect((write as Error).message).toMatch(/it holds another trailwatch table contract than v1/);
  });
});
