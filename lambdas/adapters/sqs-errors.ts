import { SQSServiceException } from '@aws-sdk/client-sqs';
import { TrailwatchError } from '../core/errors';

/** An SQS call on a queue failed: names the queue and what to check. */
export class QueueError extends TrailwatchError {}

/**
 * The error an SQS call's failure becomes: one line naming the queue, with what to check for the
 * usual causes (no such queue, access denied); errors that are not SQS's own pass through.
 */
export function translateSqsError(queueUrl: string, err: unknown, flag = '--queue-url'): unknown {
  if (!(err instanceof SQSServiceException)) return err;
  if (err.name === 'QueueDoesNotExist' || err.name === 'AWS.SimpleQueueService.NonExistentQueue') {
    return new QueueError(`${queueUrl}: no such queue (check ${flag}, --region and the endpoint)`, {
      cause: err,
    });
  }
  if (err.name === 'AccessDenied' || err.name === 'AccessDeniedException') {
    return new QueueError(`${queueUrl}: access denied (${err.message})`, { cause: err });
  }
  return new QueueError(`${queueUrl}: ${err.name}: ${err.message}`, { cause: err });
}
