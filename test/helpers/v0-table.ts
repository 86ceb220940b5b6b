import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/** The CreateTable input of a v0 event table, as trailwatch 0.x created it (for the version checks). */
export function v0TableDefinition(tableName: string): CreateTableCommandInput {
  const index = (IndexName: string, key: string) => ({
    IndexName,
    KeySchema: [
      { AttributeName: key, KeyType: 'HASH' as const },
      { AttributeName: 'sk', KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'ALL' as const },
  });
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: ['pk', 'sk', 'principalArn', 'failureDay', 'resourceKey'].map((AttributeName) => ({
      AttributeName,
      AttributeType: 'S' as const,
    })),
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      index('byPrincipal', 'principalArn'),
      index('failures', 'failureDay'),
      index('byResource', 'resourceKey'),
    ],
  };
}

/** One item as a v0 table holds it (pk `<service>#<day>`, no shard). */
export const V0_ITEM = {
  pk: { S: 'glue#2024-02-14' },
  sk: { S: '2024-02-14T10:00:00Z#00000000-0000-4000-8000-000000000001' },
  service: { S: 'glue' },
  eventName: { S: 'GetJob' },
};
