import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ALERT_STATE_TABLE_ACTIONS, EVENT_TABLE_ACTIONS } from '../../lib/ingest-function';
import { REAL_TIME_EVENT_TABLE_ACTIONS } from '../../lib/real-time-alerts';
import { buildStack, EXISTING_BUCKET, newStack } from './synth';

interface FoundStatement {
  readonly where: string;
  readonly resourceType: string;
  readonly statement: Record<string, unknown>;
}

// Policy documents live in these resource properties; every one is walked.
const POLICY_DOCUMENTS: Record<string, (props: Record<string, unknown>) => unknown[]> = {
  'AWS::IAM::Policy': (p) => [p.PolicyDocument],
  'AWS::IAM::ManagedPolicy': (p) => [p.PolicyDocument],
  'AWS::IAM::Role': (p) =>
    ((p.Policies as { PolicyDocument: unknown }[] | undefined) ?? []).map((x) => x.PolicyDocument),
  'AWS::KMS::Key': (p) => [p.KeyPolicy],
  'AWS::SNS::TopicPolicy': (p) => [p.PolicyDocument],
  'AWS::SQS::QueuePolicy': (p) => [p.PolicyDocument],
  'AWS::S3::BucketPolicy': (p) => [p.PolicyDocument],
};

function allStatements(template: Template): FoundStatement[] {
  const found: FoundStatement[] = [];
  for (const [logicalId, resource] of Object.entries<{ Type: string; Properties?: Record<string, unknown> }>(
    template.toJSON().Resources,
  )) {
    const documents = POLICY_DOCUMENTS[resource.Type]?.(resource.Properties ?? {}) ?? [];
    for (const document of documents) {
      for (const statement of (document as { Statement?: Record<string, unknown>[] } | undefined)
        ?.Statement ?? []) {
        found.push({ where: logicalId, resourceType: resource.Type, statement });
      }
    }
  }
  return found;
}

