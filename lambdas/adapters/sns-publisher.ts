import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { RenderedAlert } from '../core/alert-document';
import { PublishOutcomeUnknownError, type AlertPublisher } from '../core/alert-ports';
import { TrailwatchError } from '../core/errors';
import { describeObject } from '../core/object-ref';
import { mayHaveReachedServer } from './ambiguous-outcome';
import { isRetryable, retryWithin, type RetryPolicy } from './retry';

/** SNS kept refusing an alert (or refused it for good); the file fails so the Lambda retries it. */
export class AlertPublishError extends TrailwatchError {}

/** SNS may have accepted the alert (its answer was lost, or it failed with a server error); not retried. */
export class AlertPublishUncertainError extends PublishOutcomeUnknownError {}

/** Options of SnsPublisher. */
export interface SnsPublisherOptions {
  readonly topicArn: string;
  readonly sns?: SNSClient;
  /** Publish attempts and backoff, on top of the SDK's own retries (default 4 attempts, 200 ms doubling to 5 s). */
  readonly retry?: Partial<RetryPolicy>;
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseMs: 200, maxMs: 5_000 };

/**
 * The SNS alert channel: one PublishCommand per attempt (`MessageStructure: json`, subject and
 * filter-policy attributes), retried with backoff within the deadline the alert protocol gives only
 * when SNS certainly did not take it (throttling, connection refused); an attempt in flight is
 * aborted when the deadline comes. An attempt that may have reached SNS ends the publish with
 * AlertPublishUncertainError: retrying it blindly could deliver a copy per attempt.
 */
export class SnsPublisher implements AlertPublisher {
  private readonly topicArn: string;
  private readonly sns: SNSClient;
  private readonly policy: RetryPolicy;

  constructor(options: SnsPublisherOptions) {
    this.topicArn = options.topicArn;
    this.sns = options.sns ?? new SNSClient({});
    this.policy = { ...DEFAULT_RETRY, ...options.retry };
  }

  /** Publishes one alert; throws AlertPublishError naming the service, file and topic when SNS does not take it. */
  async publish(message: RenderedAlert, deadlineMs: number): Promise<string> {
    try {
      return await retryWithin(
        this.policy,
        async (remainingMs) => {
          const out = await this.sns.send(
            new PublishCommand({
              TopicArn: this.topicArn,
              Subject: message.subject,
              Message: message.message,
              MessageStructure: 'json',
              MessageAttributes: message.messageAttributes,
            }),
            Number.isFinite(remainingMs) ? { abortSignal: AbortSignal.timeout(Math.ceil(remainingMs)) } : {},
          );
          return out.MessageId ?? '';
        },
        deadlineMs,
        (err) => !mayHaveReachedServer(err) && isRetryable(err),
      );
    } catch (err) {
      const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      const { service, source } = message.document;
      if (mayHaveReachedServer(err)) {
        throw new AlertPublishUncertainError(
          `the ${service} alert for ${describeObject(source)} may or may not have reached ${this.topicArn} ` +
            `(${reason}); recorded as uncertain, the file's retry sends it once more`,
          { cause: err },
        );
      }
      throw new AlertPublishError(
        `cannot publish the ${service} alert for ${describeObject(source)} to ${this.topicArn}: ${reason}`,
        { cause: err },
      );
    }
  }
}
