/** Flags and AWS connection options shared by the commands that talk to AWS (backfill, replay). */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import {
  createAwsClients,
  destroyAwsClients,
  isLocalEndpoint,
  LOCAL_CREDENTIALS,
  type AwsClients,
  type AwsEndpoints,
} from '../lambdas/adapters/aws-clients';
import { isRegionName } from '../lambdas/core/backfill-plan';
import { TrailwatchError } from '../lambdas/core/errors';
import { SERVE_PORTS } from './serve-ports';
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
  const local = Object.values(flags.endpoints).some((url) => url !== undefined && isLocalEndpoint(url));
  const hasCredentials = env.AWS_ACCESS_KEY_ID !== undefined || env.AWS_PROFILE !== undefined;
  return createAwsClients({
    ...(flags.region !== undefined ? { region: flags.region } : {}),
    endpoints: flags.endpoints,
    ...(local && !hasCredentials ? { credentials: LOCAL_CREDENTIALS } : {}),
  });
}

/**
 * The lifecycle of a command's SDK clients: created for `flags`, handed to `run`, closed afterwards
 * whatever happens; an error that comes from the setup (no region, no credentials, an endpoint that
 * cannot be reached) becomes one line saying what to do.
 */
export async function withAwsClients<T>(
  flags: AwsFlags,
  env: NodeJS.ProcessEnv,
  run: (clients: AwsClients) => Promise<T>,
): Promise<T> {
  const clients = clientsFor(flags, env);
  try {
    return await run(clients);
  } catch (err) {
    throw explainAwsSetupError(err, flags.endpoints) ?? err;
  } finally {
    destroyAwsClients(clients);
  }
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

// The one local-endpoint check lives with the clients; re-exported for the commands that import it here.
export { isLocalEndpoint } from '../lambdas/adapters/aws-clients';

/** The region in an SQS queue URL (`https://sqs.<region>.amazonaws.com/...` or the legacy `<region>.queue...`). */
export function regionOfQueueUrl(queueUrl: string): string | undefined {
  const match =
    /^https?:\/\/(?:sqs\.([a-z0-9-]+)|([a-z0-9-]+)\.queue)\.amazonaws\.com(\.cn)?(?::\d+)?\//.exec(queueUrl);
  const region = match?.[1] ?? match?.[2];
  return region !== undefined && isRegionName(region) ? region : undefined;
}

// Network errors a person can act on, in words; Node puts the code on the error (or on each error of
// the AggregateError it throws when every address of a host refused).
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTUNREACH',
]);

interface NetworkErrorFields {
  code?: unknown;
  address?: unknown;
  port?: unknown;
  hostname?: unknown;
  errors?: unknown;
}

/**
 * Turns the SDK errors that come from the setup rather than from AWS (no region, no credentials, an
 * endpoint that cannot be reached) into one line saying what to do; undefined for any other error.
 * `endpoints` names the configured endpoints so an unreachable one is shown as the user gave it;
 * `service` says which service the failed call went to, when the caller knows.
 */
export function explainAwsSetupError(
  err: unknown,
  endpoints: AwsEndpoints = {},
  service?: keyof AwsEndpoints,
): TrailwatchError | undefined {
  if (!(err instanceof Error)) return undefined;
  if (err.message === 'Region is missing') {
    return new TrailwatchError('no AWS region: pass --region or set AWS_REGION', { cause: err });
  }
  if (err.name === 'CredentialsProviderError') {
    return new TrailwatchError(
      'no AWS credentials: set AWS_PROFILE (after `aws sso login` or `aws configure`) or AWS_ACCESS_KEY_ID ' +
        'and AWS_SECRET_ACCESS_KEY; against local servers give their endpoints (--endpoint-url or AWS_ENDPOINT_URL_<SERVICE>)',
      { cause: err },
    );
  }
  // An S3 client pointed at another server (a single --endpoint-url for `trailwatch local --serve`,
  // whose S3 and DynamoDB listen on different ports) gets a body it cannot parse.
  if (/Deserialization error/.test(err.message) && service === 's3') {
    const url = endpoints.s3 ?? 'the S3 endpoint';
    return new TrailwatchError(
      `the S3 endpoint ${url} did not answer like S3; with trailwatch local --serve use ` +
        `AWS_ENDPOINT_URL_S3=http://127.0.0.1:${SERVE_PORTS.s3} and AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:${SERVE_PORTS.dynamodb} ` +
        '(one --endpoint-url cannot serve both)',
      { cause: err },
    );
  }
  const fields = err as NetworkErrorFields;
  const inner = Array.isArray(fields.errors)
    ? (fields.errors[0] as NetworkErrorFields | undefined)
    : undefined;
  const code = typeof fields.code === 'string' ? fields.code : inner?.code;
  if (typeof code !== 'string' || !NETWORK_CODES.has(code)) return undefined;
  const host = [fields, inner].map((f) => f?.hostname ?? f?.address).find((h) => typeof h === 'string');
  const port = [fields, inner]
    .map((f) => f?.port)
    .find((p) => typeof p === 'number' || typeof p === 'string');
  const configured = Object.values(endpoints).find((url) => {
    if (url === undefined || typeof host !== 'string') return false;
    try {
      const parsed = new URL(url);
      const urlPort = parsed.port || (parsed.protocol === 'https:' ? '443' : '80');
      return sameHost(parsed.hostname, host) && (port === undefined || String(port) === urlPort);
    } catch {
      return false;
    }
  });
  const where =
    configured ??
    (typeof host === 'string'
      ? `${host}${port !== undefined ? `:${String(port)}` : ''}`
      : 'the AWS endpoint');
  return new TrailwatchError(
    `cannot reach ${where}: ${code} (is the server running, and the endpoint right?)`,
    {
      cause: err,
    },
  );
}

// `localhost` in an endpoint is 127.0.0.1 or ::1 in the socket error.
function sameHost(urlHost: string, socketHost: string): boolean {
  const a = urlHost.replace(/^\[|\]$/g, '');
  const b = socketHost.replace(/^::ffff:/, '');
  return a === b || (a === 'localhost' && (b === '127.0.0.1' || b === '::1'));
}
