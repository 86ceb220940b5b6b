import { Capture, Match } from 'aws-cdk-lib/assertions';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { TOPIC_POLICY_ACTIONS } from '../../lib/alert-topic';
import { contractItem, contractItemAttributes } from '../../lambdas/core/table-contract';
import { buildStack, EXISTING_BUCKET } from './synth';

// Built once per configuration: synthesis is the slow part.
const newBucket = buildStack({
  alertEmails: ['oncall@example.com', { email: 'glue-team@example.com', services: ['glue'] }],
  opsEmails: ['platform@example.com'],
  reservedConcurrency: 20,
});
const existingS3 = buildStack({ ...EXISTING_BUCKET });
const existingEventBridge = buildStack({ ...EXISTING_BUCKET, trigger: 'eventbridge' });
const newBucketEventBridge = buildStack({ trigger: 'eventbridge' });
const disposable = buildStack({ retainData: false });

describe('trigger', () => {
  it('notifies the function of new .json.gz files under AWSLogs/ of the new bucket', () => {
    // Assess: protects the prefix/suffix filters (digests, folders, other files never invoke the function).
    newBucket.template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: Match.stringLikeRegexp('^SourceBucket') },
      NotificationConfiguration: {
        LambdaFunctionConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: {
              Key: {
                FilterRules: Match.arrayEquals([
                  { Name: 'suffix', Value: '.json.gz' },
                  { Name: 'prefix', Value: 'AWSLogs/' },
                ]),
              },
            },
            LambdaFunctionArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestFunction'), 'Arn'] },
          },
        ],
      },
    });
  });

  it('keeps the existing notifications of an imported bucket (unmanaged merge) and watches <prefix>/AWSLogs/', () => {
    // Assess: protects "adding trailwatch must not wipe an existing bucket's notifications": with
    // Managed=false CDK's handler reads the configuration and adds/removes only this stack's entries.
    existingS3.template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: 'corp-cloudtrail-logs',
      Managed: false,
      NotificationConfiguration: {
        LambdaFunctionConfigurations: [
          Match.objectLike({
            Filter: { Key: { FilterRules: Match.arrayWith([{ Name: 'prefix', Value: 'org/AWSLogs/' }]) } },
          }),
        ],
      },
    });
    // Nothing else is changed on a bucket trailwatch does not own.
    existingS3.template.resourceCountIs('AWS::S3::Bucket', 0);
    existingS3.template.resourceCountIs('AWS::S3::BucketPolicy', 0);
    existingS3.template.resourceCountIs('AWS::CloudTrail::Trail', 0);
  });

  it('in EventBridge mode, matches Object Created on that bucket and prefix, and writes no bucket notification', () => {
    // Assess: protects the mode for buckets whose notifications would overlap.
    existingEventBridge.template.resourceCountIs('Custom::S3BucketNotifications', 0);
    existingEventBridge.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: {
          bucket: { name: ['corp-cloudtrail-logs'] },
          object: { key: [{ wildcard: 'org/AWSLogs/*.json.gz' }] },
        },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestFunction'), 'Arn'] },
          DeadLetterConfig: {
            Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestDeadLetterQueue'), 'Arn'] },
          },
        }),
      ],
    });
    existingEventBridge.template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'events.amazonaws.com',
      Action: 'lambda:InvokeFunction',
    });
  });

  it("in EventBridge mode on a new bucket, turns on the bucket's EventBridge delivery", () => {
    // Assess: protects that a new bucket actually emits the events the rule waits for.
    newBucketEventBridge.template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: { EventBridgeConfiguration: {} },
    });
    newBucketEventBridge.template.resourceCountIs('AWS::Events::Rule', 1);
  });
});

