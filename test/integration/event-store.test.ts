import {
  DynamoDBClient,
  InternalServerError,
  ProvisionedThroughputExceededException,
  RequestLimitExceeded,
  ResourceNotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbEventStore, EventStoreError } from '../../lambdas/adapters/event-store';
import { ensureTable, eventTableDefinition } from '../../lambdas/adapters/table-definitions';
import { eventSortKey, utcDayOf } from '../../lambdas/core/event-item';
import {
  CONTRACT_ITEM_KEY,
  EVENT_INDEXES,
  eventPartitionKey,
  servicePartitionKeys,
  shardOf,
} from '../../lambdas/core/table-contract';
import { normalizeRecord } from '../../lambdas/core/normalize';
import type { NormalizedEvent } from '../../lambdas/core/normalized-event';
import type { ServiceName } from '../../lambdas/core/services';
import { DynaliteServer, startDynalite } from '../../local/dynalite-server';
import { seedRecords } from '../../local/seed-records';

const SOURCE = {
  bucket: 'trail-bucket',
  key: 'AWSLogs/123456789012/CloudTrail/us-east-1/2018/04/01/f.json.gz',
};
const DELIVERED_AT = '2018-04-01T00:05:00.000Z';

let server: DynaliteServer;
let tableCounter = 0;

beforeAll(async () => {
  server = await startDynalite();
});

afterAll(async () => {
  await server.stop();
});

function newClient(): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}

async function newTable(client: DynamoDBClient): Promise<string> {
  const name = `events-${++tableCounter}`;
  await ensureTable(client, eventTableDefinition(name));
  return name;
}

// Every event item (the contract item is not an event).
async function scanAll(client: DynamoDBClient, tableName: string): Promise<Record<string, unknown>[]> {
  return (await scanTable(client, tableName)).filter((i) => i.pk !== CONTRACT_ITEM_KEY.pk);
}

async function scanTable(client: DynamoDBClient, tableName: string): Promise<Record<string, unknown>[]> {
  const doc = DynamoDBDocumentClient.from(client);
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey, Limit: 1000 }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

