import { App } from 'aws-cdk-lib';
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
