#!/usr/bin/env node
// CDK app entry of the bucket-account part (deployed in the account that owns the CloudTrail bucket):
// `npx cdk synth --app 'node -r tsx/cjs bin/trailwatch-bucket-account.ts' -c ...`, or `npm run synth:bucket-account`.
import { App } from 'aws-cdk-lib';
import { ConfigError } from '../lambdas/core/errors';
import { parseBucketAccountConfig } from '../lib/bucket-account-config';
import { BucketAccountStack } from '../lib/bucket-account-stack';
import { configFromContext } from '../lib/config';
import { addNagChecks } from '../lib/nag';

const app = new App();
try {
  const config = parseBucketAccountConfig(configFromContext(app));
  new BucketAccountStack(app, config.stackName, {
    config: configFromContext(app),
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
