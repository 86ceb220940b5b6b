import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { ConfigError } from '../../lambdas/core/errors';
import { SERVICE_NAMES } from '../../lambdas/core/services';
import {
  CONFIG_KEYS,
  configFromContext,
  logKeyPrefix,
  parseTrailwatchConfig,
  WATCHED_SERVICES,
} from '../../lib/config';
import { TrailwatchStack } from '../../lib/trailwatch-stack';

function problemsOf(input: Record<string, unknown>): string {
  try {
    parseTrailwatchConfig(input);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('trailwatch configuration', () => {
  it('applies documented defaults when nothing is configured', () => {
    // Act
    const config = parseTrailwatchConfig({});
    // Assess: protects the defaults the README's Configuration table promises.
    expect(config).toMatchObject({
      stackName: 'Trailwatch',
      logPrefix: '',
      multiRegionTrail: true,
      organizationTrail: false,
      trigger: 's3-notification',
      alertEmails: [],
      alertsEnabled: true,
      alertWindowMinutes: 60,
      retentionDays: 365,
      payloadMaxBytes: 32768,
      logLevel: 'INFO',
      memorySize: 1024,
      timeoutSeconds: 300,
      logRetentionDays: 90,
      noObjectsAlarmMinutes: 60,
      retainData: true,
    });
    expect(config.sourceBucketName).toBeUndefined();
    expect(config.reservedConcurrency).toBeUndefined();
  });

  it('reports every bad key in one error, each line naming its key', () => {
    // Prepare: five independent mistakes plus a cross-key one.
    const input = {
      trigger: 'sqs',
      memorySize: 64,
      alertEmails: ['ops@example.com', { email: 'not-an-address', services: ['s3'] }],
      logRetentionDays: 8,
      sourceBucketName: 'arn:aws:s3:::my-bucket',
      organizationTrail: true,
      alertEmial: ['typo@example.com'],
    };
    // Act
    const message = problemsOf(input);
    // Assess: protects "fix them all in one go": one error, one line per problem, keys named.
    expect(message).toMatch(/^Invalid trailwatch configuration .* 8 problem\(s\):/);
    for (const line of [
      /- trigger: expected "s3-notification" or "eventbridge" \(got "sqs"\)/,
      /- memorySize: expected a whole number from 256 to 10240 \(got 64\)/,
      /- alertEmails\[1\]\.email: expected an email address/,
      /- alertEmails\[1\]\.services\[0\]: expected one of glue, emr, athena, batch \(got "s3"\)/,
      /- logRetentionDays: expected one of CloudWatch Logs' retention periods/,
      /- sourceBucketName: expected an S3 bucket name/,
      /- organizationTrail: only applies when trailwatch creates the trail/,
      /- alertEmial: not a trailwatch setting \(known settings: .*alertEmails/,
    ]) {
      expect(message).toMatch(line);
    }
  });

  it('rejects settings that contradict each other', () => {
    // Act
    const noOrgId = problemsOf({ organizationTrail: true });
    const keyWithoutBucket = problemsOf({
      sourceBucketKmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/abc',
    });
    const duplicate = problemsOf({
      alertEmails: ['a@example.com', { email: 'A@example.com', services: ['glue'] }],
    });
    const prefixWithAwsLogs = problemsOf({ logPrefix: 'org/AWSLogs' });
    // Assess: protects against stacks that would deploy but never work (no bucket policy, wrong prefix).
    expect(noOrgId).toMatch(/organizationId: required when organizationTrail is true/);
    expect(keyWithoutBucket).toMatch(/sourceBucketKmsKeyArn: only applies with sourceBucketName/);
    expect(duplicate).toMatch(/alertEmails\[1\]: A@example.com is listed twice/);
    expect(prefixWithAwsLogs).toMatch(/logPrefix: give the part before AWSLogs\/ only/);
  });

  it('reads `cdk -c key=value` strings as the types the keys expect', () => {
    // Act
    const config = parseTrailwatchConfig({
      alertEmails: 'a@example.com, b@example.com',
      opsEmails: '["ops@example.com"]',
      multiRegionTrail: 'false',
      memorySize: '2048',
      alertRules: '{"ignore":[]}',
      stackName: 'Trailwatch-dev',
    });
    // Assess: protects the README's `-c` examples.
    expect(config.alertEmails).toEqual([{ email: 'a@example.com' }, { email: 'b@example.com' }]);
    expect(config.opsEmails).toEqual(['ops@example.com']);
    expect(config.multiRegionTrail).toBe(false);
    expect(config.memorySize).toBe(2048);
    expect(config.alertRules).toEqual({ ignore: [] });
  });

  it('rejects alert rules the function would reject, naming the field', () => {
    // Act
    const attempt = () =>
      parseTrailwatchConfig({ alertRules: { services: ['s3'], ignore: [{ reason: 'names nothing' }] } });
    // Assess: protects against deploying rules that make every invocation fail at cold start.
    expect(attempt).toThrow(/alertRules\.services\[0\]: Invalid option/);
    expect(attempt).toThrow(/alertRules\.ignore\[0\]: an ignore rule must name at least one of/);
  });

  it("takes configuration from the CDK context, ignoring CDK's own keys", () => {
    // Prepare
    const app = new App({
      context: {
        alertEmails: ['ops@example.com'],
        '@aws-cdk/core:newStyleStackSynthesis': true,
        'aws:cdk:bundling-stacks': [],
      },
    });
    // Act
    const stack = new TrailwatchStack(app, 'FromContext');
    // Assess: protects cdk.json as the configuration source (feature flags are not reported as typos).
    expect(stack.config.alertEmails).toEqual([{ email: 'ops@example.com' }]);
    expect(Object.keys(configFromContext(app))).toEqual(['alertEmails']);
  });

  it('fails the stack, not the deployment, on bad context', () => {
    // Prepare
    const app = new App({ context: { trigger: 'kinesis', 'aws:cdk:bundling-stacks': [] } });
    // Act / Assess: protects the synth-time failure with the key named.
    expect(() => new TrailwatchStack(app, 'Bad')).toThrow(
      /trigger: expected "s3-notification" or "eventbridge"/,
    );
  });

  it('derives the watched key prefix from logPrefix, for plain and prefixed layouts', () => {
    // Assess: protects the trigger prefix for `AWSLogs/…` and `<prefix>/AWSLogs/…` (organization) layouts.
    expect(logKeyPrefix({ logPrefix: '' })).toBe('AWSLogs/');
    expect(logKeyPrefix({ logPrefix: 'org/trails' })).toBe('org/trails/AWSLogs/');
  });

  it('lists the same services as the Lambda code', () => {
    // Assess: protects the dashboard and filter policies from drifting from lambdas/core/services.ts.
    expect([...WATCHED_SERVICES]).toEqual(SERVICE_NAMES);
  });

  it('documents every key in the README Configuration table', () => {
    // Prepare
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    const start = readme.indexOf('\n## Configuration\n');
    const end = readme.indexOf('\n## ', start + 1);
    const section = readme.slice(start, end === -1 ? undefined : end);
    // Act
    const documented = [...section.matchAll(/^\| `(\w+)`\s+\|/gm)].map((m) => m[1]);
    // Assess: protects the table from drifting from the schema (every key, nothing stale).
    expect(documented.sort()).toEqual([...CONFIG_KEYS].sort());
  });
});
