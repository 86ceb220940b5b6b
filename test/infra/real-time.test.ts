import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { apiCallRulePattern, matchesApiCallRule } from '../../lambdas/core/api-call-rule';
import { WATCHED_EVENT_SOURCES } from '../../lambdas/core/services';
import { ForwardingStack } from '../../lib/forwarding-stack';
import { ALERT_STATE_TABLE_ACTIONS } from '../../lib/ingest-function';
import { buildStack } from './synth';

const REAL_TIME = { realTimeAlerts: true, realTimeRegions: ['us-east-1', 'us-west-2'] };

// Policy statements of the real-time function's own role, by action.
function realTimeRoleStatements(template: Template): Array<Record<string, unknown>> {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^RealTimeRole') }] },
  });
  return Object.values(policies).flatMap(
    (p) =>
      (p as { Properties: { PolicyDocument: { Statement: Array<Record<string, unknown>> } } }).Properties
        .PolicyDocument.Statement,
  );
}

describe('the real-time path', () => {
  test('is off unless configured: no API call rule, no second function', () => {
    // Prepare / Act
    const { template, stack } = buildStack({});

    // Assess: protects "on by configuration" (no cost, no rule, for users who did not ask).
    expect(stack.realTime).toBeUndefined();
    template.resourcePropertiesCountIs(
      'AWS::Events::Rule',
      { EventPattern: Match.objectLike({ 'detail-type': ['AWS API Call via CloudTrail'] }) },
      0,
    );
  });

  test('the rule matches failed calls of the watched sources, from this account and the listed regions only', () => {
    // Prepare / Act
    const { template } = buildStack(REAL_TIME);

    // Assess: protects the volume (failed calls only), the sources, and "the home stack accepts only those regions".
    template.hasResourceProperties('AWS::Events::Rule', {
      State: 'ENABLED',
      EventPattern: {
        'detail-type': ['AWS API Call via CloudTrail'],
        account: ['111122223333'],
        region: ['eu-west-1', 'us-east-1', 'us-west-2'],
        detail: { eventSource: [...WATCHED_EVENT_SOURCES], errorCode: [{ exists: true }] },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RealTimeFunction'), 'Arn'] },
          DeadLetterConfig: {
            Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RealTimeDeadLetterQueue'), 'Arn'] },
          },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 3600 },
        }),
      ],
    });
  });

  test("the function runs the real-time entry with the ingest function's configuration", () => {
    // Prepare
    const { stack, template } = buildStack(REAL_TIME);

    // Act
    const functions = template.findResources('AWS::Lambda::Function', {
      Properties: { Description: Match.stringLikeRegexp('seconds after EventBridge') },
    });

    // Assess: protects "same composition": the same tables, topic, rules and window as the log files.
    expect(Object.keys(functions)).toHaveLength(1);
    const env = (
      Object.values(functions)[0] as { Properties: { Environment: { Variables: Record<string, unknown> } } }
    ).Properties.Environment.Variables;
    expect(Object.keys(env).sort()).toEqual(Object.keys(stack.ingest.environment).sort());
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: Match.stringLikeRegexp('^RealTimeFunction') },
      MaximumRetryAttempts: 2,
    });
  });

  test('its role writes single event items, the alert state and the topic; it reads no log file', () => {
    // Prepare / Act
    const statements = realTimeRoleStatements(buildStack(REAL_TIME).template);
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]) as string[]);

    // Assess: protects least privilege: PutItem (conditional, and the contract item) and the contract
    // check's DescribeTable on the event table, no BatchWriteItem, no S3.
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: ['dynamodb:DescribeTable', 'dynamodb:PutItem'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^EventTable/), 'Arn'] },
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: ALERT_STATE_TABLE_ACTIONS.map((a) => `dynamodb:${a}`),
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^AlertStateTable/), 'Arn'] },
      }),
    );
    expect(actions).toContain('sns:Publish');
    expect(actions.filter((a) => a.startsWith('s3:'))).toEqual([]);
    expect(
      actions.filter(
        (a) =>
          a.startsWith('dynamodb:') &&
          /Scan|Query|Delete|Batch/.test(a) &&
          !ALERT_STATE_TABLE_ACTIONS.some((x) => `dynamodb:${x}` === a),
      ),
    ).toEqual([]);
  });

  test('the dashboard graphs call-to-alert latency for each path', () => {
    // Prepare / Act
    const { template } = buildStack(REAL_TIME);
    const dashboards = template.findResources('AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(
      Object.values(dashboards).map((d) => (d as { Properties: unknown }).Properties),
    );

    // Assess: protects item 3 of the issue (latency shown per path).
    expect(body).toContain('Call-to-alert latency (s)');
    expect(body).toMatch(/AlertLatency\\",\\"Path\\",\\"EventBridge/);
    expect(body).toMatch(/AlertLatency\\",\\"Path\\",\\"S3/);
  });

  test('realTimeRegions without realTimeAlerts, or a malformed region, is refused naming the key', () => {
    expect(() => buildStack({ realTimeRegions: ['us-east-1'] })).toThrow(
      'realTimeRegions: only applies with realTimeAlerts: true',
    );
    expect(() => buildStack({ realTimeAlerts: true, realTimeRegions: ['US East'] })).toThrow(
      /realTimeRegions\[0\]: expected an AWS region name/,
    );
  });
});

