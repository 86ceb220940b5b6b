#!/usr/bin/env node
// CDK app entry of the bucket-account part (deployed in the account that owns the CloudTrail bucket):
// `npx cdk synth --app 'node -r tsx/cjs bin/trailwatch-bucket-account.ts' -c ...`, or `npm run synth:bucket-account`.
import { parseBucketAccountConfig } from '../lib/bucket-account-config';
import { BucketAccountStack } from '../lib/bucket-account-stack';
import { defaultEnvironment, runCdkApp } from '../lib/cdk-app';

runCdkApp((app, config) => {
  new BucketAccountStack(app, parseBucketAccountConfig(config).stackName, {
    config,
    env: defaultEnvironment(),
  });
});
