import {
  Annotations,
  Aws,
  CfnOutput,
  CfnRule,
  Fn,
  type ICfnRuleConditionExpression,
  Stack,
  type StackProps,
  Token,
  Validations,
} from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { AlertStateTable } from './alert-state-table';
import { BACKFILL_METRICS_SERVICE, BackfillEngine } from './backfill-engine';
import { EncryptedTopic } from './alert-topic';
import { ConfigError } from '../lambdas/core/errors';
import { ChatChannels } from './chat-channels';
import {
  configFromContext,
  DEFAULT_BACKFILL_ROLE_NAME,
  DEFAULT_INGEST_ROLE_NAME,
  deployTargetProblems,
  keyAllowList,
  type KeyAllowList,
  logKeyPrefix,
  parseTrailwatchConfig,
  type TrailwatchConfig,
} from './config';
import { CrossAccountEvents } from './cross-account-events';
import { EventTable } from './event-table';
import { IngestFunction } from './ingest-function';
import { LogSource } from './log-source';
import { LogTrigger } from './log-trigger';
import { nagResourceName } from './nag';
import { Operations } from './operations';
import { RealTimeAlerts } from './real-time-alerts';

/** Properties of {@link TrailwatchStack}. */
export interface TrailwatchStackProps extends StackProps {
  /**
   * trailwatch's settings (the keys of the README's Configuration table), validated once here.
   * @default - read from the CDK context (cdk.json `context`, `cdk -c key=value`)
   */
  readonly config?: Readonly<Record<string, unknown>>;
}

/**
 * The trailwatch pipeline: CloudTrail bucket (new or existing) → S3 notification or EventBridge →
 * ingest Lambda → event table + alert topic, with a dead-letter queue, alarms and a dashboard.
 */
export class TrailwatchStack extends Stack {
  /** The validated configuration the stack was built from. */
  public readonly config: TrailwatchConfig;
  /** Log bucket and trail. */
  public readonly source: LogSource;
  /** The event table. */
  public readonly eventTable: EventTable;
  /** The alert state table. */
  public readonly alertStateTable: AlertStateTable;
  /** The alert topic. */
  public readonly alertTopic: EncryptedTopic;
  /** The chat topic and channels, when any Slack or Teams channel is configured. */
  public readonly chat?: ChatChannels;
  /** The ingest function. */
  public readonly ingest: IngestFunction;
  /** The trigger. */
  public readonly trigger: LogTrigger;
  /** The real-time path (rule and function), when `realTimeAlerts` is on. */
  public readonly realTime?: RealTimeAlerts;
  /** Alarms, operations topic, dashboard. */
  public readonly operations: Operations;
  /** The default bus's permission for the bucket account's events, in the cross-account layout. */
  public readonly crossAccountEvents?: CrossAccountEvents;
  /** The distributed backfill (queue, function, mapping, operator policy), when `backfill.enabled`. */
  public readonly backfill?: BackfillEngine;

