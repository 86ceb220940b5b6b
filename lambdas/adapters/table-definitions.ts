import {
  CreateTableCommand,
  CreateTableCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  TableDescription,
} from '@aws-sdk/client-dynamodb';
import { TrailwatchError } from '../core/errors';
import { EVENT_INDEXES, EventIndexName, EventIndexSpec, TABLE_KEYS } from '@trailwatch/client/contract';

/** CreateTable input of the event table: the public layout of docs/table.md (pk/sk, three GSIs, on-demand). */
export function eventTableDefinition(tableName: string): CreateTableCommandInput {
  const indexes = Object.entries(EVENT_INDEXES) as [EventIndexName, EventIndexSpec][];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      TABLE_KEYS.partition,
      TABLE_KEYS.sort,
      ...indexes.map(([, i]) => i.partitionKey),
    ].map((AttributeName) => ({ AttributeName, AttributeType: 'S' as const })),
    KeySchema: [
      { AttributeName: TABLE_KEYS.partition, KeyType: 'HASH' },
      { AttributeName: TABLE_KEYS.sort, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: indexes.map(([IndexName, spec]) => ({
      IndexName,
      KeySchema: [
        { AttributeName: spec.partitionKey, KeyType: 'HASH' as const },
        { AttributeName: TABLE_KEYS.sort, KeyType: 'RANGE' as const },
      ],
      Projection:
        spec.projection === 'ALL'
          ? { ProjectionType: 'ALL' as const }
          : { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...(spec.include ?? [])] },
    })),
  };
}

/** Options of {@link ensureTable}. */
export interface EnsureTableOptions {
  /** How long to wait for the table and its indexes to become ACTIVE (default 60 s). */
  readonly timeoutMs?: number;
  /** Pause between DescribeTable polls (default 250 ms). */
  readonly pollMs?: number;
}

/** Creates the table when it does not exist (another creator racing us is fine) and waits until it and its indexes are ACTIVE. */
export async function ensureTable(
  client: DynamoDBClient,
  input: CreateTableCommandInput,
  options: EnsureTableOptions = {},
): Promise<TableDescription> {
  const tableName = input.TableName;
  if (!tableName) throw new TrailwatchError('ensureTable: the CreateTable input has no TableName');
  const timeoutMs = options.timeoutMs ?? 60_000;
  const pollMs = options.pollMs ?? 250;

  if (!(await describe(client, tableName))) {
    try {
      await client.send(new CreateTableCommand(input));
    } catch (err) {
      // Someone else created it between our DescribeTable and CreateTable: wait for theirs.
      if (!(err instanceof ResourceInUseException)) {
        throw new TrailwatchError(`cannot create table ${tableName}: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
  }

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const table = await describe(client, tableName);
    const indexesActive = (table?.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === 'ACTIVE');
    if (table?.TableStatus === 'ACTIVE' && indexesActive) return table;
    if (Date.now() >= deadline) {
      throw new TrailwatchError(
        `table ${tableName} is not ACTIVE after ${timeoutMs} ms (status ${table?.TableStatus ?? 'missing'})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

async function describe(client: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
  try {
    const out = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return out.Table;
  } catch (err) {
    if (err instanceof ResourceNotFoundException) return undefined;
    throw new TrailwatchError(`cannot describe table ${tableName}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Fails with one clear line when the event table does not exist (instead of one failure per object). */
export async function assertTableExists(client: DynamoDBClient, table: string, flag: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: table }));
  } catch (err) {
    if ((err as { name?: string }).name === 'ResourceNotFoundException') {
      throw new TrailwatchError(
        `${flag} ${table}: no such DynamoDB table (check the name, --region and the endpoint)`,
        {
          cause: err,
        },
      );
    }
    // Anything else (no DescribeTable permission, ...) is left to the writes to report.
  }
}
