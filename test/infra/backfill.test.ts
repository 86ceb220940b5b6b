import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { loadBackfillConfig } from '../../lambdas/ingest/config';
import { METRICS_SERVICE } from '../../lambdas/ingest/metrics';
import {
  BACKFILL_METRICS_SERVICE,
  OPERATOR_DLQ_ACTIONS,
  OPERATOR_MAPPING_ACTIONS,
  OPERATOR_QUEUE_ACTIONS,
} from '../../lib/backfill-engine';
import { BACKFILL_MAX_RECEIVES } from '../../lib/config';
import { EVENT_TABLE_ACTIONS } from '../../lib/ingest-function';
import { ALERT_STATE_TABLE_ACTIONS } from '../../lib/trailwatch-function';
import { buildStack, EXISTING_BUCKET } from './synth';

const BACKFILL = { backfill: { enabled: true, maxConcurrency: 25 } };
const CROSS_ACCOUNT = {
  sourceBucketName: 'corp-cloudtrail-logs',
  sourceBucketAccount: '444455556666',
  readRoleName: 'trailwatch-log-reader',
  trigger: 'eventbridge',
};

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

function resources(template: Template): Resources {
  return template.toJSON().Resources as Resources;
}

function logicalId(template: Template, type: string, prefix: string): string {
  const ids = Object.entries(resources(template))
    .filter(([id, r]) => r.Type === type && id.startsWith(prefix))
    .map(([id]) => id);
  if (ids.length !== 1) throw new Error(`expected one ${type} ${prefix}*, found ${ids.join(', ')}`);
  return ids[0] ?? '';
}

// Every Allow statement of the backfill function's role, as CloudFormation receives it.
function backfillRoleStatements(template: Template): Record<string, unknown>[] {
  return Object.values(resources(template))
    .filter(
      (r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties?.Roles).includes('"BackfillRole'),
    )
    .flatMap((r) => (r.Properties?.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement);
}

const getAtt = (id: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });

