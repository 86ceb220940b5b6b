#!/usr/bin/env node
// CDK app entry: read the context, build the stack, run cdk-nag's AwsSolutions checks on every synth.
import { ConfigError } from '../lambdas/core/errors';
import { defaultEnvironment, runCdkApp } from '../lib/cdk-app';
import { STACK_NAME } from '../lib/config';
import { ForwardingStack } from '../lib/forwarding-stack';
import { TrailwatchStack } from '../lib/trailwatch-stack';

runCdkApp((app, config) => {
  // A malformed stackName is reported by the stack's validation with every other problem, not by CDK first.
  const requested = config.stackName;
  const stackName = typeof requested === 'string' && STACK_NAME.test(requested) ? requested : 'Trailwatch';
  const env = defaultEnvironment();
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
});