// Time order (sk first), the order EXPECTED_SEED_ITEMS is written in.
function byKey(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const ka = `${String(a.sk)} ${String(a.pk)}`;
  const kb = `${String(b.sk)} ${String(b.pk)}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

const noSleep = async (): Promise<void> => {};

function seedEvents(): NormalizedEvent[] {
  return seedRecords().map((seed) => {
    const result = normalizeRecord(seed.record);
    if (!result.ok) throw new Error(`seed ${seed.name} did not normalize: ${result.message}`);
    return result.event;
  });
}

// The seven seed examples as items, written out field by field (docs/table.md describes each attribute).
const EXPECTED_SEED_ITEMS = [
  {
    pk: 'athena#2017-05-04#14',
    sk: '2017-05-04T00:21:57Z#6e1fc69b-d076-477e-8dec-024ee51488c4',
    service: 'athena',
    eventName: 'StartQueryExecution',
    eventTime: '2017-05-04T00:21:57Z',
    requestId: 'aefbc057-305f-11e7-9f39-bbc56d5d161e',
    eventVersion: '1.05',
    accountId: '123456789012',
    region: 'us-east-1',
    principal: {
      type: 'IAMUser',
      accountId: '123456789012',
      principalId: 'EXAMPLE_PRINCIPAL_ID',
      userName: 'johndoe',
    },
    principalArn: 'arn:aws:iam::123456789012:user/johndoe',
    sourceIp: '77.88.999.69',
    userAgent: 'aws-internal/3',
    failed: true,
    errorCode: 'InvalidRequestException',
    errorMessage:
      'Invalid result configuration. Should specify either output location or result configuration',
    resources: [],
    failurePk: 'athena#2017-05-04#14',
    requestParameters: '{"clientRequestToken":"ca0e965f-d6d8-4277-8257-814a57f57446","query":"Select 10"}',
    // responseElements left out: CloudTrail's null response.
    s3Bucket: SOURCE.bucket,
    s3Key: SOURCE.key,
    ingestedAt: DELIVERED_AT,
    expiresAt: 1525393317, // eventTime 2017-05-04T00:21:57Z + 365 days
  },
  {
    pk: 'athena#2017-05-04#04',
    sk: '2017-05-04T00:23:55Z#c97cf8c8-6112-467a-8777-53bb38f83fd5',
    service: 'athena',
    eventName: 'StartQueryExecution',
    eventTime: '2017-05-04T00:23:55Z',
    requestId: 'f5039b01-305f-11e7-b146-c3fc56a7dc7a',
    eventVersion: '1.05',
    accountId: '123456789012',
    region: 'us-east-1',
    principal: {
      type: 'IAMUser',
      accountId: '123456789012',
      principalId: 'EXAMPLE_PRINCIPAL_ID',
      userName: 'johndoe',
    },
    principalArn: 'arn:aws:iam::123456789012:user/johndoe',
    sourceIp: '77.88.999.69',
    userAgent: 'aws-internal/3',
    failed: false,
    resources: [{ type: 'athena:query-execution', id: 'b621c254-74e0-48e3-9630-78ed857782f9' }],
    resourceKey: '123456789012#us-east-1#athena:query-execution#b621c254-74e0-48e3-9630-78ed857782f9',
    requestParameters:
      '{"clientRequestToken":"16bc6e70-f972-4260-b18a-db1b623cb35c","resultConfiguration":{"outputLocation":"s3://athena-johndoe-test/test/"},"query":"Select 10"}',
    responseElements: '{"queryExecutionId":"b621c254-74e0-48e3-9630-78ed857782f9"}',
    s3Bucket: SOURCE.bucket,
    s3Key: SOURCE.key,
    ingestedAt: DELIVERED_AT,
    expiresAt: 1525393435, // eventTime 2017-05-04T00:23:55Z + 365 days
  },
  {
    pk: 'athena#2017-05-16#14',
    sk: '2017-05-16T22:00:58Z#15e3d3b5-6c3b-4c7c-bc0b-36a8dd95227b',
    service: 'athena',
    eventName: 'CreateNamedQuery',
    eventTime: '2017-05-16T22:00:58Z',
    requestId: '2487dd96-3a83-11e7-8f67-c9de5ac76512',
    eventVersion: '1.05',
    accountId: '123456789012',
    region: 'us-west-2',
    principal: {
      type: 'IAMUser',
      accountId: '123456789012',
      principalId: 'EXAMPLE_PRINCIPAL_ID',
      userName: 'johndoe',
    },
    principalArn: 'arn:aws:iam::123456789012:user/johndoe',
    sourceIp: '77.88.999.69',
    userAgent: 'aws-cli/1.11.85 Python/2.7.10 Darwin/16.6.0 botocore/1.5.48',
    failed: false,
    resources: [{ type: 'athena:named-query', id: 'cdd0fe29-4787-4263-9188-a9c8db29f2d6' }],
    resourceKey: '123456789012#us-west-2#athena:named-query#cdd0fe29-4787-4263-9188-a9c8db29f2d6',
    requestParameters:
      '{"name":"johndoetest","queryString":"select 10","database":"default","clientRequestToken":"fc1ad880-69ee-4df0-bb0f-1770d9a539b1"}',
    responseElements: '{"namedQueryId":"cdd0fe29-4787-4263-9188-a9c8db29f2d6"}',
    s3Bucket: SOURCE.bucket,
    s3Key: SOURCE.key,
    ingestedAt: DELIVERED_AT,
    expiresAt: 1526508058, // eventTime 2017-05-16T22:00:58Z + 365 days
  },
  {
    pk: 'glue#2017-10-11#10',
    sk: '2017-10-11T22:29:49Z#e73dd117-cfd1-47d1-9e2f-d1271cad838c',
    service: 'glue',
    eventName: 'DeleteCrawler',
    eventTime: '2017-10-11T22:29:49Z',
    requestId: 'b16f4050-aed3-11e7-b0b3-75564a46954f',
    eventVersion: '1.05',
    accountId: '123456789012',
    region: 'us-east-1',
    principal: {
      type: 'IAMUser',
      accountId: '123456789012',
      principalId: 'AKIAIOSFODNN7EXAMPLE',
      userName: 'johndoe',
    },
    principalArn: 'arn:aws:iam::123456789012:user/johndoe',
    sourceIp: '72.21.198.64',
    userAgent: 'aws-cli/1.11.148 Python/3.6.1 Darwin/16.7.0 botocore/1.7.6',
    failed: false,
    resources: [{ type: 'glue:crawler', id: 'tes-alpha' }],
    resourceKey: '123456789012#us-east-1#glue:crawler#tes-alpha',
    requestParameters: '{"name":"tes-alpha"}',
    // responseElements left out: CloudTrail's null response.
    s3Bucket: SOURCE.bucket,
    s3Key: SOURCE.key,
    ingestedAt: DELIVERED_AT,
    expiresAt: 1539296989, // eventTime 2017-10-11T22:29:49Z + 365 days
  },
  {
    pk: 'glue#2017-10-13#02',
    sk: '2017-10-13T00:19:19Z#e8b3baeb-c511-4597-880f-c16210c60a4a',
    service: 'glue',
    eventName: 'CreateConnection',
    eventTime: '2017-10-13T00:19:19Z',
    requestId: '27136ebc-afac-11e7-a7d6-ab217e5c3f19',
    eventVersion: '1.05',
    accountId: '123456789012',
    region: 'us-east-1',
    principal: {
      type: 'IAMUser',
      accountId: '123456789012',
      principalId: 'AKIAIOSFODNN7EXAMPLE',
      userName: 'johndoe',
    },
    principalArn: 'arn:aws:iam::123456789012:user/johndoe',
    sourceIp: '72.21.198.66',
    userAgent: 'aws-cli/1.11.148 Python/3.6.1 Darwin/16.7.0 botocore/1.7.6',
    failed: false,
    resources: [{ type: 'glue:connection', id: 'test-connection-alpha' }],
    resourceKey: '123456789012#us-east-1#glue:connection#test-connection-alpha',
    requestParameters:
      '{"connectionInput":{"name":"test-connection-alpha","connectionType":"JDBC","physicalConnectionRequirements":{"subnetId":"subnet-323232","availabilityZone":"us-east-1a","securityGroupIdList":["sg-12121212"]}}}',
    // responseElements left out: CloudTrail's null response.
    s3Bucket: SOURCE.bucket,
    s3Key: SOURCE.key,
    ingestedAt: DELIVERED_AT,
    expiresAt: 1539389959, // eventTime 2017-10-13T00:19:19Z + 365 days
  },
  {
    pk: 'batch#2017-12-20#01',
    sk: '2017-12-20T00:48:46Z#874f89fa-70fc-4798-bc00-EXAMPLE',
    service: 'batch',
    eventName: 'CreateComputeEnvironment',
    eventTime: '2017-12-20T00:48:46Z',
    requestId: '890b8639-e51f-11e7-b038-EXAMPLE',
    eventVersion: '1.05',
    readOnly: false,
    accountId: '012345678910',
    region: 'us-east-1',
    // The rest of this assumed role's identity is in its session ARN (docs/table.md, "Attributes left out").
    principal: {
      principalId: 'AIDACKCEVSQ6C2EXAMPLE:admin',
    },
    principalArn: 'arn:aws:sts::012345678910:assumed-role/Admin/admin',
    sourceIp: '203.0.113.1',
    userAgent: 'aws-cli/1.11.167 Python/2.7.10 Darwin/16.7.0 botocore/1.7.25',
    failed: false,
    resources: [{ type: 'batch:compute-environment', id: 'Test' }],
    resourceKey: '012345678910#us-east-1#batch:compute-environment#Test',
    requestParameters:
      '{"computeResources":{"subnets":["subnet-5eda8e04"],"tags":{"testBatchTags":"CLI testing CE"},"desiredvCpus":0,"minvCpus":0,"instanceTypes":["optimal"],"securityGroupIds":["sg-aba9e8db"],"instanceRole":"ecsInstanceRole","maxvCpus":128,"type":"EC2"},"state":"ENABLED","type":"MANAGED","serviceRole":"service-role/AWSBatchServiceRole","computeEnvironmentName":"Test"}',
    responseElements:
      '{"computeEnvironmentName":"Test","computeEnvironmentArn":"arn:aws:batch:us-east-1:012345678910:compute-environment/Test"}',
    s3Bucket: SOURCE.bucket,
    s3Key: SOURCE.key,
    ingestedAt: DELIVERED_AT,
    expiresAt: 1545266926, // eventTime 2017-12-20T00:48:46Z + 365 days
  },
  {
    pk: 'emr#2018-03-31#06',
    sk: '2018-03-31T17:59:21Z#b348a38d-f744-4097-8b2a-e68c9b424698',
    service: 'emr',
    eventName: 'RunJobFlow',
    eventTime: '2018-03-31T17:59:21Z',
    requestId: '2f482daf-b8fe-11e3-89e7-75a3d0e071c5',
    eventType: null, // the seed record has none
    eventVersion: '1.01',
    accountId: '123456789012',
    region: 'us-west-2',
    principal: {
      type: 'IAMUser',
      accountId: '123456789012',
      principalId: 'EX_PRINCIPAL_ID',
      userName: 'temporary-user-xx-7M',
    },
    principalArn: 'arn:aws:iam::123456789012:user/temporary-user-xx-7M',
    sourceIp: '192.0.2.1',
    userAgent: 'aws-sdk-java/unknown-version Linux/xx Java_HotSpot(TM)_64-Bit_Server_VM/xx',
    failed: false,
    resources: [{ type: 'emr:cluster', id: 'j-2WDJCGEG4E6AJ' }],
    resourceKey: '123456789012#us-west-2#emr:cluster#j-2WDJCGEG4E6AJ',
    requestParameters:
      '{"tags":[{"value":"prod","key":"domain"},{"value":"us-west-2","key":"realm"},{"value":"VERIFICATION","key":"executionType"}],"instances":{"slaveInstanceType":"m5.xlarge","ec2KeyName":"emr-integtest","instanceCount":1,"masterInstanceType":"m5.xlarge","keepJobFlowAliveWhenNoSteps":true,"terminationProtected":false},"visibleToAllUsers":false,"name":"MyCluster","ReleaseLabel":"emr-5.16.0"}',
    responseElements: '{"jobFlowId":"j-2WDJCGEG4E6AJ"}',
    s3Bucket: SOURCE.bucket,
    s3Key: SOURCE.key,
    ingestedAt: DELIVERED_AT,
    expiresAt: 1554055161, // eventTime 2018-03-31T17:59:21Z + 365 days
  },
];

describe('DynamoDbEventStore against dynalite', () => {
  it('creates the documented table: keys, three indexes sorted by sk with their projections, on demand', async () => {
    // Prepare
    const client = newClient();
    // Act
    const table = await ensureTable(client, eventTableDefinition('contract-check'));
    // Assess: the layout docs/table.md promises to other teams.
    expect(table.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(table.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    const indexes = (table.GlobalSecondaryIndexes ?? []).map((i) => ({
      name: i.IndexName,
      keys: i.KeySchema?.map((k) => `${k.AttributeName}:${k.KeyType}`),
      projection: i.Projection?.ProjectionType,
      include: i.Projection?.NonKeyAttributes,
    }));
    expect(indexes).toEqual([
      {
        name: 'failures',
        keys: ['failurePk:HASH', 'sk:RANGE'],
        projection: 'INCLUDE',
        include: [...EVENT_INDEXES.failures.include],
      },
      {
        name: 'byPrincipal',
        keys: ['principalArn:HASH', 'sk:RANGE'],
        projection: 'INCLUDE',
        include: ['failed'],
      },
      {
        name: 'byResource',
        keys: ['resourceKey:HASH', 'sk:RANGE'],
        projection: 'INCLUDE',
        include: ['failed'],
      },
    ]);
    expect(
      Object.fromEntries((table.AttributeDefinitions ?? []).map((a) => [a.AttributeName, a.AttributeType])),
    ).toEqual({
      pk: 'S',
      sk: 'S',
      principalArn: 'S',
      failurePk: 'S',
      resourceKey: 'S',
    });
    // A second call finds the table and leaves it be.
    await expect(ensureTable(client, eventTableDefinition('contract-check'))).resolves.toMatchObject({
      TableStatus: 'ACTIVE',
    });
    client.destroy();
  });

  it('writes the seed examples once each, field by field, however often they are written', async () => {
    // Prepare
    const client = newClient();
    const tableName = await newTable(client);
    const events = seedEvents();
    const source = { ...SOURCE, deliveredAt: new Date(DELIVERED_AT) };
    const firstClock = new DynamoDbEventStore({
      tableName,
      client,
      now: () => new Date('2018-04-01T00:06:00Z'),
    });
    const laterClock = new DynamoDbEventStore({
      tableName,
      client,
      now: () => new Date('2019-07-01T12:00:00Z'),
    });

    // Act: a first write, a Lambda retry a year later, and a duplicate notification with the
    // records reordered and repeated inside the file.
    await firstClock.putEvents(events, source);
    const afterFirst = (await scanAll(client, tableName)).sort(byKey);
    await laterClock.putEvents(events, source);
    await laterClock.putEvents([...events].reverse().concat(events), source);
    const afterRewrites = (await scanAll(client, tableName)).sort(byKey);

    // Assess: the events, and the one item that says which contract the table holds.
    expect(afterFirst).toEqual(EXPECTED_SEED_ITEMS);
    expect(afterRewrites).toEqual(EXPECTED_SEED_ITEMS);
    expect((await scanTable(client, tableName)).filter((i) => i.pk === CONTRACT_ITEM_KEY.pk)).toEqual([
      {
        pk: 'trailwatch#contract',
        sk: 'version',
        contractVersion: 1,
        shards: { glue: 32, athena: 16, emr: 8, batch: 8 },
      },
    ]);
    client.destroy();
  });

  it("writes an EventBridge event once, at the same v1 key as the log file, and never over the log file's item", async () => {
    // Prepare: the real-time path's source is the EventBridge event, not a file.
    const client = newClient();
    const tableName = await newTable(client);
    const store = new DynamoDbEventStore({ tableName, client, now: () => new Date('2018-04-01T00:00:30Z') });
    const [first, second] = seedEvents();
    const viaBus = { bucket: 'eventbridge:', key: '3b5c7a2e-1d4f-4e8a-9c6b-2f0d8e1a7b35' };
    const file = { ...SOURCE, deliveredAt: new Date(DELIVERED_AT) };

    // Act: the first event by EventBridge then its log file; the second by its log file then a late
    // EventBridge copy; and EventBridge's redelivery of the first.
    const wroteFirst = await store.putEventIfAbsent(first as NormalizedEvent, viaBus);
    await store.putEvents([first as NormalizedEvent, second as NormalizedEvent], file);
    const wroteLate = await store.putEventIfAbsent(second as NormalizedEvent, viaBus);
    const wroteAgain = await store.putEventIfAbsent(first as NormalizedEvent, viaBus);

    // Assess: one item per event, under the sharded v1 key; the second keeps the log file's copy.
    expect([wroteFirst, wroteLate, wroteAgain]).toEqual([true, false, false]);
    const items = (await scanAll(client, tableName)).sort(byKey);
    const ids = [first, second].map((e) => (e as NormalizedEvent).eventId);
    expect(items).toEqual(EXPECTED_SEED_ITEMS.filter((i) => ids.some((id) => i.sk.endsWith(`#${id}`))));
    expect(items.map((i) => i.pk).sort()).toEqual(
      [first, second]
        .map((e) =>
          eventPartitionKey(
            (e as NormalizedEvent).service,
            utcDayOf((e as NormalizedEvent).eventTime),
            shardOf((e as NormalizedEvent).service, (e as NormalizedEvent).eventId),
          ),
        )
        .sort(),
    );
    expect((await scanTable(client, tableName)).filter((i) => i.pk === CONTRACT_ITEM_KEY.pk)).toHaveLength(1);
    client.destroy();
  });

  it('stores the write time as ingestedAt when the caller does not pass the delivery time', async () => {
    // Prepare
    const client = newClient();
    const tableName = await newTable(client);
    const store = new DynamoDbEventStore({ tableName, client, now: () => new Date('2020-02-02T02:02:02Z') });
    // Act
    await store.putEvents(seedEvents().slice(0, 2), SOURCE);
    // Assess
    const items = await scanAll(client, tableName);
    expect(items.map((i) => i.ingestedAt)).toEqual(['2020-02-02T02:02:02.000Z', '2020-02-02T02:02:02.000Z']);
    client.destroy();
  });

  it('writes 10,000 events exactly once through throttling, 5xx and UnprocessedItems on a third of the requests', async () => {
    // Prepare
    const client = newClient();
    const tableName = await newTable(client);
    const faults = injectFaults(client, (n) => (n % 3 === 0 ? FAULTS[(n / 3) % FAULTS.length] : undefined));
    const events = syntheticEvents(10_000, ['glue', 'emr', 'athena'], '2024-03-01', 4);
    const sleeps: number[] = [];
    const store = new DynamoDbEventStore({
      tableName,
      client,
      concurrency: 6,
      maxConcurrency: 6,
      baseDelayMs: 2,
      maxDelayMs: 4,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });

    // Act
    await store.putEvents(events, { ...SOURCE, deliveredAt: new Date(DELIVERED_AT) });

    // Assess: every event once, under its own key, and the faults really happened.
    const items = await scanAll(client, tableName);
    const keys = items.map((i) => `${String(i.pk)}|${String(i.sk)}`);
    const expectedKeys = events.map(
      (e) =>
        `${eventPartitionKey(e.service, utcDayOf(e.eventTime), shardOf(e.service, e.eventId))}|${eventSortKey(e.eventTime, e.eventId)}`,
    );
    expect(items).toHaveLength(10_000);
    expect(new Set(keys).size).toBe(10_000);
    expect([...keys].sort()).toEqual([...expectedKeys].sort());
    // About 830 events per service-day fill every one of its shards.
    expect(new Set(items.map((i) => i.pk))).toEqual(
      new Set(
        (['glue', 'emr', 'athena'] as const).flatMap((s) =>
          ['01', '02', '03', '04'].flatMap((d) => servicePartitionKeys(s, `2024-03-${d}`)),
        ),
      ),
    );
    expect(faults.requests).toBeGreaterThan(400);
    expect(faults.injected.throttled).toBeGreaterThan(20);
    expect(faults.injected.serverError).toBeGreaterThan(10);
    expect(faults.injected.unprocessed).toBeGreaterThan(20);
    expect(faults.maxInFlight).toBeGreaterThan(1);
    expect(faults.maxInFlight).toBeLessThanOrEqual(6);
    expect(sleeps.length).toBeGreaterThan(0);
    expect(Math.max(...sleeps)).toBeLessThanOrEqual(4);
    client.destroy();
  }, 120_000);

  it('retries until its time budget is spent, then says how many events were not written and why', async () => {
    // Prepare: DynamoDB throttles every request, for good; time is fake (it moves only by the sleeps).
    const client = newClient();
    const tableName = await newTable(client);
    const faults = injectFaults(client, () => 'throttled');
    let now = 1_000_000;
    const sleeps: number[] = [];
    const store = new DynamoDbEventStore({
      tableName,
      client,
      remainingTimeMs: () => 30_000,
      reserveMs: 5_000,
      baseDelayMs: 100,
      maxDelayMs: 2_000,
      random: () => 0.999,
      clock: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
    });
    const events = syntheticEvents(60, ['batch'], '2024-03-01', 1);

    // Act
    const error = await store.putEvents(events, SOURCE).catch((err: unknown) => err);

    // Assess: no fixed number of attempts; each of the 3 batches kept retrying until the 25 s budget
    // (30 s left less the 5 s reserve) was spent, backing off up to the 2 s ceiling.
    expect(error).toBeInstanceOf(EventStoreError);
    expect((error as EventStoreError).message).toMatch(
      /^60 of 60 events from s3:\/\/trail-bucket\/AWSLogs\/.* were not written to table events-\d+: the write time budget of 25000 ms \(the remaining time less 5000 ms\) was spent while DynamoDB throttled the writes: ProvisionedThroughputExceededException: injected/,
    );
    expect((error as EventStoreError).notWritten).toBe(60);
    expect(now - 1_000_000).toBeLessThanOrEqual(3 * 25_000);
    expect(Math.max(...sleeps)).toBeLessThanOrEqual(2_000);
    expect(faults.requests).toBeGreaterThan(3 * 5);
    // Every throttled request counts its items (batches of 25, 25 and 10).
    expect(store.throttledWrites).toBeGreaterThanOrEqual(faults.requests * 10);
    expect(store.throttledWrites).toBeLessThanOrEqual(faults.requests * 25);
    expect(await scanAll(client, tableName)).toHaveLength(0);
    client.destroy();
  });

  describe('throttled on every write for 30 s of a 90 s budget (durations scaled 1:50)', () => {
    // Real time, scaled down 50 times so the suite stays fast: 30 s of throttling is 600 ms, the
    // Lambda's 95 s left less a 5 s reserve is 1900 - 100 ms, and the backoff ceilings (50 ms to 5 s)
    // are 1 to 100 ms. Every BatchWriteItem in the window is refused as DynamoDB refuses it.
    const SCALE = 50;
    const THROTTLE_MS = 30_000 / SCALE;
    const scaled = (tableName: string, client: DynamoDBClient, budgetMs: number) => {
      const deadline = Date.now() + budgetMs + 5_000 / SCALE;
      const throttled: number[] = [];
      const store = new DynamoDbEventStore({
        tableName,
        client,
        remainingTimeMs: () => deadline - Date.now(),
        reserveMs: 5_000 / SCALE,
        baseDelayMs: 50 / SCALE,
        maxDelayMs: 5_000 / SCALE,
        concurrency: 8,
        maxConcurrency: 8,
        onThrottled: (items) => throttled.push(items),
      });
      return { store, throttled };
    };

    it('slows down, completes the file and stores each event once', async () => {
      // Prepare
      const client = newClient();
      const tableName = await newTable(client);
      const events = syntheticEvents(1_000, ['glue', 'athena', 'emr', 'batch'], '2024-03-01', 1);
      const { store, throttled } = scaled(tableName, client, 90_000 / SCALE);
      const throttleUntil = Date.now() + THROTTLE_MS;
      const faults = injectFaults(client, () => (Date.now() < throttleUntil ? 'throttled' : undefined));
      // Act
      await store.putEvents(events, SOURCE);
      // Assess: every event once, after real throttling.
      const items = await scanAll(client, tableName);
      expect(items).toHaveLength(1_000);
      expect(new Set(items.map((i) => String(i.sk).split('#')[1]))).toEqual(
        new Set(events.map((e) => e.eventId)),
      );
      expect(faults.injected.throttled).toBeGreaterThan(8);
      expect(store.throttledWrites).toBe(throttled.reduce((a, b) => a + b, 0));
      expect(store.throttledWrites).toBe(faults.injected.throttled * 25);
      // Adaptive concurrency: 8 requests in flight at first, one at a time in the second half of the
      // throttling, and more than one again once writes go through.
      const during = faults.starts.filter(
        (s) => s.at > throttleUntil - THROTTLE_MS / 2 && s.at < throttleUntil,
      );
      const after = faults.starts.filter((s) => s.at >= throttleUntil);
      expect(Math.max(...faults.starts.slice(0, 8).map((s) => s.inFlight))).toBe(8);
      expect(during.length).toBeGreaterThan(0);
      expect(Math.max(...during.map((s) => s.inFlight))).toBe(1);
      expect(Math.max(...after.map((s) => s.inFlight))).toBeGreaterThan(1);
      client.destroy();
    });

    it('fails the file with an error saying the time budget was spent when the budget is shorter', async () => {
      // Prepare: 10 s of budget (200 ms) against the same 30 s of throttling.
      const client = newClient();
      const tableName = await newTable(client);
      const events = syntheticEvents(100, ['glue'], '2024-03-01', 1);
      const { store } = scaled(tableName, client, 10_000 / SCALE);
      const throttleUntil = Date.now() + THROTTLE_MS;
      injectFaults(client, () => (Date.now() < throttleUntil ? 'throttled' : undefined));
      // Act
      const error = await store.putEvents(events, SOURCE).catch((err: unknown) => err);
      // Assess
      expect(error).toBeInstanceOf(EventStoreError);
      // The budget is the remaining time at the write: up to a few ms under 200 on a busy machine.
      const budget =
        /^100 of 100 events .* were not written to table events-\d+: the write time budget of (\d+) ms \(the remaining time less 100 ms\) was spent while DynamoDB throttled the writes/.exec(
          (error as Error).message,
        );
      expect(budget).not.toBeNull();
      expect(Number(budget?.[1])).toBeGreaterThan(150);
      expect(Number(budget?.[1])).toBeLessThanOrEqual(200);
      expect(Date.now()).toBeLessThan(throttleUntil);
      client.destroy();
    });
  });

  it('counts only the events still unwritten when some batches get through', async () => {
    // Prepare: the second request fails for good with a non-retryable error; the others succeed.
    const client = newClient();
    const tableName = await newTable(client);
    const faults = injectFaults(client, (n) => (n === 2 ? 'missing-table' : undefined));
    const store = new DynamoDbEventStore({ tableName, client, concurrency: 1, sleep: noSleep });
    const events = syntheticEvents(60, ['emr'], '2024-03-01', 1);

    // Act
    const error = await store.putEvents(events, SOURCE).catch((err: unknown) => err);

    // Assess: a non-retryable error is not retried; the other two batches are written.
    expect(error).toBeInstanceOf(EventStoreError);
    expect((error as EventStoreError).notWritten).toBe(25);
    expect((error as Error).message).toMatch(/^25 of 60 events .*ResourceNotFoundException/);
    expect(faults.requests).toBe(3);
    expect(await scanAll(client, tableName)).toHaveLength(35);
    client.destroy();
  });
});

