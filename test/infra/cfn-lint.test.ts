import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { describeWithCfnLint, lintTemplates } from '../helpers/cfn-lint';
import { EXISTING_BUCKET, newDeployedStack } from './synth';

// Every layout the stack supports, and the options that add resources or conditions.
const VARIANTS: Record<string, { config: Record<string, unknown>; envAgnostic?: boolean }> = {
  'new-bucket': { config: { alertEmails: ['oncall@example.com'], opsEmails: ['platform@example.com'] } },
  'new-bucket-eventbridge': {
    config: {
      trigger: 'eventbridge',
      alertEmails: [{ email: 'glue@example.com', services: ['glue'] }],
      reservedConcurrency: 5,
      retainData: false,
    },
  },
  'organization-trail': {
    config: {
      organizationTrail: true,
      organizationTrustedAccess: true,
      organizationId: 'o-a1b2c3d4e5',
      logPrefix: 'org',
      allowedAccounts: ['111122223333'],
    },
  },
  'existing-kms-bucket': { config: { ...EXISTING_BUCKET, allowedAccounts: ['111122223333'] } },
  'existing-bucket-eventbridge': { config: { ...EXISTING_BUCKET, trigger: 'eventbridge' } },
  'chat-channels': {
    config: {
      slackChannels: [{ workspaceId: 'T012ABCDEFG', channelId: 'C0123456789' }],
      teamsChannels: [
        {
          teamId: '6f9e2c1a-1b2c-4d3e-8f4a-5b6c7d8e9f01',
          tenantId: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
          channelId: '19%3a0123456789abcdef0123456789abcdef%40thread.tacv2',
        },
      ],
    },
  },
  'distributed-backfill': {
    config: {
      ...EXISTING_BUCKET,
      backfill: { enabled: true, maxConcurrency: 50, alerts: true, timeoutSeconds: 600 },
      realTimeAlerts: true,
    },
  },
  // As `cdk synth` renders it with no account known: tokens everywhere, and the bucket-account rule.
  'env-agnostic-with-bucket-account': {
    config: { ...EXISTING_BUCKET, sourceBucketAccount: '111122223333' },
    envAgnostic: true,
  },
};

/**
 * Ignored, with the reason:
 * - W3005 (redundant DependsOn): CDK makes each function depend on its role and the role's default
 *   policy, so the function is never created before it may use them; the role is also referenced by
 *   GetAtt, which cfn-lint reports as redundant. Harmless, and not ours to change.
 */
const IGNORED = ['W3005'];

describeWithCfnLint('cfn-lint', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'trailwatch-cfn-lint-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds no error and no warning in any synthesized variant, and does find a broken one', () => {
    // Prepare: each variant synthesized once, with cdk.json's feature flags (what `cdk synth` uses),
    // plus a copy of the first with an invalid runtime, which proves the lint reads the templates.
    const files = Object.entries(VARIANTS).map(([name, variant]) => {
      const { stack } = newDeployedStack(
        variant.config,
        variant.envAgnostic ? undefined : { account: '111122223333', region: 'eu-west-1' },
      );
      const file = path.join(dir, `${name}.json`);
      writeFileSync(file, JSON.stringify(Template.fromStack(stack).toJSON()));
      return file;
    });
    const broken = JSON.parse(readFileSync(files[0] ?? '', 'utf8')) as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const fn = Object.values(broken.Resources).find((r) => r.Type === 'AWS::Lambda::Function');
    if (fn) fn.Properties.Runtime = 'nodejs4.3';
    const brokenFile = path.join(dir, 'broken.json');
    writeFileSync(brokenFile, JSON.stringify(broken));
    // Act: one cfn-lint process for all of them (its start-up is most of its run time).
    const findings = lintTemplates([...files, brokenFile], IGNORED);
    // Assess: protects "the template CloudFormation receives is valid" for every layout (types, enums,
    // property names, policy grammar), beyond what CDK and cdk-nag check.
    const isBroken = (f: { Filename: string }) => path.resolve(f.Filename) === brokenFile;
    expect(
      findings
        .filter((f) => !isBroken(f))
        .map((f) => `${path.basename(f.Filename)}: ${f.Level} ${f.Rule.Id} ${f.Message}`),
    ).toEqual([]);
    expect(findings.some((f) => isBroken(f) && f.Level === 'Error' && /nodejs4\.3/.test(f.Message))).toBe(
      true,
    );
  });
});
