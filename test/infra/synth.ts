import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, type Environment } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { TrailwatchStack } from '../../lib/trailwatch-stack';

/** A configuration with an existing, SSE-KMS-encrypted CloudTrail bucket under a prefix. */
export const EXISTING_BUCKET = {
  sourceBucketName: 'corp-cloudtrail-logs',
  sourceBucketKmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  logPrefix: 'org',
} as const;

/**
 * Builds the stack for `config` with asset bundling skipped (the tests assert the template, not the
 * bundle), in a fixed account and region so ARNs and conditions are concrete.
 */
export function buildStack(config: Record<string, unknown> = {}): {
  app: App;
  stack: TrailwatchStack;
  template: Template;
} {
  const { app, stack } = newStack(config);
  return { app, stack, template: Template.fromStack(stack) };
}

/** Like {@link buildStack}, not yet synthesized (a test may still add to it). */
export function newStack(config: Record<string, unknown> = {}): { app: App; stack: TrailwatchStack } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new TrailwatchStack(app, 'Trailwatch', {
    config,
    env: { account: '111122223333', region: 'eu-west-1' },
  });
  return { app, stack };
}

/** The context of the repository's cdk.json: the feature flags `cdk synth` and `cdk deploy` run with. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

/**
 * The stack as bin/trailwatch.ts builds it for `cdk synth`/`cdk deploy`: cdk.json's feature flags, and
 * `env` as the CLI gives it (`undefined` when no account/region is known; ARNs then keep their tokens).
 * Bundling skipped, not yet synthesized.
 */
export function newDeployedStack(
  config: Record<string, unknown>,
  env: Environment | undefined,
): { app: App; stack: TrailwatchStack } {
  const app = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
  const stack = new TrailwatchStack(app, 'Trailwatch', { config, env });
  return { app, stack };
}
