#!/usr/bin/env node
// CDK app entry: read the context, build the stack, run cdk-nag's AwsSolutions checks on every synth.
import { App } from 'aws-cdk-lib';
import { ConfigError } from '../lambdas/core/errors';
import { configFromContext } from '../lib/config';
import { addNagChecks } from '../lib/nag';
import { TrailwatchStack } from '../lib/trailwatch-stack';

const app = new App();
try {
  const config = configFromContext(app);
  // A malformed stackName is reported by the stack's validation with every other problem, not by CDK first.
  const requested = config.stackName;
  const stackName =
    typeof requested === 'string' && /^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(requested)
      ? requested
      : 'Trailwatch';
  new TrailwatchStack(app, stackName, {
    config,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
addNagChecks(app);
