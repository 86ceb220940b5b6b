import { type Environment, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { StrictAwsSolutionsChecks } from '../../lib/nag';
import { EXISTING_BUCKET, newDeployedStack, newStack } from './synth';

const CONFIGURATIONS: Record<string, Record<string, unknown>> = {
  'new bucket and trail': { alertEmails: ['ops@example.com'], opsEmails: ['platform@example.com'] },
  'new bucket, EventBridge': { trigger: 'eventbridge' },
  'organization trail under a prefix': {
    organizationTrail: true,
    organizationTrustedAccess: true,
    organizationId: 'o-a1b2c3d4e5',
    logPrefix: 'org',
  },
  'existing SSE-KMS bucket, S3 notification': { ...EXISTING_BUCKET },
  'existing bucket, EventBridge': { ...EXISTING_BUCKET, trigger: 'eventbridge' },
  'distributed backfill, real-time alerts': {
    backfill: { enabled: true, alerts: true },
    realTimeAlerts: true,
  },
};

function findings(report: ReturnType<StrictAwsSolutionsChecks['validateScope']>): string[] {
  return report.violations.flatMap((v) =>
    v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath ?? '?'}`),
  );
}

describe('cdk-nag AwsSolutions', () => {
  it.each(Object.entries(CONFIGURATIONS))('%s: no unacknowledged finding', (_name, config) => {
    // Prepare
    const { app } = newStack(config);
    // Act
    const report = new StrictAwsSolutionsChecks().validateScope(app);
    // Assess: protects "cdk-nag clean" for every supported layout, warnings included.
    expect(findings(report)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('fails on a new finding, and reports warnings as errors', () => {
    // Prepare: a table without point-in-time recovery (AwsSolutions-DDB3 is a warning in cdk-nag).
    const { app, stack } = newStack({});
    new dynamodb.Table(stack, 'Unprotected', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    });
    // Act
    const report = new StrictAwsSolutionsChecks().validateScope(app);
    // Assess: protects that the checks are live and that a warning cannot slip through a synth.
    expect(report.success).toBe(false);
    expect(report.violations).toEqual([
      expect.objectContaining({ ruleName: 'AwsSolutions-DDB3', severity: 'error' }),
    ]);
  });

  it('fails the synth of an app with the checks registered', () => {
    // Prepare: the same wiring as bin/trailwatch.ts, plus an unacknowledged finding.
    const { app, stack } = newStack({});
    Validations.of(app).addPlugins(new StrictAwsSolutionsChecks(app));
    new dynamodb.Table(stack, 'Unprotected', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: false },
    });
    // Act / Assess: protects "an unacknowledged finding fails the synth". CDK's own CloudFormation
    // schema validation (about 15 s, irrelevant to nag) is switched off for this synth only.
    const previous = process.env.CDK_VALIDATION;
    process.env.CDK_VALIDATION = 'false';
    try {
      expect(() => app.synth()).toThrow(/AwsSolutions-DDB3/);
    } finally {
      if (previous === undefined) delete process.env.CDK_VALIDATION;
      else process.env.CDK_VALIDATION = previous;
    }
  });

  it('carries a reason on every acknowledgement', () => {
    // Prepare
    const { app } = newStack({});
    // Act: acknowledgements are construct metadata (id → reason).
    const acknowledged = app.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    // Assess: protects "each acknowledgement carries a one-line reason".
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledged) {
      expect(`${id}: ${reason}`).toMatch(/^\S+: [^\n]{20,}$/);
    }
  });
});

// The layouts of a real deploy: `cdk deploy` always knows the account and region, and runs with cdk.json's
// feature flags (with @aws-cdk/core:enablePartitionLiterals a concrete region makes the partition a literal).
const DEPLOYED_LAYOUTS: Record<string, Record<string, unknown>> = {
  'new bucket and trail (defaults)': {},
  'new bucket, EventBridge': { trigger: 'eventbridge' },
  'organization trail under a prefix': {
    organizationTrail: true,
    organizationTrustedAccess: true,
    organizationId: 'o-a1b2c3d4e5',
    logPrefix: 'org',
  },
  'existing bucket': { sourceBucketName: 'corp-cloudtrail-logs' },
  'existing bucket under a prefix': { sourceBucketName: 'corp-cloudtrail-logs', logPrefix: 'org-trail' },
  'existing SSE-KMS bucket': {
    sourceBucketName: 'corp-cloudtrail-logs',
    sourceBucketKmsKeyArn: EXISTING_BUCKET.sourceBucketKmsKeyArn,
  },
  'existing bucket, EventBridge': { sourceBucketName: 'corp-cloudtrail-logs', trigger: 'eventbridge' },
  'existing SSE-KMS bucket under a prefix, EventBridge': { ...EXISTING_BUCKET, trigger: 'eventbridge' },
  'existing bucket under a prefix, distributed backfill': {
    sourceBucketName: 'corp-cloudtrail-logs',
    logPrefix: 'org-trail',
    backfill: true,
  },
};

// One region per partition; a region without an account (the CLI's default region, no credentials);
// no environment at all.
const ENVIRONMENTS: Record<string, Environment | undefined> = {
  'eu-west-1': { account: '123456789012', region: 'eu-west-1' },
  'cn-north-1': { account: '123456789012', region: 'cn-north-1' },
  'us-gov-west-1': { account: '123456789012', region: 'us-gov-west-1' },
  'us-east-1 without account': { region: 'us-east-1' },
  'no account/region': undefined,
};

const DEPLOY_MATRIX = Object.entries(ENVIRONMENTS).flatMap(([envName, env]) =>
  Object.entries(DEPLOYED_LAYOUTS).map(([layout, config]) => [envName, layout, env, config] as const),
);

describe('cdk-nag AwsSolutions as `cdk deploy` runs it (cdk.json flags, account and region)', () => {
  it.each(DEPLOY_MATRIX)('%s, %s: no unacknowledged finding', (_envName, _layout, env, config) => {
    // Prepare
    const { app } = newDeployedStack(config, env);
    // Act
    const report = new StrictAwsSolutionsChecks().validateScope(app);
    // Assess: protects "a deploy onto any supported layout passes the checks" (an acknowledgement
    // written for `arn:<AWS::Partition>:…` missed `arn:aws:…` and failed every existing-bucket deploy).
    expect(findings(report)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it.each([
    ['eu-west-1', 'arn:aws:s3:::corp-cloudtrail-logs/org-trail/AWSLogs/*'],
    ['cn-north-1', 'arn:aws-cn:s3:::corp-cloudtrail-logs/org-trail/AWSLogs/*'],
    ['no account/region', 'arn:<AWS::Partition>:s3:::corp-cloudtrail-logs/org-trail/AWSLogs/*'],
  ])('%s: acknowledges the log-object wildcard as cdk-nag names it', (envName, resource) => {
    // Prepare
    const { stack } = newDeployedStack(
      { sourceBucketName: 'corp-cloudtrail-logs', logPrefix: 'org-trail' },
      ENVIRONMENTS[envName],
    );
    // Act
    const acknowledged = (stack.ingest.function.role?.node.metadata ?? [])
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.keys(m.data as Record<string, string>));
    // Assess: protects the exact acknowledgement (only this one wildcard, only under the prefix).
    expect(acknowledged.map((id) => id.replace(/^annotation::/i, ''))).toEqual([
      `AwsSolutions-IAM5[Resource::${resource}]`,
    ]);
  });
});