describe('distributed backfill: resources', () => {
  const { template } = buildStack(BACKFILL);
  const queueId = logicalId(template, 'AWS::SQS::Queue', 'BackfillQueue');
  const dlqId = logicalId(template, 'AWS::SQS::Queue', 'BackfillDeadLetterQueue');
  const functionId = logicalId(template, 'AWS::Lambda::Function', 'BackfillFunction');

  it('is not deployed unless enabled: no queue, function, mapping, alarm or output of it', () => {
    // Prepare
    const { template: plain } = buildStack({});
    // Act
    const ids = Object.keys(resources(plain)).filter((id) => /Backfill/.test(id));
    const outputs = Object.keys(plain.toJSON().Outputs as object).filter((id) => id.startsWith('Backfill'));
    // Assess: protects "optional by configuration: default off, no resources".
    expect(ids).toEqual([]);
    expect(outputs).toEqual([]);
    plain.resourceCountIs('AWS::Lambda::EventSourceMapping', 0);
  });

  it('keeps its work in an encrypted queue: 14 days, visibility 6x the function timeout, a DLQ after 5 receives', () => {
    // Assess: protects a stopped backfill keeping its work, AWS's visibility guidance for SQS event sources
    // (300 s timeout by default), and a bounded number of retries before a batch is set aside.
    expect(BACKFILL_MAX_RECEIVES).toBe(5);
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
      VisibilityTimeout: 6 * 300,
      RedrivePolicy: { deadLetterTargetArn: getAtt(dlqId), maxReceiveCount: 5 },
    });
    expect(resources(template)[dlqId]?.Properties).toEqual({
      MessageRetentionPeriod: 14 * 24 * 3600,
      SqsManagedSseEnabled: true,
    });
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 300, MemorySize: 1024 });
    // Both queues refuse plain-HTTP access.
    for (const id of [queueId, dlqId]) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: [
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ],
        },
      });
    }
  });

  it('scales the visibility timeout with a configured function timeout', () => {
    // Prepare
    const { template: slow } = buildStack({
      backfill: { enabled: true, timeoutSeconds: 900, memorySize: 2048 },
    });
    // Assess: protects "at least 6x the function timeout" for any timeout, not only the default.
    slow.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 5400 });
    slow.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('backfills'),
      Timeout: 900,
      MemorySize: 2048,
    });
  });

  it('feeds the dedicated function one message at a time, with partial batch responses and maxConcurrency', () => {
    // Assess: protects the pacing knob (maxConcurrency), the contract with the handler (a message is a batch
    // of keys; failed messages are reported, not thrown), and that the live function is not the consumer.
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: getAtt(queueId),
      FunctionName: { Ref: functionId },
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 25 },
    });
  });

  it("gives the function the ingest function's environment, with alerts off and its own metrics service", () => {
    // Prepare
    const variables = (id: string) =>
      (resources(template)[id]?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
    const ingest = variables(logicalId(template, 'AWS::Lambda::Function', 'IngestFunction'));
    const backfill = variables(functionId);
    // Act
    const { ALERT_STATE_TABLE_NAME, ALERT_TOPIC_ARN, ...shared } = ingest;
    // Assess: protects "same pipeline, same settings" (table, buckets, prefix, allow-lists, retention, rules),
    // alerts off by default with no name of a resource it may not use, and metrics apart from the live path's.
    expect(ALERT_STATE_TABLE_NAME).toBeDefined();
    expect(ALERT_TOPIC_ARN).toBeDefined();
    expect(backfill).toEqual({
      ...shared,
      ALERTS_ENABLED: 'false',
      BACKFILL_ALERTS: 'off',
      POWERTOOLS_SERVICE_NAME: 'trailwatch-backfill',
    });
  });

  it("names the metrics service the handler writes (lambdas/ingest/metrics.ts), apart from the live path's", () => {
    // Assess: protects the alarm on the live path's throttled writes against the lists drifting apart.
    expect(BACKFILL_METRICS_SERVICE).toBe(METRICS_SERVICE.backfill);
    expect(BACKFILL_METRICS_SERVICE).not.toBe(METRICS_SERVICE.ingest);
  });

  it('sets an environment the backfill handler accepts, alerts off and on', () => {
    // Prepare: the deployed values of the tokens, as CloudFormation fills them in.
    const deployed = (value: unknown): string =>
      typeof value === 'string'
        ? value
        : JSON.stringify(value).includes('Topic')
          ? 'arn:aws:sns:eu-west-1:111122223333:Trailwatch-AlertTopic'
          : 'Trailwatch-Table';
    const envOf = (t: Template) => {
      const id = logicalId(t, 'AWS::Lambda::Function', 'BackfillFunction');
      const vars = (resources(t)[id]?.Properties?.Environment as { Variables: Record<string, unknown> })
        .Variables;
      return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, deployed(v)]));
    };
    const { template: alerting } = buildStack({ backfill: { enabled: true, alerts: true } });
    // Act
    const quiet = loadBackfillConfig(envOf(template));
    const loud = loadBackfillConfig(envOf(alerting));
    // Assess: protects "a missing or wrong variable fails every cold start" for the backfill function too.
    expect(quiet.alerts).toBeUndefined();
    expect(loud.alerts).toMatchObject({ topicArn: expect.stringMatching(/^arn:aws:sns:/) });
    expect(envOf(alerting)).toMatchObject({ BACKFILL_ALERTS: 'on', ALERTS_ENABLED: 'true' });
  });

  it('has the four stack outputs the CLI reads, and the operator policy', () => {
    // Prepare
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    // Assess: protects the names `trailwatch backfill --on-aws` looks up (docs/operations.md).
    expect(outputs.BackfillQueueUrl?.Value).toEqual({ Ref: queueId });
    expect(outputs.BackfillDeadLetterQueueUrl?.Value).toEqual({ Ref: dlqId });
    expect(outputs.BackfillFunctionName?.Value).toEqual({ Ref: functionId });
    // A mapping's Ref is its UUID, which UpdateEventSourceMapping takes.
    expect(outputs.BackfillEventSourceMappingId?.Value).toEqual({
      Ref: logicalId(template, 'AWS::Lambda::EventSourceMapping', 'BackfillEventSourceMapping'),
    });
    expect(outputs.BackfillOperatorPolicyArn?.Value).toEqual({
      Ref: logicalId(template, 'AWS::IAM::ManagedPolicy', 'BackfillOperatorPolicy'),
    });
    expect(outputs.BackfillRoleArn).toBeUndefined();
  });
});