describe('per-region forwarding', () => {
  function forwarder() {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new ForwardingStack(app, 'Trailwatch-Forward-us-east-1', {
      homeRegion: 'eu-west-1',
      env: { account: '111122223333', region: 'us-east-1' },
    });
    return Template.fromStack(stack);
  }

  test("a rule on the region's default bus sends the same failed calls to the home region's default bus", () => {
    // Prepare / Act
    const template = forwarder();

    // Assess: protects "events stay in the region of the call" being bridged, and only failed calls of this region.
    template.resourceCountIs('AWS::Events::Rule', 1);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'detail-type': ['AWS API Call via CloudTrail'],
        account: ['111122223333'],
        region: ['us-east-1'],
        detail: { eventSource: [...WATCHED_EVENT_SOURCES], errorCode: [{ exists: true }] },
      },
      Targets: [
        Match.objectLike({
          Arn: {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':events:eu-west-1:111122223333:event-bus/default'],
            ],
          },
          RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ForwarderRole'), 'Arn'] },
        }),
      ],
    });
    template.resourceCountIs('AWS::Lambda::Function', 0);
  });

  test('its role may be assumed by EventBridge of this account and may only put events on the home bus', () => {
    // Prepare / Act
    const template = forwarder();

    // Assess: protects least privilege of the forwarding role (no events:* , no other bus, no confused deputy).
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': '111122223333' } },
          },
        ],
      },
    });
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    expect(policies).toHaveLength(1);
    expect((policies[0] as { Properties: { PolicyDocument: unknown } }).Properties.PolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'events:PutEvents',
          Resource: {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':events:eu-west-1:111122223333:event-bus/default'],
            ],
          },
        },
      ],
    });
  });
});

describe('the rule pattern and the local bus agree', () => {
  const failed = { eventSource: 'glue.amazonaws.com', eventName: 'StartJobRun', errorCode: 'AccessDenied' };
  const event = (detail: Record<string, unknown>, region = 'eu-west-1') => ({
    'detail-type': 'AWS API Call via CloudTrail',
    region,
    detail,
  });

  test.each([
    ['a failed Glue call', event(failed), true],
    ['a failed EMR Serverless call', event({ ...failed, eventSource: 'emr-serverless.amazonaws.com' }), true],
    ['a successful call', event({ eventSource: 'glue.amazonaws.com', eventName: 'GetJob' }), false],
    ['a failed call of another service', event({ ...failed, eventSource: 's3.amazonaws.com' }), false],
    ['a failed call from an unlisted region', event(failed, 'ap-south-1'), false],
    ['another detail-type', { ...event(failed), 'detail-type': 'Glue Job State Change' }, false],
  ])('%s: matched = %s', (_name, e, expected) => {
    expect(matchesApiCallRule(e, ['eu-west-1', 'us-east-1'])).toBe(expected);
    expect(apiCallRulePattern(['eu-west-1', 'us-east-1']).region).toEqual(['eu-west-1', 'us-east-1']);
  });
});
