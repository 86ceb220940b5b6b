import type { AlertRules } from '../core/alert-rules';

/**
 * What the processor is built from: the same for the Lambda (read from its environment by
 * lambdas/ingest/config.ts) and for every CLI entry point (built from flags through the same schema).
 */
export interface ProcessorConfig {
  readonly tableName: string;
  /** Buckets whose objects are processed; absent (CLI only): any bucket. */
  readonly sourceBuckets?: readonly string[];
  /**
   * The key prefix before `AWSLogs/` every log key must have exactly; '' for keys starting with
   * `AWSLogs/`. Absent (LOG_PREFIX unset): any prefix, still with exactly one `AWSLogs/` layout.
   */
  readonly logPrefix?: string;
  /** Accounts whose log files are read (ALLOWED_ACCOUNTS); absent or empty accepts any. */
  readonly allowedAccounts?: readonly string[];
  /** Organizations whose organization-trail files are read (ALLOWED_ORGANIZATIONS); absent or empty accepts any. */
  readonly allowedOrganizationIds?: readonly string[];
  /**
   * A role in the bucket's account whose credentials read the log objects (READ_ROLE_ARN; the
   * cross-account layout); absent: the caller's own credentials.
   */
  readonly readRoleArn?: string;
  readonly retentionDays: number;
  readonly payloadMaxBytes: number;
  /** Absent when ALERTS_ENABLED=false. */
  readonly alerts?: {
    readonly topicArn: string;
    /** The chat topic each alert also goes to, as a custom notification (docs/alerts.md#chat). */
    readonly chatTopicArn?: string;
    readonly stateTableName: string;
    readonly rules?: AlertRules;
    readonly windowMinutes: number;
    /** The runbook the alerts link to (docs/runbook.md as your team publishes it). */
    readonly runbookUrl?: string;
  };
}