  constructor(scope: Construct, id: string, props: TrailwatchStackProps = {}) {
    super(scope, id, {
      description:
        'trailwatch: Glue/EMR/Athena/Batch API calls from CloudTrail into DynamoDB, with SNS alerts on failed calls',
      ...props,
    });
    // Grant S3 log delivery through the bucket policy instead of an ACL (ACLs are disabled on our buckets);
    // set here so the stack behaves the same with or without the repository's cdk.json.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const config = parseTrailwatchConfig(props.config ?? configFromContext(this));
    this.config = config;
    this.checkDeployTarget(config);

    this.source = new LogSource(this, 'Source', {
      existingBucketName: config.sourceBucketName,
      existingBucketKmsKeyArn: config.sourceBucketKmsKeyArn,
      logPrefix: config.logPrefix,
      multiRegionTrail: config.multiRegionTrail,
      organizationTrail: config.organizationTrail,
      organizationId: config.organizationId,
      eventBridgeEnabled: config.trigger === 'eventbridge',
    });
    this.eventTable = new EventTable(this, 'EventTable', { retainData: config.retainData });
    this.alertStateTable = new AlertStateTable(this, 'AlertStateTable', { retainData: config.retainData });
    this.alertTopic = new EncryptedTopic(this, 'AlertTopic', {
      displayName: 'trailwatch alerts',
      purpose: 'alert',
      emails: config.alertEmails,
    });
    if (config.slackChannels.length > 0 || config.teamsChannels.length > 0) {
      this.chat = new ChatChannels(this, 'Chat', {
        slack: config.slackChannels,
        teams: config.teamsChannels,
        namePrefix: this.stackName,
      });
    }
    this.ingest = new IngestFunction(this, 'Ingest', {
      bucket: this.source.bucket,
      bucketKey: this.source.encryptionKey,
      logPrefix: config.logPrefix,
      keyOrigins: this.keyOrigins(config),
      bucketAccount: config.sourceBucketAccount ?? this.account,
      ...this.crossAccountRead(config),
      eventTable: this.eventTable.table,
      alertStateTable: this.alertStateTable.table,
      alertTopic: this.alertTopic,
      ...(this.chat ? { chatTopic: this.chat.topic } : {}),
      settings: config,
      memorySize: config.memorySize,
      timeoutSeconds: config.timeoutSeconds,
      reservedConcurrency: config.reservedConcurrency,
      logRetentionDays: config.logRetentionDays,
    });
    this.trigger = new LogTrigger(this, 'Trigger', {
      bucket: this.source.bucket,
      keyPrefix: logKeyPrefix(config),
      function: this.ingest.function,
      mode: config.trigger,
      deadLetterQueue: this.ingest.deadLetterQueue,
      ...(config.readRoleName !== undefined ? { sourceAccount: config.sourceBucketAccount } : {}),
    });
    if (config.realTimeAlerts) {
      this.realTime = new RealTimeAlerts(this, 'RealTime', {
        eventTable: this.eventTable.table,
        alertStateTable: this.alertStateTable.table,
        alertTopic: this.alertTopic,
        ...(this.chat ? { chatTopic: this.chat.topic } : {}),
        environment: this.ingest.environment,
        regions: [this.region, ...config.realTimeRegions],
        logRetentionDays: config.logRetentionDays,
      });
    }
    if (config.backfill.enabled) this.backfill = this.addBackfill(config);
    if (config.readRoleName !== undefined && config.sourceBucketAccount !== undefined) {
      this.crossAccountEvents = new CrossAccountEvents(this, 'CrossAccountEvents', {
        bucketAccount: config.sourceBucketAccount,
      });
    }
    this.operations = new Operations(this, 'Operations', {
      function: this.ingest.function,
      deadLetterQueue: this.ingest.deadLetterQueue,
      ...(this.realTime !== undefined ? { realTime: this.realTime } : {}),
      ...(this.backfill !== undefined
        ? {
            backfill: {
              function: this.backfill.function,
              queue: this.backfill.queue,
              deadLetterQueue: this.backfill.deadLetterQueue,
              metricsService: BACKFILL_METRICS_SERVICE,
            },
          }
        : {}),
      noObjectsAlarmMinutes: config.noObjectsAlarmMinutes,
      opsEmails: config.opsEmails,
      dashboardName: `${this.stackName}-pipeline`,
    });

    this.acknowledgeNagFindings();
    this.addOutputs();
    this.node.addValidation({ validate: () => this.subscriptionsWithoutFilterScope() });
  }

  // What only the target account decides: checked at synth when the account is known, else asserted
  // by a CloudFormation rule before any resource is created.
  private checkDeployTarget(config: TrailwatchConfig): void {
    const known = Token.isUnresolved(this.account) ? undefined : this.account;
    const problems = deployTargetProblems(config, known);
    if (problems.length > 0) {
      throw new ConfigError(
        `Invalid trailwatch configuration (cdk.json "context" or cdk -c key=value), ${problems.length} problem(s):\n` +
          problems.map((p) => `  - ${p}`).join('\n'),
      );
    }
    const bucketAccount = config.sourceBucketAccount;
    if (known !== undefined || bucketAccount === undefined) return;
    const inBucketAccount = Fn.conditionEquals(Aws.ACCOUNT_ID, bucketAccount);
    const assertBeforeDeploy = (id: string, assert: ICfnRuleConditionExpression, assertDescription: string) =>
      new CfnRule(this, id, { assertions: [{ assert, assertDescription }] });
    if (config.readRoleName !== undefined) {
      assertBeforeDeploy(
        'SourceBucketInAnotherAccount',
        Fn.conditionNot(inBucketAccount),
        `readRoleName: the bucket is in this account (${bucketAccount}); the cross-account layout is for a bucket in another account: remove readRoleName`,
      );
    }
    if (config.trigger === 's3-notification') {
      assertBeforeDeploy(
        'SourceBucketInThisAccount',
        inBucketAccount,
        `sourceBucketAccount: the bucket is in account ${bucketAccount}; only its owner can set its event notifications (trigger s3-notification): deploy trailwatch there, or use the cross-account layout (bucket-account stack there, then trigger eventbridge and readRoleName)`,
      );
    }
  }

