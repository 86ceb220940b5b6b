import { Template } from 'aws-cdk-lib/assertions';
import { TOPIC_POLICY_ACTIONS } from '../../lib/alert-topic';
import { buildStack, EXISTING_BUCKET } from './synth';

interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Principal?: unknown;
  readonly Action: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

// Resource policies (who else may act on our resources) by resource type.
const RESOURCE_POLICIES: Record<string, (props: Record<string, unknown>) => unknown> = {
  'AWS::S3::BucketPolicy': (p) => p.PolicyDocument,
  'AWS::SNS::TopicPolicy': (p) => p.PolicyDocument,
  'AWS::SQS::QueuePolicy': (p) => p.PolicyDocument,
  'AWS::KMS::Key': (p) => p.KeyPolicy,
};

function resourceStatements(
  template: Template,
): Array<{ where: string; type: string; statement: Statement }> {
  const out: Array<{ where: string; type: string; statement: Statement }> = [];
  const resources = template.toJSON().Resources as Record<
    string,
    { Type: string; Properties?: Record<string, unknown> }
  >;
  for (const [where, r] of Object.entries(resources)) {
    const document = RESOURCE_POLICIES[r.Type]?.(r.Properties ?? {}) as
      { Statement?: Statement[] } | undefined;
    for (const statement of document?.Statement ?? []) out.push({ where, type: r.Type, statement });
  }
  return out;
}

const servicePrincipal = (s: Statement): string | undefined =>
  (s.Principal as { Service?: string } | undefined)?.Service;

// The condition keys each service gets, and what they must name (as rendered, tokens included).
const conditionKeys = (s: Statement): Record<string, string> =>
  Object.fromEntries(
    Object.entries(s.Condition ?? {}).flatMap(([operator, keys]) =>
      Object.entries(keys).map(([key, value]) => [key, `${operator} ${JSON.stringify(value)}`]),
    ),
  );

const CONFIGURATIONS: Record<string, Record<string, unknown>> = {
  'new bucket and trail': { alertEmails: ['oncall@example.com'] },
  'new bucket, EventBridge': { trigger: 'eventbridge' },
  'organization trail under a prefix': {
    organizationTrail: true,
    organizationTrustedAccess: true,
    organizationId: 'o-a1b2c3d4e5',
    logPrefix: 'org',
  },
  'existing bucket, EventBridge': { ...EXISTING_BUCKET, trigger: 'eventbridge' },
};

