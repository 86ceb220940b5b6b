import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/** The alert state table's TTL attribute (epoch seconds). CreateTable cannot set TTL: the CDK stack does. */
export const ALERT_STATE_TTL_ATTRIBUTE = 'expiresAt';

/**
 * CreateTable input of the alert state table: partition key `pk` (S) only, on-demand. It holds the
 * per-eventId markers, per-file message records and per-signature windows of docs/alerts.md, apart
 * from the event table so that one holds only events.
 */
export function alertStateTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
  };
}