  // The cross-account layout: the function's role gets a fixed name (the read role trusts it by ARN)
  // and reads through the bucket account's read role instead of its own permissions.
  private crossAccountRead(config: TrailwatchConfig): { readRoleArn?: string; roleName?: string } {
    if (config.readRoleName === undefined || config.sourceBucketAccount === undefined) return {};
    return {
      readRoleArn: `arn:${this.partition}:iam::${config.sourceBucketAccount}:role/${config.readRoleName}`,
      roleName: config.ingestRoleName ?? DEFAULT_INGEST_ROLE_NAME,
    };
  }

  // The backfill function reads the logs exactly as the ingest function does (its own role, or the read
  // role, which trusts its fixed name) and writes the same table; it alerts only if asked to.
  private addBackfill(config: TrailwatchConfig): BackfillEngine {
    const crossAccount = this.crossAccountRead(config);
    return new BackfillEngine(this, 'Backfill', {
      environment: this.ingest.environment,
      logRead: {
        bucket: this.source.bucket,
        ...(this.source.encryptionKey !== undefined ? { bucketKey: this.source.encryptionKey } : {}),
        logPrefix: config.logPrefix,
        bucketAccount: config.sourceBucketAccount ?? this.account,
        ...(crossAccount.readRoleArn !== undefined ? { readRoleArn: crossAccount.readRoleArn } : {}),
      },
      eventTable: this.eventTable.table,
      ...(config.backfill.alerts
        ? {
            alerts: {
              stateTable: this.alertStateTable.table,
              topic: this.alertTopic,
              ...(this.chat ? { chatTopic: this.chat.topic } : {}),
            },
          }
        : {}),
      maxConcurrency: config.backfill.maxConcurrency,
      memorySize: config.backfill.memorySize,
      timeoutSeconds: config.backfill.timeoutSeconds,
      logRetentionDays: config.logRetentionDays,
      ...(crossAccount.readRoleArn !== undefined
        ? { roleName: config.backfillRoleName ?? DEFAULT_BACKFILL_ROLE_NAME }
        : {}),
    });
  }

  // Whose log files the function reads (ALLOWED_ACCOUNTS / ALLOWED_ORGANIZATIONS); an open list is said.
  private keyOrigins(config: TrailwatchConfig): KeyAllowList {
    const origins = keyAllowList(config, this.account);
    if (origins.accounts.length === 0 && origins.organizationIds.length === 0) {
      Annotations.of(this).addWarningV2(
        'trailwatch:openKeyAllowList',
        `The function will read log files of any account under ${logKeyPrefix(config)} in ${config.sourceBucketName ?? 'the bucket'}; set allowedAccounts (and organizationId for an organization trail) to the accounts whose trails write there.`,
      );
    }
    return origins;
  }

  // SNS treats a filter policy without FilterPolicyScope as MessageAttributes, but updates that add a
  // filter to such a subscription can fail; every subscription in the stack (ours or added later) says it.
  private subscriptionsWithoutFilterScope(): string[] {
    return this.node
      .findAll()
      .filter(
        (c): c is sns.CfnSubscription =>
          c instanceof sns.CfnSubscription &&
          c.filterPolicy !== undefined &&
          c.filterPolicyScope === undefined,
      )
      .map((c) => `${c.node.path}: a subscription with a filter policy must set FilterPolicyScope`);
  }

  private addOutputs(): void {
    const out = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    out('EventTableName', this.eventTable.table.tableName, 'DynamoDB table of the watched API calls');
    out('EventTableArn', this.eventTable.table.tableArn, 'ARN of the event table (grant readers on it)');
    out('AlertStateTableName', this.alertStateTable.table.tableName, 'DynamoDB table of alert markers');
    out(
      'AlertTopicArn',
      this.alertTopic.topic.topicArn,
      'SNS topic of failed-call alerts (subscribe machines here)',
    );
    if (this.chat)
      out(
        'ChatTopicArn',
        this.chat.topic.topic.topicArn,
        'SNS topic of the chat form of the alerts (the Slack and Teams channels)',
      );
    out('OperationsTopicArn', this.operations.topic.topic.topicArn, 'SNS topic of the operational alarms');
    out('LogBucketName', this.source.bucket.bucketName, 'S3 bucket the function reads CloudTrail logs from');
    out('LogKeyPrefix', logKeyPrefix(this.config), 'Key prefix the trigger watches');
    out('IngestFunctionName', this.ingest.function.functionName, 'The ingest Lambda function');
    out('IngestLogGroupName', this.ingest.logGroup.logGroupName, 'Log group of the ingest function');
    out(
      'DeadLetterQueueUrl',
      this.ingest.deadLetterQueue.queueUrl,
      'Failed invocations (S3 event in requestPayload)',
    );
    out('DeadLetterQueueArn', this.ingest.deadLetterQueue.queueArn, 'ARN of the dead-letter queue');
    if (this.realTime) {
      out('RealTimeFunctionName', this.realTime.function.functionName, 'The real-time alert Lambda function');
      out('RealTimeRuleName', this.realTime.rule.ruleName, 'EventBridge rule of failed API calls');
      out(
        'RealTimeDeadLetterQueueUrl',
        this.realTime.deadLetterQueue.queueUrl,
        'EventBridge events the real-time path could not handle (the log files alert them)',
      );
    }
    if (this.crossAccountEvents !== undefined) {
      out(
        'IngestRoleArn',
        this.ingest.role.roleArn,
        "The function's role: the bucket account's read role trusts exactly this ARN",
      );
    }
    if (this.backfill !== undefined) this.addBackfillOutputs(this.backfill);
    out('DashboardName', this.operations.dashboard.dashboardName, 'CloudWatch dashboard of the pipeline');
  }

