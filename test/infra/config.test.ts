import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { DEFAULT_MAX_CONCURRENCY, DEFAULT_MEMORY_GB } from '../../lambdas/core/backfill-estimate';
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

  it('reads the distributed backfill settings: off by default, `true` or an object, from -c strings too', () => {
    // Act
    const off = parseTrailwatchConfig({}).backfill;
    const on = parseTrailwatchConfig({ backfill: 'true' }).backfill;
    const tuned = parseTrailwatchConfig({ backfill: '{"enabled": true, "maxConcurrency": 50}' }).backfill;
    // Assess: protects the README's defaults (no resources unless enabled; 10 concurrent, alerts off, 300 s).
    expect(off).toEqual({
      enabled: false,
      maxConcurrency: 10,
      alerts: false,
      memorySize: 1024,
      timeoutSeconds: 300,
    });
    expect(on).toEqual({ ...off, enabled: true });
    expect(tuned).toEqual({ ...off, enabled: true, maxConcurrency: 50 });
  });

  it("estimates with the stack's backfill defaults (lambdas/core/backfill-estimate.ts)", () => {
    // Act
    const defaults = parseTrailwatchConfig({ backfill: true }).backfill;
    // Assess: protects the dry run's time and write rate from describing another concurrency or memory
    // than the one the stack deploys.
    expect(defaults.maxConcurrency).toBe(DEFAULT_MAX_CONCURRENCY);
    expect(defaults.memorySize).toBe(DEFAULT_MEMORY_GB * 1024);
  });

  it('reports each backfill problem naming its key', () => {
    // Act
    const message = problemsOf({
      backfill: { maxConcurrency: 1, alerts: true, speed: 'fast' },
      backfillRoleName: 'arn:aws:iam::111122223333:role/x',
    });
    const enabled = problemsOf({
      backfill: { enabled: true, alerts: true, maxConcurrency: 995 },
      alertsEnabled: false,
      backfillRoleName: 'org-backfill',
    });
    // Assess: protects one line per problem: ranges, unknown keys, settings without enabled, and the rules
    // between keys (history alerts need alerts; the concurrency must leave the live path its executions).
    expect(message).toMatch(/- backfill\.maxConcurrency: expected a whole number from 2 to 1000 \(got 1\)/);
    expect(message).toMatch(
      /- backfill\.speed: not a backfill setting \(known settings: enabled, maxConcurrency/,
    );
    expect(message).toMatch(/- backfill\.alerts: only applies with backfill\.enabled: true/);
    expect(message).toMatch(/- backfillRoleName: expected an IAM role name/);
    expect(enabled).toMatch(/- backfill\.alerts: needs alertsEnabled/);
    expect(enabled).toMatch(
      /- backfill\.maxConcurrency: 995 would take every unreserved execution .* use at most 990/,
    );
    expect(enabled).toMatch(/- backfillRoleName: only applies with readRoleName/);
    expect(problemsOf({ backfill: 'soon' })).toMatch(/- backfill: expected \{ "enabled": true/);
    expect(
      problemsOf({ backfill: { enabled: true, maxConcurrency: 500 }, reservedConcurrency: 495 }),
    ).toMatch(/backfill\.maxConcurrency: 500 .* \(495 reserved, 10 kept free\).* use at most 495/);
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
