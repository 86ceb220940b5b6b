import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, type Environment } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ConfigError } from '../../lambdas/core/errors';
import { parseBucketAccountConfig } from '../../lib/bucket-account-config';
import { BucketAccountStack } from '../../lib/bucket-account-stack';
import { parseTrailwatchConfig } from '../../lib/config';
import { StrictAwsSolutionsChecks } from '../../lib/nag';
import { describeWithCfnLint, lintTemplates } from '../helpers/cfn-lint';
import { cdkJsonContext, newDeployedStack } from './synth';

// A Control Tower layout: the log-archive account 444455556666 owns the organization trail's bucket,
// encrypted with a key of the management account 999988887777; trailwatch runs in the audit account
// 111122223333. One set of shared keys serves both parts, as one cdk.json would.
const LOG_ARCHIVE = '444455556666';
const AUDIT = '111122223333';
const KEY_ARN = 'arn:aws:kms:eu-west-1:999988887777:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const BUCKET = 'aws-controltower-logs-444455556666-eu-west-1';
const OPERATOR =
  'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Ops_0a1b';
const SHARED = {
  sourceBucketName: BUCKET,
  logPrefix: 'o-a1b2c3d4e5',
  sourceBucketKmsKeyArn: KEY_ARN,
  readRoleName: 'trailwatch-log-reader',
};
const BUCKET_PART = { ...SHARED, trailwatchAccount: AUDIT, operatorRoleArns: [OPERATOR] };
const TRAILWATCH_PART = {
  ...SHARED,
  sourceBucketAccount: LOG_ARCHIVE,
  organizationId: 'o-a1b2c3d4e5',
  trigger: 'eventbridge',
};
const IN_LOG_ARCHIVE: Environment = { account: LOG_ARCHIVE, region: 'eu-west-1' };
const IN_AUDIT: Environment = { account: AUDIT, region: 'eu-west-1' };

/** The bucket-account stack as `cdk synth --app bin/trailwatch-bucket-account.ts` builds it (cdk.json flags). */
function bucketAccountStack(config: Record<string, unknown>, env: Environment | 'agnostic' = IN_LOG_ARCHIVE) {
  const app = new App({ context: cdkJsonContext() });
  const stack = new BucketAccountStack(app, 'TrailwatchBucketAccount', {
    config,
    ...(env === 'agnostic' ? {} : { env }),
  });
  return { app, stack, template: Template.fromStack(stack) };
}

/** `agnostic`: no account or region known (`cdk synth` without credentials). */
function trailwatchStack(config: Record<string, unknown>, env: Environment | 'agnostic' = IN_AUDIT) {
  const { app, stack } = newDeployedStack(config, env === 'agnostic' ? undefined : env);
  return { app, stack, template: Template.fromStack(stack) };
}

