import { ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** How many items of the event table `table` came from the log object `key` (every Scan page counted). */
export async function itemsFromObject(client: DynamoDBClient, table: string, key: string): Promise<number> {
  let count = 0;
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: table,
        Select: 'COUNT',
        FilterExpression: 's3Key = :key',
        ExpressionAttributeValues: { ':key': { S: key } },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return count;
}