describe('source', () => {
  it('creates an encrypted, private, TLS-only, access-logged bucket and a validated multi-region trail', () => {
    // Assess: protects the secure defaults of the new log bucket and trail.
    newBucket.template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: Match.objectLike({
        DestinationBucketName: { Ref: Match.stringLikeRegexp('^SourceAccessLogs') },
      }),
    });
    newBucket.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: Match.stringLikeRegexp('^SourceBucket') },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Action: 's3:PutObject', Principal: { Service: 'cloudtrail.amazonaws.com' } }),
        ]),
      },
    });
    newBucket.template.hasResourceProperties('AWS::CloudTrail::Trail', {
      IsMultiRegionTrail: true,
      EnableLogFileValidation: true,
      IsLogging: true,
      S3BucketName: { Ref: Match.stringLikeRegexp('^SourceBucket') },
    });
    newBucket.template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
  });

  it('lets organization member accounts write under <prefix>/AWSLogs/<org-id>/ for an organization trail', () => {
    // Prepare
    const { template } = buildStack({
      organizationTrail: true,
      organizationTrustedAccess: true,
      organizationId: 'o-a1b2c3d4e5',
      logPrefix: 'org',
    });
    // Assess: protects delivery of member-account logs (CDK's own statement ignores the prefix).
    template.hasResourceProperties('AWS::CloudTrail::Trail', {
      IsOrganizationTrail: true,
      S3KeyPrefix: 'org',
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 's3:PutObject',
            Resource: Match.arrayWith([
              {
                'Fn::Join': [
                  '',
                  [
                    { 'Fn::GetAtt': [Match.stringLikeRegexp('^SourceBucket'), 'Arn'] },
                    '/org/AWSLogs/o-a1b2c3d4e5/*',
                  ],
                ],
              },
            ]),
          }),
        ]),
      },
    });
  });
});

describe('function', () => {
  it('runs Node.js 22 on arm64 with the sized memory, timeout and reserved concurrency', () => {
    // Assess: protects runtime, architecture and the sizing for the largest CloudTrail files.
    newBucket.template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 1024,
      Timeout: 300,
      ReservedConcurrentExecutions: 20,
      Handler: 'index.handler',
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: Match.stringLikeRegexp('^IngestLogGroup') } },
    });
    existingS3.template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: Match.absent(),
    });
  });

  it('sets every environment variable lambdas/ingest/config.ts reads', () => {
    // Assess: protects the documented Lambda environment (docs/lambda.md) (a missing variable fails every cold start).
    existingS3.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          TABLE_NAME: { Ref: Match.stringLikeRegexp('^EventTable') },
          ALERT_STATE_TABLE_NAME: { Ref: Match.stringLikeRegexp('^AlertStateTable') },
          ALERT_TOPIC_ARN: { Ref: Match.stringLikeRegexp('^AlertTopic') },
          SOURCE_BUCKETS: 'corp-cloudtrail-logs',
          LOG_PREFIX: 'org',
          ALLOWED_ACCOUNTS: '',
          ALLOWED_ORGANIZATIONS: '',
          RETENTION_DAYS: '365',
          PAYLOAD_MAX_BYTES: '32768',
          ALERTS_ENABLED: 'true',
          ALERT_WINDOW_MINUTES: '60',
          POWERTOOLS_SERVICE_NAME: 'trailwatch',
          POWERTOOLS_METRICS_NAMESPACE: 'Trailwatch',
          POWERTOOLS_LOG_LEVEL: 'INFO',
        }),
      },
    });
    const { template } = buildStack({
      alertRules: { ignore: [{ errorCode: 'AccessDenied' }] },
      alertsEnabled: false,
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          ALERT_RULES: '{"ignore":[{"errorCode":"AccessDenied"}]}',
          ALERTS_ENABLED: 'false',
        }),
      },
    });
  });

  it('retries async invocations twice, then sends the invocation record to the encrypted dead-letter queue', () => {
    // Assess: protects the failure path: the on-failure record keeps the S3 event in `requestPayload`.
    newBucket.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 21600,
      Qualifier: '$LATEST',
      DestinationConfig: {
        OnFailure: {
          Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestDeadLetterQueue'), 'Arn'] },
        },
      },
    });
    newBucket.template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1209600,
    });
    newBucket.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('logs to its own log group with a retention period', () => {
    // Assess: protects against never-expiring logs.
    newBucket.template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });
});

