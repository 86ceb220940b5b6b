// Apart from aws-clients.ts so that no function bundles the SQS client (25 KB): only the CLI calls SQS
// (backfill --on-aws sends the batches, backfill status|stop|resume reads the queues, replay drains the
// dead-letter queue); the backfill function gets its messages from the event source mapping and answers
// with a partial batch response, without a call of its own.
import { SQSClient } from '@aws-sdk/client-sqs';
import { clientSettings, createAwsClients, type AwsClientOptions, type AwsQueueClients } from './aws-clients';

/** The functions' clients and an SQS client with the same settings (no network call), closed together. */
export function createAwsQueueClients(options: AwsClientOptions = {}): AwsQueueClients {
  // The same object, not a copy: destroyAwsClients finds the set's role clients by it.
  return Object.assign(createAwsClients(options), {
    sqs: new SQSClient(clientSettings(options, options.endpoints?.sqs)),
  });
}