type Fault = 'throttled' | 'throttling' | 'request-limit' | 'server-error' | 'unprocessed' | 'missing-table';
const FAULTS: Fault[] = [
  'throttled',
  'unprocessed',
  'server-error',
  'throttling',
  'unprocessed',
  'request-limit',
];

interface FaultLog {
  requests: number;
  inFlight: number;
  maxInFlight: number;
  injected: { throttled: number; serverError: number; unprocessed: number };
  /** Requests in flight as each request started, with its start time and how many had completed. */
  starts: { at: number; inFlight: number; completed: number }[];
  completed: number;
}

type PutRequests = { PutRequest?: { Item?: Record<string, unknown> } }[];
interface BatchWriteArgs {
  input: { RequestItems?: Record<string, PutRequests> };
}

// Faults dynalite cannot produce, injected in the SDK's middleware stack before the request is
// serialized; everything else, including the processed half of a partial batch, goes to dynalite.
function injectFaults(client: DynamoDBClient, plan: (request: number) => Fault | undefined): FaultLog {
  const log: FaultLog = {
    requests: 0,
    inFlight: 0,
    maxInFlight: 0,
    injected: { throttled: 0, serverError: 0, unprocessed: 0 },
    starts: [],
    completed: 0,
  };
  const meta = { $metadata: {} };
  client.middlewareStack.add(
    (next) => async (args) => {
      const input = (args as unknown as BatchWriteArgs).input;
      if (!input.RequestItems) return next(args);
      const request = ++log.requests;
      log.inFlight++;
      log.maxInFlight = Math.max(log.maxInFlight, log.inFlight);
      log.starts.push({ at: Date.now(), inFlight: log.inFlight, completed: log.completed });
      try {
        await new Promise((resolve) => setImmediate(resolve));
        const fault = plan(request);
        switch (fault) {
          case 'throttled':
            log.injected.throttled++;
            throw new ProvisionedThroughputExceededException({
              message: 'injected: throughput exceeded',
              ...meta,
            });
          case 'throttling':
            log.injected.throttled++;
            throw new ThrottlingException({ message: 'injected: rate exceeded', ...meta });
          case 'request-limit':
            log.injected.throttled++;
            throw new RequestLimitExceeded({ message: 'injected: account limit', ...meta });
          case 'server-error':
            log.injected.serverError++;
            throw new InternalServerError({
              message: 'injected: internal error',
              $metadata: { httpStatusCode: 500 },
            });
          case 'missing-table':
            throw new ResourceNotFoundException({ message: 'injected: table not found', ...meta });
          case 'unprocessed': {
            log.injected.unprocessed++;
            const [table, requests] = Object.entries(input.RequestItems)[0] ?? ['', []];
            const half = Math.ceil(requests.length / 2);
            const result = await next({
              ...args,
              input: { ...input, RequestItems: { [table]: requests.slice(0, half) } },
            } as typeof args);
            const output = result.output as { UnprocessedItems?: Record<string, PutRequests> };
            const leftOver = [...(output.UnprocessedItems?.[table] ?? []), ...requests.slice(half)];
            return {
              ...result,
              output: { ...output, UnprocessedItems: { [table]: leftOver } },
            } as typeof result;
          }
          default:
            return await next(args);
        }
      } finally {
        log.inFlight--;
        log.completed++;
      }
    },
    { step: 'initialize', name: 'injectBatchWriteFaults' },
  );
  return log;
}

function syntheticEvents(
  count: number,
  services: ServiceName[],
  firstDay: string,
  days: number,
): NormalizedEvent[] {
  const start = Date.parse(`${firstDay}T00:00:00Z`);
  const step = Math.floor((days * 86_400_000) / count);
  return Array.from({ length: count }, (_, i) => {
    const service = services[i % services.length] as ServiceName;
    const failed = i % 7 === 0;
    return {
      service,
      eventSource: `${service}.amazonaws.com`,
      eventName: failed ? 'StartJobRun' : 'GetJob',
      eventTime: new Date(start + i * step).toISOString().replace('.000Z', 'Z'),
      eventId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      accountId: '123456789012',
      region: 'us-east-1',
      principal: { type: 'IAMUser', arn: `arn:aws:iam::123456789012:user/u${i % 5}`, userName: `u${i % 5}` },
      failed,
      ...(failed ? { errorCode: 'ThrottlingException', errorMessage: 'Rate exceeded' } : {}),
      resources: [{ type: `${service}:job`, id: `job-${i % 13}` }],
      requestParameters: { jobName: `job-${i % 13}` },
    };
  });
}