describe('tables', () => {
  it('creates the event table of the contract: keys, three GSIs on sk, TTL, on-demand, PITR, protected and retained', () => {
    // Prepare
    const indexes = new Capture();
    // Assess: protects the issue-3 table contract other teams query.
    newBucket.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        GlobalSecondaryIndexes: indexes,
      }),
    });
    const byName = Object.fromEntries(
      (indexes.asArray() as { IndexName: string; KeySchema: unknown; Projection: unknown }[]).map((i) => [
        i.IndexName,
        i,
      ]),
    );
    expect(Object.keys(byName).sort()).toEqual(['byPrincipal', 'byResource', 'failures']);
    // Contract v1 (docs/table.md): no index carries whole items, which keeps each index write at one
    // unit; failures carries what a list of failed calls shows, the lookup indexes keys and `failed`.
    // Written out as docs/table.md lists them, so a change to the contract's list fails here.
    const listed = 'service eventSource eventName eventTime accountId region principalArn'.split(' ');
    for (const [name, partition, projection] of [
      ['byPrincipal', 'principalArn', { ProjectionType: 'INCLUDE', NonKeyAttributes: ['failed'] }],
      [
        'failures',
        'failurePk',
        { ProjectionType: 'INCLUDE', NonKeyAttributes: [...listed, 'failed', 'errorCode', 'errorMessage'] },
      ],
      ['byResource', 'resourceKey', { ProjectionType: 'INCLUDE', NonKeyAttributes: ['failed'] }],
    ] as const) {
      expect(byName[name]).toEqual({
        IndexName: name,
        KeySchema: [
          { AttributeName: partition, KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        Projection: projection,
      });
    }
  });

  it('puts the contract item into the new event table at deploy, from the contract module, never over an existing one', () => {
    // Prepare: the call as the custom resource's handler receives it (the table's Ref in place).
    const tables = newBucket.template.findResources('AWS::DynamoDB::Table');
    const eventTableId = Object.keys(tables).find((id) => id.startsWith('EventTable')) as string;
    const [resource, ...others] = Object.values(newBucket.template.findResources('Custom::AWS'));
    const resolve = (value: unknown): string => {
      const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
      if (!join) return String(value);
      return join[1]
        .map((part) =>
          typeof part === 'string' ? part : (part as { Ref?: string }).Ref === eventTableId ? 'TABLE' : '?',
        )
        .join(join[0]);
    };
    // Act
    const create = JSON.parse(resolve(resource?.Properties?.Create)) as Record<string, unknown>;
    const update = JSON.parse(resolve(resource?.Properties?.Update)) as Record<string, unknown>;
    // Assess: protects a reader of a table no event was written to yet (no DescribeTable needed).
    expect(others).toHaveLength(0);
    expect(create).toMatchObject({
      service: 'DynamoDB',
      action: 'putItem',
      parameters: {
        TableName: 'TABLE',
        Item: contractItemAttributes(),
        ConditionExpression: 'attribute_not_exists(pk)',
      },
      ignoreErrorCodesMatching: 'ConditionalCheckFailedException',
    });
    expect(update).toEqual(create);
    expect(unmarshall(create.parameters ? (create.parameters as { Item: never }).Item : {})).toEqual(
      contractItem(),
    );
    // Its handler may put items into this table only.
    newBucket.template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: 'dynamodb:PutItem',
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [eventTableId, 'Arn'] },
          },
        ],
      },
    });
  });

  it('creates the alert state table with pk only, TTL and PITR, retained by default', () => {
    // Assess: protects the issue-4 contract, and that deleting the stack does not forget which events
    // were alerted (a later backfill with alerts would otherwise page people for history).
    newBucket.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      }),
    });
  });

  it('drops retention and deletion protection only when retainData is false', () => {
    // Assess: protects RETAIN as the default, and an explicit opt-out for disposable stacks.
    disposable.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({
        DeletionProtectionEnabled: false,
        GlobalSecondaryIndexes: Match.anyValue(),
      }),
    });
    // Audit logs are never deleted by `cdk destroy`.
    disposable.template.allResources('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });
});

describe('alert topic', () => {
  it('is encrypted with a rotated customer key and refuses every request without TLS', () => {
    // Prepare
    const key = new Capture();
    // Assess: protects encryption at rest and in transit of alerts.
    newBucket.template.hasResourceProperties('AWS::SNS::Topic', {
      DisplayName: 'trailwatch alerts',
      KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] },
    });
    expect(key.asString()).toMatch(/^AlertTopicKey/);
    newBucket.template.hasResource('AWS::KMS::Key', {
      Properties: Match.objectLike({ EnableKeyRotation: true }),
    });
    newBucket.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: Match.stringLikeRegexp('^AlertTopic') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'DenyInsecureTransport',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: [...TOPIC_POLICY_ACTIONS],
            Resource: { Ref: Match.stringLikeRegexp('^AlertTopic') },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ]),
      },
    });
  });

  it('subscribes each alert email, with a `service` filter policy where one is configured', () => {
    // Assess: protects alertEmails and per-address filters.
    newBucket.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      TopicArn: { Ref: Match.stringLikeRegexp('^AlertTopic') },
      FilterPolicy: Match.absent(),
    });
    newBucket.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'glue-team@example.com',
      FilterPolicy: { service: ['glue'] },
      FilterPolicyScope: 'MessageAttributes',
    });
    newBucket.template.hasResourceProperties('AWS::SNS::Subscription', {
      Endpoint: 'platform@example.com',
      TopicArn: { Ref: Match.stringLikeRegexp('^OperationsTopic') },
    });
  });
});