describe('resource policy conditions', () => {
  const built = Object.entries(CONFIGURATIONS).map(
    ([name, config]) => [name, buildStack(config).template] as const,
  );

  it.each(built)('%s: every service-principal Allow is scoped to its source', (_name, template) => {
    // Act
    const unscoped = resourceStatements(template)
      .filter(({ statement }) => statement.Effect === 'Allow' && servicePrincipal(statement) !== undefined)
      .filter(({ statement }) => {
        const keys = conditionKeys(statement);
        return keys['aws:SourceArn'] === undefined && keys['aws:SourceAccount'] === undefined;
      })
      .map(
        ({ where, statement }) =>
          `${where}: ${servicePrincipal(statement)} ${JSON.stringify(statement.Action)}`,
      );
    // Assess: protects against confused-deputy access: no service acts for someone else's resource.
    expect(unscoped).toEqual([]);
  });

  it.each(built)('%s: every TLS-only deny covers every action of its policy', (_name, template) => {
    // Act
    const denies = resourceStatements(template).filter(
      ({ statement }) =>
        statement.Effect === 'Deny' && conditionKeys(statement)['aws:SecureTransport'] !== undefined,
    );
    const expected: Record<string, unknown> = {
      'AWS::S3::BucketPolicy': 's3:*',
      'AWS::SQS::QueuePolicy': 'sqs:*',
      'AWS::SNS::TopicPolicy': [...TOPIC_POLICY_ACTIONS],
    };
    // Assess: protects "no request without TLS" for buckets, queues and topics (not only sns:Publish):
    // one deny in each such policy, over every action.
    for (const [type, actions] of Object.entries(expected)) {
      const policies = Object.keys(template.findResources(type));
      expect(denies.filter((d) => d.type === type).map((d) => [d.where, d.statement.Action])).toEqual(
        policies.map((where) => [where, actions]),
      );
    }
  });

  it("names this trail's ARN in each CloudTrail statement of the bucket policy", () => {
    // Act
    const [, template] = built[0]!;
    const cloudtrail = resourceStatements(template).filter(
      ({ statement }) => servicePrincipal(statement) === 'cloudtrail.amazonaws.com',
    );
    // Assess: protects the bucket from any other trail (another account's included) writing log files.
    expect(cloudtrail.map(({ statement }) => statement.Action)).toEqual(['s3:GetBucketAcl', 's3:PutObject']);
    for (const { statement } of cloudtrail) {
      expect(conditionKeys(statement)['aws:SourceArn']).toMatch(
        /^StringEquals .*:cloudtrail:eu-west-1:111122223333:trail\/Trailwatch-trail"/,
      );
    }
    template.hasResourceProperties('AWS::CloudTrail::Trail', { TrailName: 'Trailwatch-trail' });
  });

  it("names the organization trail's ARN for the member accounts' folder under the prefix", () => {
    // Act
    const [, template] = built[2]!;
    const writes = resourceStatements(template).filter(
      ({ statement }) =>
        servicePrincipal(statement) === 'cloudtrail.amazonaws.com' && statement.Action === 's3:PutObject',
    );
    // Assess: protects delivery of member accounts (under <prefix>/AWSLogs/<org>/) by this trail only.
    expect(writes).toHaveLength(1);
    expect(JSON.stringify(writes[0]?.statement)).toContain('/org/AWSLogs/o-a1b2c3d4e5/*');
    expect(JSON.stringify(writes[0]?.statement)).toContain('/org/AWSLogs/111122223333/*');
    expect(conditionKeys(writes[0]!.statement)['aws:SourceArn']).toMatch(/trail\/Trailwatch-org-trail"/);
  });

  it('lets CloudWatch publish to the operations topic for the stack alarms only, and use its key for this account alarms', () => {
    // Act
    const [, template] = built[0]!;
    const cloudwatch = resourceStatements(template).filter(
      ({ statement }) => servicePrincipal(statement) === 'cloudwatch.amazonaws.com',
    );
    const topic = cloudwatch.find((s) => s.type === 'AWS::SNS::TopicPolicy')!.statement;
    const key = cloudwatch.find((s) => s.type === 'AWS::KMS::Key')!.statement;
    const alarms = Object.keys(template.findResources('AWS::CloudWatch::Alarm'));
    // Assess: protects the alarm topic from other accounts' and other alarms' publishes; the key cannot
    // name the alarms (they refer to the topic, which refers to the key), so it names this account's.
    expect(topic.Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': '111122223333' },
      ArnEquals: { 'aws:SourceArn': alarms.map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] })) },
    });
    expect(alarms).toHaveLength(5);
    expect(conditionKeys(key)).toEqual({
      'aws:SourceAccount': 'StringEquals "111122223333"',
      'aws:SourceArn': expect.stringMatching(/^ArnLike .*:cloudwatch:eu-west-1:111122223333:alarm:\*"/),
    });
  });

  it('lets S3 and EventBridge invoke the function only for this bucket and this rule', () => {
    // Act
    const permissions = (template: Template) =>
      Object.values(template.findResources('AWS::Lambda::Permission')).map(
        (r) => r.Properties as Record<string, unknown>,
      );
    const [s3] = permissions(built[0]![1]);
    const [events] = permissions(built[1]![1]);
    // Assess: protects the function from invocations on behalf of other buckets or rules.
    expect(s3).toMatchObject({
      Principal: 's3.amazonaws.com',
      SourceAccount: '111122223333',
      SourceArn: expect.anything(),
    });
    expect(events).toMatchObject({
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [expect.stringMatching(/^TriggerObjectCreated/), 'Arn'] },
    });
  });
});
