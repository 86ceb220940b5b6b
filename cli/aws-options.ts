/** Flags and AWS connection options shared by the commands that talk to AWS (backfill, replay). */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import {
  createAwsClients,
  LOCAL_CREDENTIALS,
  type AwsClients,
  type AwsEndpoints,
} from '../lambdas/adapters/aws-clients';
import { isRegionName } from '../lambdas/core/backfill-plan';
import { UsageError } from './usage';

/** The AWS connection given by --endpoint-url / --region and the standard environment variables. */
export interface AwsFlags {
  readonly region?: string;
  readonly endpoints: AwsEndpoints;
}

/**
 * Endpoints: --endpoint-url for every service, else AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL.
 * Region: --region, else AWS_REGION / AWS_DEFAULT_REGION, else us-east-1 when an endpoint is set.
 */
export function awsFlagsFrom(
  values: { 'endpoint-url'?: string; region?: string },
  env: NodeJS.ProcessEnv,
): AwsFlags {
  const pick = (service: string): string | undefined =>
    values['endpoint-url'] || env[`AWS_ENDPOINT_URL_${service}`] || env.AWS_ENDPOINT_URL || undefined;
  const endpoints: AwsEndpoints = Object.fromEntries(
    (
      [
        ['s3', pick('S3')],
        ['dynamodb', pick('DYNAMODB')],
        ['sns', pick('SNS')],
        ['sqs', pick('SQS')],
      ] as const
    ).filter(([, url]) => url !== undefined),
  );
  for (const url of Object.values(endpoints)) {
    if (!/^https?:\/\/[^\s/]+/.test(url as string))
      throw new UsageError(`endpoint '${url}' is not an http(s) URL`);
  }
  const region =
    values.region ||
    env.AWS_REGION ||
    env.AWS_DEFAULT_REGION ||
    (Object.keys(endpoints).length > 0 ? 'us-east-1' : undefined);
  if (region !== undefined && !isRegionName(region))
    throw new UsageError(`--region: '${region}' is not an AWS region`);
  return { ...(region !== undefined ? { region } : {}), endpoints };
}

/**
 * Creates the SDK clients. Local servers (an endpoint on localhost) get the dummy credentials they
 * accept when the environment has none, so `trailwatch local --serve` works without an AWS profile.
 */
export function clientsFor(flags: AwsFlags, env: NodeJS.ProcessEnv): AwsClients {
  const local = Object.values(flags.endpoints).some((url) =>
    /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:|\/|$)/.test(url ?? ''),
  );
  const hasCredentials = env.AWS_ACCESS_KEY_ID !== undefined || env.AWS_PROFILE !== undefined;
  return createAwsClients({
    ...(flags.region !== undefined ? { region: flags.region } : {}),
    endpoints: flags.endpoints,
    ...(local && !hasCredentials ? { credentials: LOCAL_CREDENTIALS } : {}),
  });
}

/** Reads a whole number flag within [min, max]. */
export function intFlag(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`--${name}: expected a whole number from ${min} to ${max}, got '${value}'`);
  }
  return Number(value);
}

/** Parses argv with node:util parseArgs, turning its errors into one-line usage errors. */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0] ?? 'invalid arguments');
  }
}