describe('distributed backfill: least privilege', () => {
  it('lets the function read logs, write events and consume its queue, and nothing else (alerts off)', () => {
    // Prepare
    const { stack, template } = buildStack({ ...EXISTING_BUCKET, ...BACKFILL });
    const queueId = logicalId(template, 'AWS::SQS::Queue', 'BackfillQueue');
    // Act
    const statements = backfillRoleStatements(template);
    // Assess: protects "exactly what it uses": its log group, the event table's put calls, GetObject under
    // the prefix of the bucket's account, Decrypt through S3, receive/delete on its own queue. No alert
    // state, no topic, no other queue.
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: getAtt(logicalId(template, 'AWS::Logs::LogGroup', 'BackfillLogGroup')),
      },
      {
        Effect: 'Allow',
        Action: EVENT_TABLE_ACTIONS.map((a) => `dynamodb:${a}`),
        Resource: getAtt(stack.getLogicalId(stack.eventTable.table.node.defaultChild as never)),
      },
      {
        Effect: 'Allow',
        Action: 's3:GetObject',
        Condition: { StringEquals: { 's3:ResourceAccount': '111122223333' } },
        Resource: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::corp-cloudtrail-logs/org/AWSLogs/*']],
        },
      },
      {
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: EXISTING_BUCKET.sourceBucketKmsKeyArn,
        Condition: { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } },
      },
      {
        Effect: 'Allow',
        Action: [
          'sqs:ReceiveMessage',
          'sqs:ChangeMessageVisibility',
          'sqs:GetQueueUrl',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
        ],
        Resource: getAtt(queueId),
      },
    ]);
  });

  it('adds the alert state table and the topics only with backfill.alerts', () => {
    // Prepare
    const { template } = buildStack({
      backfill: { enabled: true, alerts: true },
      slackChannels: [{ workspaceId: 'T012ABCDEFG', channelId: 'C0123456789' }],
    });
    // Act
    const statements = backfillRoleStatements(template);
    const actions = statements.flatMap((s) => [s.Action].flat());
    // Assess: protects "the alert state and topic only if alerts are configured on".
    expect(statements).toEqual(
      expect.arrayContaining([
        {
          Effect: 'Allow',
          Action: ALERT_STATE_TABLE_ACTIONS.map((a) => `dynamodb:${a}`),
          Resource: getAtt(logicalId(template, 'AWS::DynamoDB::Table', 'AlertStateTable')),
        },
      ]),
    );
    // The alert topic and the chat topic.
    expect(actions.filter((a) => a === 'sns:Publish')).toHaveLength(2);
  });

  it('in the cross-account layout, may only assume the read role, under a fixed role name it trusts', () => {
    // Prepare
    const { template } = buildStack({ ...CROSS_ACCOUNT, ...BACKFILL });
    // Act
    const statements = backfillRoleStatements(template);
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    // Assess: protects "read exactly like the ingest function": no S3 or KMS permission of its own.
    expect(statements.filter((s) => /^(s3|kms|sts):/.test(String([s.Action].flat()[0])))).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':iam::444455556666:role/trailwatch-log-reader'],
          ],
        },
      },
    ]);
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'trailwatch-backfill',
      Description: 'trailwatch backfill function',
    });
    expect(outputs.BackfillRoleArn?.Value).toEqual(
      getAtt(logicalId(template, 'AWS::IAM::Role', 'BackfillRole')),
    );
    // backfillRoleName renames it (the bucket-account stack trusts the same name).
    buildStack({
      ...CROSS_ACCOUNT,
      ...BACKFILL,
      backfillRoleName: 'org-backfill',
    }).template.hasResourceProperties('AWS::IAM::Role', { RoleName: 'org-backfill' });
  });

  it("gives the operator exactly the CLI's calls: enqueue and watch, redrive the DLQ, stop/resume the mapping", () => {
    // Prepare
    const { template } = buildStack(BACKFILL);
    const policy =
      resources(template)[logicalId(template, 'AWS::IAM::ManagedPolicy', 'BackfillOperatorPolicy')];
    const mappingId = logicalId(template, 'AWS::Lambda::EventSourceMapping', 'BackfillEventSourceMapping');
    // Act
    const statements = (policy?.Properties?.PolicyDocument as { Statement: Record<string, unknown>[] })
      .Statement;
    // Assess: protects the documented operator policy (docs/operations.md): each call on its one resource.
    expect(statements).toEqual([
      {
        Sid: 'EnqueueAndWatch',
        Effect: 'Allow',
        Action: [...OPERATOR_QUEUE_ACTIONS],
        Resource: getAtt(logicalId(template, 'AWS::SQS::Queue', 'BackfillQueue')),
      },
      {
        Sid: 'InspectAndRedriveFailures',
        Effect: 'Allow',
        Action: [...OPERATOR_DLQ_ACTIONS],
        Resource: getAtt(logicalId(template, 'AWS::SQS::Queue', 'BackfillDeadLetterQueue')),
      },
      {
        Sid: 'StopAndResume',
        Effect: 'Allow',
        Action: [...OPERATOR_MAPPING_ACTIONS],
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':lambda:eu-west-1:111122223333:event-source-mapping:',
              { Ref: mappingId },
            ],
          ],
        },
      },
    ]);
    expect(policy?.Properties?.Roles).toBeUndefined();
  });
});

// The IAM actions of the SDK commands an adapter sends (the batch forms are authorized as the single ones).
function actionsSent(service: 'sqs' | 'lambda', ...files: string[]): string[] {
  const iamName = (command: string) =>
    command.replace(/^(SendMessage|DeleteMessage|ChangeMessageVisibility)Batch$/, '$1');
  const sent = files.flatMap((file) => {
    const source = readFileSync(path.join(__dirname, '..', '..', 'lambdas', 'adapters', file), 'utf8');
    return [...source.matchAll(/new (\w+)Command\(/g)].map((m) => `${service}:${iamName(m[1] ?? '')}`);
  });
  return [...new Set(sent)].sort();
}

describe('distributed backfill: the operator policy follows the CLI', () => {
  // SQS's redrive of a dead-letter queue (docs/operations.md), from the AWS CLI rather than trailwatch.
  const REDRIVE = ['sqs:CancelMessageMoveTask', 'sqs:ListMessageMoveTasks', 'sqs:StartMessageMoveTask'];

  it.each([
    ['the work queue', OPERATOR_QUEUE_ACTIONS, actionsSent('sqs', 'backfill-queue.ts')],
    [
      'the dead-letter queue',
      OPERATOR_DLQ_ACTIONS,
      [...actionsSent('sqs', 'dlq-source.ts'), ...REDRIVE].sort(),
    ],
    ['the event source mapping', OPERATOR_MAPPING_ACTIONS, actionsSent('lambda', 'event-source-mapping.ts')],
  ])('on %s: exactly the calls the adapters send', (_name, granted, sent) => {
    // Assess: protects the operator policy against drift when `backfill --on-aws`, `status`, `stop`,
    // `resume` or `replay` start (or stop) sending a call.
    expect(sent.length).toBeGreaterThan(1);
    expect([...granted].sort()).toEqual(sent);
  });
});

describe('distributed backfill: alarms and dashboard', () => {
  const { template } = buildStack({ ...BACKFILL, realTimeAlerts: true });
  const alarms = template.findResources('AWS::CloudWatch::Alarm');
  const alarm = (prefix: string) => {
    const found = Object.entries(alarms).filter(([id]) => id.startsWith(prefix));
    expect(found).toHaveLength(1);
    return found[0]?.[1].Properties as Record<string, unknown>;
  };
  const opsTopic = { Ref: logicalId(template, 'AWS::SNS::Topic', 'OperationsTopic') };

  it('alarms when the live path is throttled while backfill messages are in flight, on the live metrics only', () => {
    // Act
    const props = alarm('OperationsLiveThrottledDuringBackfill');
    const metrics = props.Metrics as { Id: string; Expression?: string; MetricStat?: { Metric: unknown } }[];
    const byId = Object.fromEntries(metrics.map((m) => [m.Id, m]));
    const expression = metrics.find((m) => m.Expression !== undefined)?.Expression ?? '';
    // Assess: protects issue item 3: live ThrottledWrites (service=trailwatch, not the backfill's), counted
    // only while the backfill queue has messages in flight, sent to the operations topic.
    expect(expression).toMatch(/^IF\(FILL\((\w+), 0\) > 0, FILL\((\w+), 0\), 0\)$/);
    const [, inFlight, throttled] = /IF\(FILL\((\w+), 0\) > 0, FILL\((\w+), 0\), 0\)/.exec(expression) ?? [];
    expect(byId[throttled ?? '']?.MetricStat?.Metric).toEqual({
      Namespace: 'Trailwatch',
      MetricName: 'ThrottledWrites',
      Dimensions: [{ Name: 'service', Value: 'trailwatch' }],
    });
    expect(byId[inFlight ?? '']?.MetricStat?.Metric).toEqual({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesNotVisible',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: getAtt(logicalId(template, 'AWS::SQS::Queue', 'BackfillQueue'), 'QueueName'),
        },
      ],
    });
    expect(props).toMatchObject({ Threshold: 1, AlarmActions: [opsTopic], OKActions: [opsTopic] });
  });

  it.each([
    [
      'OperationsBackfillDeadLetterDepth',
      'AWS/SQS',
      'ApproximateNumberOfMessagesVisible',
      'BackfillDeadLetterQueue',
    ],
    ['OperationsBackfillFunctionErrors', 'AWS/Lambda', 'Errors', 'BackfillFunction'],
    [
      'OperationsRealTimeDeadLetterDepth',
      'AWS/SQS',
      'ApproximateNumberOfMessagesVisible',
      'RealTimeDeadLetterQueue',
    ],
    ['OperationsRealTimeFunctionErrors', 'AWS/Lambda', 'Errors', 'RealTimeFunction'],
  ])('%s: %s %s of %s, to the operations topic', (id, namespace, metricName, resource) => {
    // Act
    const props = alarm(id);
    // Assess: protects an alarm on each function's errors and on each dead-letter queue's depth.
    expect(props).toMatchObject({
      Namespace: namespace,
      MetricName: metricName,
      Threshold: 1,
      AlarmActions: [opsTopic],
    });
    expect(JSON.stringify(props.Dimensions)).toContain(`"${resource}`);
  });

  it('lets exactly these alarms publish to the operations topic', () => {
    // Prepare
    const alarmIds = Object.keys(alarms);
    // Act
    const policy = JSON.stringify(template.findResources('AWS::SNS::TopicPolicy'));
    // Assess: protects the topic policy's exact source ARNs: a new alarm that could not publish would be silent.
    expect(alarmIds.length).toBe(10);
    for (const id of alarmIds) expect(policy).toContain(`"${id}"`);
  });

  it('has a dashboard row of the backfill: queue, in flight, DLQ, function, throttled writes live vs backfill', () => {
    // Act
    const body = JSON.stringify(
      Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]?.Properties?.DashboardBody,
    );
    // Assess: protects the operator's view of a running backfill.
    for (const text of [
      'Backfill queue',
      'in flight',
      'dead-lettered',
      'Backfill function',
      'Throttled writes: live vs backfill',
      '\\"service\\",\\"trailwatch-backfill\\"',
    ]) {
      expect(body).toContain(text);
    }
  });
});