const asList = (value: unknown): unknown[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

// The account root principal of a KMS key policy, as CDK renders it.
function isAccountRoot(principal: unknown): boolean {
  return JSON.stringify(principal).includes(':root');
}

/**
 * Allowances, each explicit:
 * - Deny statements (TLS-only policies) may use wildcards: denying broadly is the point.
 * - In a KMS key policy `Resource: "*"` means "this key"; and the key's administration statement for
 *   the account root (`kms:*`) is what keeps a key manageable (CDK's default key policy).
 */
function violations(template: Template): string[] {
  const problems: string[] = [];
  for (const { where, resourceType, statement } of allStatements(template)) {
    if (statement.Effect === 'Deny') continue;
    const keyPolicy = resourceType === 'AWS::KMS::Key';
    for (const action of asList(statement.Action)) {
      if (typeof action !== 'string') {
        problems.push(`${where}: non-literal action ${JSON.stringify(action)}`);
      } else if (
        action.includes('*') &&
        !(keyPolicy && action === 'kms:*' && isAccountRoot(statement.Principal))
      ) {
        problems.push(`${where}: wildcard action ${action}`);
      }
    }
    for (const resource of asList(statement.Resource)) {
      if (resource === '*' && !keyPolicy)
        problems.push(`${where}: Resource "*" for ${JSON.stringify(statement.Action)}`);
    }
    if (statement.NotAction !== undefined || statement.NotResource !== undefined) {
      problems.push(`${where}: NotAction/NotResource in an Allow statement`);
    }
  }
  return problems;
}

const CONFIGURATIONS: Record<string, Record<string, unknown>> = {
  'new bucket (defaults)': { alertEmails: ['ops@example.com'] },
  'existing SSE-KMS bucket, EventBridge': { ...EXISTING_BUCKET, trigger: 'eventbridge' },
  'existing bucket, S3 notification': { ...EXISTING_BUCKET },
  'organization trail under a prefix': {
    organizationTrail: true,
    organizationTrustedAccess: true,
    organizationId: 'o-a1b2c3d4e5',
    logPrefix: 'org',
  },
  'real-time alerts from three regions': {
    realTimeAlerts: true,
    realTimeRegions: ['us-east-1', 'us-west-2'],
  },
  'distributed backfill with alerts, existing SSE-KMS bucket': {
    ...EXISTING_BUCKET,
    backfill: { enabled: true, alerts: true },
  },
};

describe('least privilege', () => {
  it.each(Object.entries(CONFIGURATIONS))(
    '%s: every Allow statement names its actions and resources',
    (_name, config) => {
      // Prepare
      const { template } = buildStack(config);
      // Act
      const problems = violations(template);
      // Assess: protects "no wildcard action, no `*` resource where an ARN exists" across all policies.
      expect(allStatements(template).length).toBeGreaterThan(10);
      expect(problems).toEqual([]);
    },
  );

  it('finds a wildcard when one is there (the walk is not vacuous)', () => {
    // Prepare: a statement that must be reported.
    const { stack } = newStack({});
    stack.ingest.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:*'], resources: ['*'] }));
    // Act
    const problems = violations(Template.fromStack(stack));
    // Assess
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/wildcard action s3:\*/),
        expect.stringMatching(/Resource "\*"/),
      ]),
    );
  });

  it("lets the function read only log objects under the prefix of the bucket's own account, and nothing else in S3", () => {
    // Prepare
    const { template } = buildStack({ ...EXISTING_BUCKET });
    // Act
    const s3Statements = allStatements(template).filter(
      (s) =>
        s.where.startsWith('IngestRole') &&
        asList(s.statement.Action).some((a) => String(a).startsWith('s3:')),
    );
    // Assess: protects "read only under the configured prefix of that bucket", and never a bucket of the
    // same name in another account (s3:ResourceAccount).
    expect(s3Statements.map((s) => s.statement)).toEqual([
      {
        Effect: 'Allow',
        Action: 's3:GetObject',
        Condition: { StringEquals: { 's3:ResourceAccount': '111122223333' } },
        Resource: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::corp-cloudtrail-logs/org/AWSLogs/*']],
        },
      },
    ]);
  });

  it('lets the function make exactly its DynamoDB calls, each on its own table and no index', () => {
    // Prepare
    const { stack, template } = buildStack({});
    const tableArn = (table: { node: { defaultChild?: unknown } }) => ({
      'Fn::GetAtt': [stack.getLogicalId(table.node.defaultChild as CfnElement), 'Arn'],
    });
    // Act
    const dynamodb = allStatements(template).filter(
      (s) =>
        s.where.startsWith('IngestRole') &&
        asList(s.statement.Action).some((a) => String(a).startsWith('dynamodb:')),
    );
    // Assess: protects "write only to that table": the event store only puts (BatchWriteItem, and the
    // contract item with PutItem after DescribeTable checked the layout); the alert state store reads,
    // claims, releases and updates markers. No Scan, Query, streams or indexes.
    expect(dynamodb.map((s) => s.statement)).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:BatchWriteItem', 'dynamodb:DescribeTable', 'dynamodb:PutItem'],
        Resource: tableArn(stack.eventTable.table),
      },
      {
        Effect: 'Allow',
        Action: [
          'dynamodb:BatchGetItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:BatchWriteItem',
        ],
        Resource: tableArn(stack.alertStateTable.table),
      },
    ]);
  });

  it.each([
    // The ingest function batch-writes, the real-time function puts single items: together, the adapter's calls.
    ['event-store.ts', [...new Set([...EVENT_TABLE_ACTIONS, ...REAL_TIME_EVENT_TABLE_ACTIONS])]],
    ['alert-state-store.ts', ALERT_STATE_TABLE_ACTIONS],
  ])('grants the DynamoDB calls lambdas/adapters/%s sends, no more', (file, granted) => {
    // Prepare: lib-dynamodb's document commands drop the `Item` of the API action they call; a
    // transaction is authorized as the actions in it, and the alert store's hold only Puts (PutItem).
    const apiAction = (command: string) =>
      command === 'TransactWriteItems'
        ? 'PutItem'
        : /^(Put|Get|Update|Delete|BatchWrite|BatchGet)$/.test(command)
          ? `${command}Item`
          : command;
    const source = readFileSync(path.join(__dirname, '..', '..', 'lambdas', 'adapters', file), 'utf8');
    // Act
    const sent = [...source.matchAll(/new (\w+)Command\(/g)].map((m) => apiAction(m[1] ?? ''));
    // Assess: protects the grant against drift when an adapter starts (or stops) sending a call.
    expect(sent.length).toBeGreaterThan(0);
    expect([...new Set(sent)].sort()).toEqual([...granted].sort());
  });

  it('lets the function decrypt with the bucket key only through S3', () => {
    // Prepare
    const { template } = buildStack({ ...EXISTING_BUCKET });
    // Act
    const kms = allStatements(template).filter(
      (s) =>
        s.where.startsWith('IngestRole') &&
        JSON.stringify(s.statement.Resource).includes(EXISTING_BUCKET.sourceBucketKmsKeyArn),
    );
    // Assess: protects "decrypt only with that key".
    expect(kms.map((s) => s.statement)).toEqual([
      {
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: EXISTING_BUCKET.sourceBucketKmsKeyArn,
        Condition: { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } },
      },
    ]);
  });

  it('gives the function no AWS managed policy (its logs permission is on its own log group)', () => {
    // Prepare
    const { template } = buildStack({});
    // Act
    const roles = template.findResources('AWS::IAM::Role');
    const withManagedPolicies = Object.entries(roles)
      .filter(([, r]) => (r.Properties?.ManagedPolicyArns ?? []).length > 0)
      .map(([id]) => id);
    // Assess: only CDK's own handlers (not configurable) use AWSLambdaBasicExecutionRole: the
    // AwsCustomResource singleton (the table's contract item) and the bucket-notifications handler.
    expect(withManagedPolicies).toEqual([
      expect.stringMatching(/^AWS679f53fac002430cb0da5b7982bd2287/),
      expect.stringMatching(/^BucketNotificationsHandler/),
    ]);
  });
});
