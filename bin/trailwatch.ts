#!/usr/bin/env node
// CDK app entry: read the context, build the stack, run cdk-nag's AwsSolutions checks on every synth.
import { App } from 'aws-cdk-lib';
import { ConfigError } from '../lambdas/core/errors';
import { configFromContext } from '../lib/config';
import { ForwardingStack } from '../lib/forwarding-stack';
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
  const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
  const home = new TrailwatchStack(app, stackName, { config, env });
  // EventBridge keeps CloudTrail's events in the region of the call: one forwarding stack per listed region.
  for (const region of home.config.realTimeRegions) {
    if (region === home.region) {
      throw new ConfigError(
        `realTimeRegions: ${region} is the stack's own region; list only the other regions`,
      );
    }
    if (env.region === undefined) {
      throw new ConfigError(
        'realTimeRegions: the stack needs a concrete region to forward to; set CDK_DEFAULT_REGION (cdk deploy does, from your profile)',
      );
    }
    new ForwardingStack(app, `${home.stackName}-Forward-${region}`, {
      homeRegion: env.region,
      env: { account: env.account, region },
    });
  }
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
addNagChecks(app);