function problemsOf(parse: () => unknown): string {
  try {
    parse();
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  return '';
}

type Statement = Record<string, unknown>;
const asList = (value: unknown): unknown[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Every IAM statement of a template: role trust and inline policies, policies, queue and bus policies. */
function statements(template: Template): Array<{ where: string; statement: Statement }> {
  const out: Array<{ where: string; statement: Statement }> = [];
  for (const [id, r] of Object.entries<{ Type: string; Properties?: Record<string, unknown> }>(
    template.toJSON().Resources,
  )) {
    const p = r.Properties ?? {};
    const documents =
      r.Type === 'AWS::IAM::Role'
        ? [p.AssumeRolePolicyDocument]
        : r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::SQS::QueuePolicy'
          ? [p.PolicyDocument]
          : [];
    for (const d of documents)
      for (const statement of asList((d as { Statement?: unknown })?.Statement))
        out.push({ where: id, statement: statement as Statement });
    if (r.Type === 'AWS::Events::EventBusPolicy')
      out.push({ where: id, statement: p.Statement as Statement });
  }
  return out;
}

/**
 * Wildcards in Allow statements: any `*` in an action or principal, and a `*` resource. An object ARN
 * ending in `AWSLogs/*` is allowed (objects are only known by key at run time).
 */
function wildcards(template: Template): string[] {
  const found: string[] = [];
  for (const { where, statement } of statements(template)) {
    if (statement.Effect !== 'Allow') continue;
    for (const action of asList(statement.Action))
      if (typeof action !== 'string' || action.includes('*'))
        found.push(`${where}: action ${String(action)}`);
    const principal = JSON.stringify(statement.Principal ?? {});
    if (principal.includes('*')) found.push(`${where}: principal ${principal}`);
    for (const resource of asList(statement.Resource)) {
      const text = JSON.stringify(resource);
      if (text === '"*"' || (text.includes('*') && !/\/AWSLogs\/\*"$/.test(text)))
        found.push(`${where}: resource ${text}`);
    }
  }
  return found;
}

describe('the bucket-account part', () => {
  const { template } = bucketAccountStack(BUCKET_PART);

  it('trusts exactly the function role and the operator roles, by ARN, through their account', () => {
    // Assess: protects "only trailwatch's role may read the logs": an account principal alone would let
    // every identity of the audit account with sts:AssumeRole in; the ARN condition keeps them out.
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'trailwatch-log-reader',
      MaxSessionDuration: 3600,
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'sts:AssumeRole',
            Principal: { AWS: `arn:aws:iam::${AUDIT}:root` },
            Condition: {
              ArnEquals: { 'aws:PrincipalArn': [`arn:aws:iam::${AUDIT}:role/trailwatch-ingest`, OPERATOR] },
            },
          },
        ],
      },
    });
  });

  it("trusts the backfill function's role too when backfillRoleName names it, with one shared cdk.json", () => {
    // Prepare: the keys both parts read from one cdk.json, the backfill on in the trailwatch part.
    const shared = { backfillRoleName: 'trailwatch-backfill', backfill: { enabled: true } };
    const { template: withBackfill } = bucketAccountStack({ ...BUCKET_PART, ...shared });
    const { stack } = newDeployedStack({ ...TRAILWATCH_PART, ...shared }, IN_AUDIT);
    // Act
    const trusted = withBackfill.findResources('AWS::IAM::Role') as Record<string, { Properties: unknown }>;
    const outputs = withBackfill.toJSON().Outputs as Record<string, { Value: unknown }>;
    // Assess: protects the cross-account backfill: the read role trusts exactly the role name the
    // trailwatch stack gives its backfill function, and nothing is trusted without the key.
    expect(JSON.stringify(trusted)).toContain(`"arn:aws:iam::${AUDIT}:role/trailwatch-backfill"`);
    expect(outputs.TrustedBackfillRoleArn?.Value).toBe(`arn:aws:iam::${AUDIT}:role/trailwatch-backfill`);
    expect(Template.fromStack(stack).toJSON().Outputs.BackfillRoleArn.Value).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^BackfillRole/), 'Arn'],
    });
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', { RoleName: 'trailwatch-backfill' });
    expect(JSON.stringify(template.findResources('AWS::IAM::Role'))).not.toContain('backfill');
  });

  it('reads only the log prefix, and decrypts only through S3 for those objects', () => {
    // Assess: protects "read-only, only the logs": no write, no other prefix, the key only via S3.
    const objects = `arn:aws:s3:::${BUCKET}/o-a1b2c3d4e5/AWSLogs/*`;
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^ReadRole') }],
      PolicyDocument: {
        Statement: [
          { Sid: 'ReadLogFiles', Effect: 'Allow', Action: 's3:GetObject', Resource: objects },
          {
            Sid: 'ListLogFiles',
            Effect: 'Allow',
            Action: 's3:ListBucket',
            Resource: `arn:aws:s3:::${BUCKET}`,
            Condition: { StringLike: { 's3:prefix': ['o-a1b2c3d4e5/AWSLogs/*'] } },
          },
          {
            Sid: 'DecryptLogFilesThroughS3',
            Effect: 'Allow',
            Action: 'kms:Decrypt',
            Resource: KEY_ARN,
            Condition: {
              StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' },
              StringLike: { 'kms:EncryptionContext:aws:s3:arn': [`arn:aws:s3:::${BUCKET}`, objects] },
            },
          },
        ],
      },
    });
  });

  it('without a key ARN grants no KMS permission', () => {
    // Act
    const sseS3: Record<string, unknown> = { ...BUCKET_PART };
    delete sseS3.sourceBucketKmsKeyArn;
    const plain = bucketAccountStack(sseS3).template;
    // Assess: protects against a Decrypt grant on a key nobody named.
    expect(JSON.stringify(plain.toJSON())).not.toContain('kms:');
  });

  it('forwards only Object Created events of the bucket and log prefix to the trailwatch bus', () => {
    // Assess: protects "forwards the log files' events" (and nothing else of the account's bus).
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: {
          bucket: { name: [BUCKET] },
          object: { key: [{ wildcard: 'o-a1b2c3d4e5/AWSLogs/*.json.gz' }] },
        },
      },
      Targets: [
        Match.objectLike({
          Arn: `arn:aws:events:eu-west-1:${AUDIT}:event-bus/default`,
          RoleArn: Match.anyValue(),
          DeadLetterConfig: { Arn: Match.anyValue() },
        }),
      ],
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'events:PutEvents',
            Resource: `arn:aws:events:eu-west-1:${AUDIT}:event-bus/default`,
          },
        ],
      },
    });
  });

  it('changes nothing on the bucket and has no wildcard', () => {
    // Assess: protects "it changes nothing else on the bucket" and least privilege.
    expect(Object.keys(template.findResources('AWS::S3::BucketPolicy'))).toEqual([]);
    expect(Object.keys(template.findResources('Custom::S3BucketNotifications'))).toEqual([]);
    expect(statements(template).length).toBeGreaterThan(4);
    expect(wildcards(template)).toEqual([]);
  });

  it('validates its configuration with one message per key', () => {
    // Act
    const missing = problemsOf(() => parseBucketAccountConfig({}));
    const bad = problemsOf(() =>
      parseBucketAccountConfig({
        ...BUCKET_PART,
        trailwatchAccount: '1111',
        operatorRoleArns: ['arn:aws:iam::111122223333:role/*'],
        readRoleName: 'arn:aws:iam::444455556666:role/x',
        trailwatchAcount: AUDIT,
      }),
    );
    // Assess: protects the synth-time check the issue asks for (every problem, each naming its key).
    expect(missing).toMatch(/sourceBucketName: required/);
    expect(missing).toMatch(/trailwatchAccount: required \(the 12-digit account trailwatch is deployed to\)/);
    expect(bad).toMatch(/4 problem\(s\)/);
    expect(bad).toMatch(/trailwatchAcount: not a bucket-account setting/);
    expect(bad).toMatch(/trailwatchAccount: expected a 12-digit account id/);
    expect(bad).toMatch(/operatorRoleArns\.0: expected an IAM role ARN .*no wildcard/);
    expect(bad).toMatch(/readRoleName: expected an IAM role name/);
    // The trailwatch stack's keys of a shared cdk.json are not errors here; a comma list is a list.
    expect(
      parseBucketAccountConfig({
        ...BUCKET_PART,
        alertEmails: [],
        operatorRoleArns: `${OPERATOR}, ${OPERATOR}`,
      }).operatorRoleArns,
    ).toEqual([OPERATOR, OPERATOR]);
  });
});