  // What `trailwatch backfill --on-aws` reads from the stack (docs/operations.md, Distributed backfill).
  private addBackfillOutputs(backfill: BackfillEngine): void {
    const out = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    out('BackfillQueueUrl', backfill.queue.queueUrl, 'Queue of backfill key batches (backfill --on-aws)');
    out(
      'BackfillDeadLetterQueueUrl',
      backfill.deadLetterQueue.queueUrl,
      'Backfill batches that failed every receive (move them back once fixed)',
    );
    out('BackfillFunctionName', backfill.function.functionName, 'The backfill Lambda function');
    out(
      'BackfillEventSourceMappingId',
      backfill.eventSourceMapping.eventSourceMappingId,
      'UUID of the queue-to-function mapping: disabled, the backfill stops; enabled, it resumes',
    );
    out(
      'BackfillOperatorPolicyArn',
      backfill.operatorPolicy.managedPolicyArn,
      'Managed policy to attach to the role that runs backfill --on-aws',
    );
    if (this.config.readRoleName !== undefined) {
      out(
        'BackfillRoleArn',
        backfill.role.roleArn,
        "The backfill function's role: the bucket account's read role must trust it (backfillRoleName)",
      );
    }
  }

  // Findings that cannot be fixed in code; each says why it is accepted.
  private acknowledgeNagFindings(): void {
    const fn = this.ingest.function;
    Validations.of(this.ingest.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is the dead-letter destination itself; its records are replayed, not redriven further.',
    });
    // CDK's singletons: the one that writes the bucket notification configuration (its policy is
    // scoped to the bucket) and the one that puts the table's contract item (PutItem on the table).
    const basicExecution = iam.ManagedPolicy.fromAwsManagedPolicyName(
      'service-role/AWSLambdaBasicExecutionRole',
    );
    const providers = [
      this.node.tryFindChild('BucketNotificationsHandler050a0587b7544547bf325f094a3db834'),
      this.eventTable.contractItem.resource.grantPrincipal,
    ];
    for (const provider of providers) {
      if (!Construct.isConstruct(provider)) continue;
      Validations.of(provider).acknowledge({
        id: `AwsSolutions-IAM4[Policy::${nagResourceName(this, basicExecution.managedPolicyArn)}]`,
        reason:
          'CDK-provided custom resource handler; its role and managed logging policy are not configurable.',
      });
    }
    const pinnedFunctions = [fn, this.realTime?.function, this.backfill?.function];
    for (const pinned of pinnedFunctions.filter((f) => f !== undefined)) {
      Validations.of(pinned).acknowledge({
        id: 'AwsSolutions-L1',
        reason: 'Pinned to Node.js 22 (the tested runtime); upgrading is a deliberate, tested change.',
      });
    }
    if (this.realTime) {
      Validations.of(this.realTime.deadLetterQueue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: 'This queue is the dead-letter queue itself; the log files alert what it holds.',
      });
    }
    this.acknowledgeLogObjectsGrant(this.ingest.role, this.ingest.logObjectsArn);
    if (this.backfill !== undefined) {
      Validations.of(this.backfill.deadLetterQueue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue is the backfill dead-letter queue itself; its batches are moved back to the work queue.',
      });
      this.acknowledgeLogObjectsGrant(this.backfill.role, this.backfill.logObjectsArn);
    }
  }

  private acknowledgeLogObjectsGrant(role: iam.IRole, logObjectsArn: string | undefined): void {
    if (logObjectsArn === undefined) return;
    // Named the way cdk-nag renders the granted ARN in this stack's environment (see nagResourceName).
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagResourceName(this, logObjectsArn)}]`,
      reason:
        'GetObject on the CloudTrail log files, which are only known by key at run time; scoped to the log prefix.',
    });
  }
}
