import { App } from 'aws-cdk-lib';
import { ConfigError } from '../lambdas/core/errors';
import { configFromContext } from './config';
import { addNagChecks } from './nag';

/** The AWS environment `cdk synth` and `cdk deploy` target (from the profile, or the stack stays agnostic). */
export function defaultEnvironment(): { account: string | undefined; region: string | undefined } {
  return { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
}

/**
 * A CDK app entry (bin/): builds the app's stacks from its context and runs cdk-nag's AwsSolutions
 * checks on every synth. A configuration problem is one message and exit code 1, without a stack trace.
 */
export function runCdkApp(build: (app: App, config: Record<string, unknown>) => void): App {
  const app = new App();
  try {
    build(app, configFromContext(app));
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  addNagChecks(app);
  return app;
}