describe('the trailwatch stack in the cross-account layout', () => {
  const { stack, template } = trailwatchStack(TRAILWATCH_PART);

  it('lets only the bucket account put only S3 Object Created events on the default bus', () => {
    // Assess: protects the bus from other accounts and from other events of the bucket account.
    template.hasResourceProperties('AWS::Events::EventBusPolicy', {
      EventBusName: 'default',
      StatementId: `Trailwatch-s3-${LOG_ARCHIVE}`,
      Statement: {
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${LOG_ARCHIVE}:root` },
        Action: 'events:PutEvents',
        Resource: `arn:aws:events:eu-west-1:${AUDIT}:event-bus/default`,
        Condition: { StringEquals: { 'events:source': 'aws.s3', 'events:detail-type': 'Object Created' } },
      },
    });
  });

  it('invokes the function only for the named account, bucket and prefix', () => {
    // Assess: protects against events of another account's bucket of the same name reaching the function.
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        account: [LOG_ARCHIVE],
        'detail-type': ['Object Created'],
        detail: {
          bucket: { name: [BUCKET] },
          object: { key: [{ wildcard: 'o-a1b2c3d4e5/AWSLogs/*.json.gz' }] },
        },
      },
    });
  });

  it('reads through the read role only: AssumeRole on its exact ARN, no S3 or KMS permission of its own', () => {
    // Prepare
    const readRole = `arn:aws:iam::${LOG_ARCHIVE}:role/trailwatch-log-reader`;
    const own = statements(template).filter(({ where }) => where.startsWith('IngestRole'));
    // Assess: protects "the assumed-role read path replaces the function's own grants".
    template.hasResourceProperties('AWS::IAM::Role', { RoleName: 'trailwatch-ingest' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ READ_ROLE_ARN: readRole, SOURCE_BUCKETS: BUCKET }) },
    });
    expect(
      own
        .filter(({ statement }) => statement.Action === 'sts:AssumeRole' && statement.Principal === undefined)
        .map((s) => s.statement),
    ).toEqual([{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: readRole }]);
    const actions = own.flatMap(({ statement }) => asList(statement.Action)).map(String);
    expect(actions.length).toBeGreaterThan(5);
    expect(actions.filter((a) => a.startsWith('s3:'))).toEqual([]);
    expect(JSON.stringify(template.toJSON())).not.toContain(KEY_ARN);
    expect(wildcards(template)).toEqual([]);
    expect(stack.ingest.logObjectsArn).toBeUndefined();
  });

  it('trusts what the bucket-account part trusts: the same role ARNs on both sides', () => {
    // Prepare: the two parts built from one shared configuration.
    const bucket = bucketAccountStack(BUCKET_PART).template;
    const readRoleName = Object.values(bucket.findResources('AWS::IAM::Role'))
      .map((r) => (r as { Properties: { RoleName?: string } }).Properties.RoleName)
      .filter((n) => n !== undefined);
    const ingestRoleName = Object.values(template.findResources('AWS::IAM::Role'))
      .map((r) => (r as { Properties: { RoleName?: string } }).Properties.RoleName)
      .filter((n) => n !== undefined);
    // Assess: protects the handshake between the two stacks (a drift breaks every read with AccessDenied):
    // the function assumes the role the bucket account creates, and that role trusts the function's role.
    expect(readRoleName).toEqual([SHARED.readRoleName]);
    expect(ingestRoleName).toEqual(['trailwatch-ingest']);
    expect(bucket.toJSON().Outputs.TrustedIngestRoleArn.Value).toBe(
      `arn:aws:iam::${AUDIT}:role/${ingestRoleName[0] ?? ''}`,
    );
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          READ_ROLE_ARN: `arn:aws:iam::${LOG_ARCHIVE}:role/${readRoleName[0] ?? ''}`,
        }),
      },
    });
  });

  it('checks the layout at synth, and points the S3 trigger on a foreign bucket to it', () => {
    // Act
    const noAccount = problemsOf(() => parseTrailwatchConfig({ ...SHARED, trigger: 'eventbridge' }));
    const s3Trigger = problemsOf(() =>
      parseTrailwatchConfig({ ...TRAILWATCH_PART, trigger: 's3-notification' }),
    );
    const strayName = problemsOf(() => parseTrailwatchConfig({ ingestRoleName: 'x' }));
    const sameAccount = problemsOf(() => trailwatchStack({ ...TRAILWATCH_PART, sourceBucketAccount: AUDIT }));
    const foreignS3 = problemsOf(() =>
      trailwatchStack({ sourceBucketName: BUCKET, sourceBucketAccount: LOG_ARCHIVE }),
    );
    // Assess: protects the synth-time validation (each message names its key and what to do).
    expect(noAccount).toMatch(/sourceBucketAccount: required with readRoleName/);
    expect(s3Trigger).toMatch(/trigger: must be eventbridge with readRoleName/);
    expect(strayName).toMatch(/ingestRoleName: only applies with readRoleName/);
    expect(sameAccount).toMatch(/readRoleName: the bucket is in this account \(111122223333\)/);
    expect(foreignS3).toMatch(
      /use the cross-account layout: deploy the bucket-account stack in 444455556666/,
    );
    expect(problemsOf(() => trailwatchStack(TRAILWATCH_PART))).toBe('');
  });

  it('asserts the other account in a CloudFormation rule when the account is only known at deploy', () => {
    // Act
    const rules = trailwatchStack(TRAILWATCH_PART, 'agnostic').template.toJSON().Rules as Record<
      string,
      unknown
    >;
    // Assess: protects the environment-agnostic synth from a same-account deploy of the layout.
    expect(Object.keys(rules)).toContain('SourceBucketInAnotherAccount');
    expect(rules.SourceBucketInAnotherAccount).toEqual({
      Assertions: [
        {
          Assert: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'AWS::AccountId' }, LOG_ARCHIVE] }] },
          AssertDescription: expect.stringMatching(/^readRoleName: the bucket is in this account/),
        },
      ],
    });
  });
});

describe('cdk-nag AwsSolutions, both parts', () => {
  it.each([
    ['bucket account', () => bucketAccountStack(BUCKET_PART).app],
    [
      'bucket account, SSE-S3, no prefix',
      () => bucketAccountStack({ sourceBucketName: BUCKET, trailwatchAccount: AUDIT }).app,
    ],
    ['bucket account, no account/region', () => bucketAccountStack(BUCKET_PART, 'agnostic').app],
    ['trailwatch account', () => trailwatchStack(TRAILWATCH_PART).app],
    ['trailwatch account, no account/region', () => trailwatchStack(TRAILWATCH_PART, 'agnostic').app],
  ])('%s: no unacknowledged finding', (_name, build) => {
    // Act
    const report = new StrictAwsSolutionsChecks().validateScope(build());
    // Assess: protects "cdk synth of both parts clean under cdk-nag".
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
  });
});

describeWithCfnLint('cfn-lint, both parts', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'trailwatch-xacct-lint-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds no error and no warning in either part', () => {
    // Prepare
    const templates: Record<string, Template> = {
      'bucket-account': bucketAccountStack(BUCKET_PART).template,
      'bucket-account-env-agnostic': bucketAccountStack(BUCKET_PART, 'agnostic').template,
      'trailwatch-cross-account': trailwatchStack(TRAILWATCH_PART).template,
      'trailwatch-cross-account-env-agnostic': trailwatchStack(TRAILWATCH_PART, 'agnostic').template,
    };
    const files = Object.entries(templates).map(([name, t]) => {
      const file = path.join(dir, `${name}.json`);
      writeFileSync(file, JSON.stringify(t.toJSON()));
      return file;
    });
    // Act (W3005: CDK's redundant DependsOn, see cfn-lint.test.ts)
    const findings = lintTemplates(files, ['W3005']);
    // Assess: protects "cfn-lint clean for both parts" (the bus policy, the rule, the trust policy grammar).
    expect(findings.map((f) => `${path.basename(f.Filename)}: ${f.Level} ${f.Rule.Id} ${f.Message}`)).toEqual(
      [],
    );
  });
});
