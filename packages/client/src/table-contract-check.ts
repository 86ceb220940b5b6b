import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { TrailwatchError } from './errors';
import { CONTRACT_ITEM_KEY, layoutMismatch, TABLE_CONTRACT_VERSION } from './table-contract';

/** The table is not one this library can read: another contract version, or not a trailwatch table. */
export class TableContractError extends TrailwatchError {
  constructor(
    readonly tableName: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `table ${tableName} ${reason}; this trailwatch reads table contract v${TABLE_CONTRACT_VERSION} (docs/table.md, "Versions")`,
      options,
    );
  }
}

/**
 * Fails with a TableContractError unless the table holds contract v1: its contract item says so, or
 * (a table no event was written to yet) its key schema is v1's. A v0 table has no contract item and
 * the v0 key schema, so it is named as such instead of returning no events.
 */
export async function checkTableContract(
  client: DynamoDBClient,
  doc: DynamoDBDocumentClient,
  tableName: string,
): Promise<void> {
  const out = await doc.send(new GetCommand({ TableName: tableName, Key: { ...CONTRACT_ITEM_KEY } }));
  const version = out.Item?.contractVersion;
  if (version === TABLE_CONTRACT_VERSION) return;
  if (version !== undefined) {
    throw new TableContractError(tableName, `holds trailwatch table contract v${String(version)}`);
  }
  let layout;
  try {
    layout = (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (err) {
    throw new TableContractError(
      tableName,
      `has no contract item (${CONTRACT_ITEM_KEY.pk}) and its layout cannot be read (${(err as Error).name}: ${(err as Error).message})`,
      { cause: err },
    );
  }
  const mismatch = layout ? layoutMismatch(layout) : 'cannot be described';
  if (mismatch)
    throw new TableContractError(
      tableName,
      `is not a v${TABLE_CONTRACT_VERSION} trailwatch table: ${mismatch}`,
    );
}
