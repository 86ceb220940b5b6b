/** Existence checks a command runs before it starts work, so a wrong name or endpoint is one line, not one per file. */
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetTopicAttributesCommand, type SNSClient } from '@aws-sdk/client-sns';

/** `missing` when DynamoDB says the table does not exist; any other error is thrown as the SDK gave it. */
export async function tableStatus(client: DynamoDBClient, tableName: string): Promise<'exists' | 'missing'> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return 'exists';
  } catch (err) {
    if ((err as { name?: unknown }).name === 'ResourceNotFoundException') return 'missing';
    throw err;
  }
}

/** `missing` when SNS says the topic does not exist; any other error is thrown as the SDK gave it. */
export async function topicStatus(client: SNSClient, topicArn: string): Promise<'exists' | 'missing'> {
  try {
    await client.send(new GetTopicAttributesCommand({ TopicArn: topicArn }));
    return 'exists';
  } catch (err) {
    const name = (err as { name?: unknown }).name;
    if (name === 'NotFoundException' && (err as Error).message !== 'Unknown') return 'missing';
    if (name === 'NotFound') return 'missing';
    throw err;
  }
}