describe('operations', () => {
  const alarmTopic = [{ Ref: Match.stringLikeRegexp('^OperationsTopic') }];

  it.each([
    [
      'function errors',
      {
        MetricName: 'Errors',
        Namespace: 'AWS/Lambda',
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
      },
    ],
    ['function throttles', { MetricName: 'Throttles', Namespace: 'AWS/Lambda', Threshold: 1 }],
    [
      'dead-letter depth',
      { MetricName: 'ApproximateNumberOfMessagesVisible', Namespace: 'AWS/SQS', Threshold: 1 },
    ],
    [
      'dead-letter age',
      { MetricName: 'ApproximateAgeOfOldestMessage', Namespace: 'AWS/SQS', Threshold: 172800 },
    ],
    [
      'no objects processed',
      {
        MetricName: 'ObjectsProcessed',
        Namespace: 'Trailwatch',
        Dimensions: [{ Name: 'service', Value: 'trailwatch' }],
        ComparisonOperator: 'LessThanThreshold',
        Threshold: 1,
        Period: 3600,
        TreatMissingData: 'breaching',
      },
    ],
  ])('alarms on %s, to the operations topic', (_name, properties) => {
    // Assess: protects each operational signal and that it reaches someone.
    newBucket.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...properties,
      AlarmActions: alarmTopic,
      OKActions: alarmTopic,
    });
  });

  it('sizes the no-objects alarm from noObjectsAlarmMinutes', () => {
    // Prepare
    const { template } = buildStack({ noObjectsAlarmMinutes: 180 });
    // Assess: protects the configurable "trail stopped delivering" period.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ObjectsProcessed',
      Period: 10800,
    });
  });

  it('encrypts the operations topic and lets CloudWatch publish through its key', () => {
    // Assess: protects alarm delivery: CloudWatch cannot publish to an encrypted topic without the key.
    newBucket.template.hasResourceProperties('AWS::SNS::Topic', {
      DisplayName: 'trailwatch operations',
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OperationsTopicKey'), 'Arn'] },
    });
    newBucket.template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          }),
        ]),
      },
    });
  });

  it('has a dashboard with events and failed calls per service, alerts, skipped objects and duration', () => {
    // Prepare
    const body = new Capture();
    newBucket.template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardBody: body });
    // Act: the body is a Fn::Join of strings and tokens; the literal parts carry the metrics.
    const text = JSON.stringify(body.asObject());
    // Assess: protects the documented metrics (docs/lambda.md) on the dashboard.
    for (const metric of [
      'EventsStored',
      'FailedCalls',
      'AlertsSent',
      'AlertsSuppressed',
      'ObjectsSkipped',
      'ObjectDuration',
      'ObjectsProcessed',
    ]) {
      expect(text).toContain(metric);
    }
    for (const service of ['glue', 'emr', 'athena', 'batch']) {
      expect(text).toContain(`\\"WatchedService\\",\\"${service}\\"`);
    }
  });
});

describe('outputs', () => {
  it('exports the table, topic, bucket, function, dead-letter queue and dashboard', () => {
    // Assess: protects what the README tells users to read after deploy.
    const outputs = Object.keys(newBucket.template.findOutputs('*')).sort();
    expect(outputs).toEqual(
      [
        'AlertStateTableName',
        'AlertTopicArn',
        'DashboardName',
        'DeadLetterQueueArn',
        'DeadLetterQueueUrl',
        'EventTableArn',
        'EventTableName',
        'IngestFunctionName',
        'IngestLogGroupName',
        'LogBucketName',
        'LogKeyPrefix',
        'OperationsTopicArn',
      ].sort(),
    );
  });
});
