import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';

/** The error DynamoDB answers a throttled request with, as the SDK throws it: injected by fault tests. */
export function throttlingError(): ProvisionedThroughputExceededException {
  return new ProvisionedThroughputExceededException({
    message: 'injected: the level of configured provisioned throughput for the table was exceeded',
    $metadata: { httpStatusCode: 400 },
  });
}
