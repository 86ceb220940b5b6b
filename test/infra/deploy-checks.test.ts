import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { ConfigError } from '../../lambdas/core/errors';
import { parseTrailwatchConfig } from '../../lib/config';
import { buildStack, EXISTING_BUCKET, newDeployedStack, newStack } from './synth';

function problemsOf(input: Record<string, unknown>): string {
  try {
    parseTrailwatchConfig(input);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  return '';
}

const ORG = { organizationTrail: true, organizationId: 'o-a1b2c3d4e5' };

describe('synth-time checks of what would fail at deploy', () => {
  it('asks an organization trail to confirm CloudTrail trusted access, naming the command', () => {
    // Act
    const missing = problemsOf(ORG);
    const confirmed = problemsOf({ ...ORG, organizationTrustedAccess: true });
    const stray = problemsOf({ organizationTrustedAccess: true });
    // Assess: protects against a CreateTrail that fails with CloudTrailAccessNotEnabledException mid-deploy.
    expect(missing).toMatch(
      /1 problem\(s\):\n {2}- organizationTrustedAccess: .*CloudTrailAccessNotEnabledException/,
    );
    expect(missing).toMatch(/enable-aws-service-access --service-principal cloudtrail\.amazonaws\.com/);
    expect(confirmed).toBe('');
    expect(stray).toMatch(/organizationTrustedAccess: only applies with organizationTrail: true/);
  });

  it.each([
    [{ reservedConcurrency: 990 }, ''],
    [
      { reservedConcurrency: 991 },
      /reservedConcurrency: 991 would leave fewer than 10 unreserved executions of the account's 1000/,
    ],
    [{ reservedConcurrency: 45, accountConcurrencyLimit: 50 }, /use at most 40/],
    [
      { reservedConcurrency: 2000, accountConcurrencyLimit: 5000 },
      /reservedConcurrency: expected a whole number from 1 to 1000/,
    ],
    [
      { reservedConcurrency: 1, accountConcurrencyLimit: 10 },
      /reservedConcurrency: 1 would leave fewer than 10/,
    ],
  ])('keeps 10 executions unreserved: %j', (config, expected) => {
    // Assess: protects against PutFunctionConcurrency failing the deployment.
    if (expected === '') expect(problemsOf(config)).toBe('');
    else expect(problemsOf(config)).toMatch(expected);
  });

  it('refuses the S3 trigger on a bucket of another account, at synth when the account is known', () => {
    // Act
    const build = (trigger: string) => () =>
      newDeployedStack(
        { ...EXISTING_BUCKET, sourceBucketAccount: '444455556666', trigger },
        { account: '111122223333', region: 'eu-west-1' },
      );
    // Assess: protects against a notification the bucket's owner alone can set (AccessDenied at deploy).
    expect(build('s3-notification')).toThrow(ConfigError);
    expect(build('s3-notification')).toThrow(
      /sourceBucketAccount: the bucket is in account 444455556666 and the stack deploys to 111122223333; only the bucket's owner/,
    );
    expect(build('eventbridge')).not.toThrow();
  });

  it('asserts the bucket account in a CloudFormation rule when the account is only known at deploy', () => {
    // Prepare
    const { stack } = newDeployedStack(
      { ...EXISTING_BUCKET, sourceBucketAccount: '444455556666' },
      undefined,
    );
    // Act
    const template = Template.fromStack(stack);
    // Assess: protects the environment-agnostic synth: CloudFormation stops before creating anything.
    expect(template.toJSON().Rules).toMatchObject({
      SourceBucketInThisAccount: {
        Assertions: [
          {
            Assert: { 'Fn::Equals': [{ Ref: 'AWS::AccountId' }, '444455556666'] },
            AssertDescription: expect.stringMatching(
              /^sourceBucketAccount: the bucket is in account 444455556666/,
            ),
          },
        ],
      },
    });
    // Same-account reads only: the function's GetObject names the bucket's account.
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 's3:GetObject',
            Condition: { StringEquals: { 's3:ResourceAccount': '444455556666' } },
          }),
        ]),
      },
    });
  });

  it('checks allowedAccounts and sourceBucketAccount against the source they apply to', () => {
    // Assess: protects against settings that would be silently ignored.
    expect(problemsOf({ allowedAccounts: ['111122223333'] })).toMatch(
      /allowedAccounts: the trail trailwatch creates logs this account only/,
    );
    expect(problemsOf({ sourceBucketAccount: '111122223333' })).toMatch(
      /sourceBucketAccount: only applies with sourceBucketName/,
    );
    expect(problemsOf({ ...EXISTING_BUCKET, allowedAccounts: [111122223333, '12345'] })).toMatch(
      /allowedAccounts\[1\]: expected a 12-digit account id/,
    );
    expect(problemsOf({ ...EXISTING_BUCKET, organizationId: 'o-a1b2c3d4e5' })).toBe('');
    expect(
      parseTrailwatchConfig({ ...EXISTING_BUCKET, allowedAccounts: '111122223333, 444455556666' })
        .allowedAccounts,
    ).toEqual(['111122223333', '444455556666']);
  });

  it.each([
    ['new account trail', {}, '111122223333', ''],
    ['organization trail', { ...ORG, organizationTrustedAccess: true }, '', 'o-a1b2c3d4e5'],
    [
      'existing bucket with a list',
      { ...EXISTING_BUCKET, allowedAccounts: ['444455556666'], organizationId: 'o-a1b2c3d4e5' },
      '444455556666',
      'o-a1b2c3d4e5',
    ],
  ])('%s: hands the key allow-list to the function', (_name, config, accounts, organizations) => {
    // Act
    const { template } = buildStack(config);
    // Assess: protects the function's per-key origin check (lambdas/core/log-key.ts) from being left open.
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ ALLOWED_ACCOUNTS: accounts, ALLOWED_ORGANIZATIONS: organizations }),
      },
    });
  });

  it('warns when an existing bucket is read with no allow-list', () => {
    // Act
    const { stack } = buildStack({ ...EXISTING_BUCKET });
    // Assess: protects the operator from an open allow-list going unnoticed.
    Annotations.fromStack(stack).hasWarning(
      '/Trailwatch',
      Match.stringLikeRegexp('read log files of any account under org/AWSLogs/'),
    );
  });

  it('sets FilterPolicyScope on filtered subscriptions, and fails the synth for one added without it', () => {
    // Prepare
    const { template } = buildStack({ alertEmails: [{ email: 'glue@example.com', services: ['glue'] }] });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      FilterPolicy: { service: ['glue'] },
      FilterPolicyScope: 'MessageAttributes',
    });
    const { app, stack } = newStack({});
    stack.alertTopic.topic.addSubscription(
      new subscriptions.SqsSubscription(new sqs.Queue(stack, 'Extra'), {
        filterPolicy: { service: sns.SubscriptionFilter.stringFilter({ allowlist: ['emr'] }) },
      }),
    );
    // Act / Assess: protects later subscriptions (another team's, issue 18's) from the failed-update trap.
    expect(() => app.synth()).toThrow(/must set FilterPolicyScope/);
  });
});
