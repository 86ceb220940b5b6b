/** Flags and AWS connection options shared by the commands that talk to AWS (backfill, replay). */
import type { ParseArgsConfig } from 'node:util';
import {
  destroyAwsClients,
  isLocalEndpoint,
  LOCAL_CREDENTIALS,
  type AwsEndpoints,
  type AwsQueueClients,
} from '../lambdas/adapters/aws-clients';
import { createAwsQueueClients } from '../lambdas/adapters/aws-queue-clients';
import { isRegionName } from '../lambdas/core/backfill-plan';
import { TrailwatchError } from '../lambdas/core/errors';
import { parseCommandLine } from './flags';
import { SERVE_PORTS } from './serve-ports';
import { UsageError } from './usage';

/** The services a command talks to, with the flag that points each at an endpoint. */
export type AwsService = keyof AwsEndpoints;

/** The flag of each service's endpoint (a person types one per service, so SNS never lands on DynamoDB). */
export const ENDPOINT_FLAG: Record<AwsService, string> = {
  s3: 's3-endpoint-url',
  dynamodb: 'dynamodb-endpoint-url',
  sns: 'sns-endpoint-url',
  sqs: 'sqs-endpoint-url',
  sts: 'sts-endpoint-url',
  lambda: 'lambda-endpoint-url',
};

const SERVICE_TITLE: Record<AwsService, string> = {
  s3: 'S3',
  dynamodb: 'DynamoDB',
  sns: 'SNS',
  sqs: 'SQS',
  sts: 'STS',
  lambda: 'Lambda',
};

/** parseArgs options of the per-service endpoint flags of `services`, plus `--endpoint-url` (refused, with a pointer). */
export function endpointFlagOptions(services: readonly AwsService[]) {
  return Object.fromEntries([
    ...services.map((s) => [ENDPOINT_FLAG[s], { type: 'string' as const }]),
    ['endpoint-url', { type: 'string' as const }],
  ]) as Record<string, { type: 'string' }>;
}

/** The AWS connection given by the endpoint flags / --region and the standard environment variables. */
export interface AwsFlags {
  readonly region?: string;
  readonly endpoints: AwsEndpoints;
  /** Where each endpoint came from (`--dynamodb-endpoint-url`, `AWS_ENDPOINT_URL_S3`, ...), for error lines. */
  readonly sources?: Partial<Record<AwsService, string>>;
}

/**
 * Endpoints: --<service>-endpoint-url, else AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL. A single
 * --endpoint-url is refused when the command talks to several services: local servers (and
 * `trailwatch local --serve`) listen on one port per service.
 * Region: --region, else AWS_REGION / AWS_DEFAULT_REGION, else us-east-1 when an endpoint is set.
 */
export function awsFlagsFrom(
  values: Record<string, unknown> & { region?: string },
  env: NodeJS.ProcessEnv,
  services: readonly AwsService[] = ['s3', 'dynamodb', 'sns', 'sqs'],
): AwsFlags {
  if (typeof values['endpoint-url'] === 'string') {
    throw new UsageError(
      `--endpoint-url: this command talks to ${services.map((s) => SERVICE_TITLE[s]).join(', ')}, each at its own endpoint; ` +
        `give ${services.map((s) => `--${ENDPOINT_FLAG[s]}`).join(', ')} (trailwatch local --serve: ` +
        `${services
          .filter((s): s is Extract<AwsService, keyof typeof SERVE_PORTS> => s in SERVE_PORTS)
          .map((s) => `${SERVICE_TITLE[s]} http://127.0.0.1:${SERVE_PORTS[s]}`)
          .join(', ')})`,
    );
  }
  const endpoints: Record<string, string> = {};
  const sources: Partial<Record<AwsService, string>> = {};
  for (const service of services) {
    const flag = values[ENDPOINT_FLAG[service]];
    const variable = `AWS_ENDPOINT_URL_${service.toUpperCase()}`;
    const [url, source] =
      typeof flag === 'string'
        ? [flag, `--${ENDPOINT_FLAG[service]}`]
        : env[variable]
          ? [env[variable], variable]
          : env.AWS_ENDPOINT_URL
            ? [env.AWS_ENDPOINT_URL, 'AWS_ENDPOINT_URL']
            : [undefined, undefined];
    if (url === undefined || source === undefined) continue;
    if (!/^https?:\/\/[^\s/]+/.test(url))
      throw new UsageError(`${source}: expected an http(s) URL, got '${url}'`);
    endpoints[service] = url;
    sources[service] = source;
  }
  const region =
    values.region ||
    env.AWS_REGION ||
    env.AWS_DEFAULT_REGION ||
    (Object.keys(endpoints).length > 0 ? 'us-east-1' : undefined);
  if (region !== undefined && !isRegionName(region))
    throw new UsageError(`--region: '${region}' is not an AWS region name (e.g. us-east-1)`);
  return { ...(region !== undefined ? { region } : {}), endpoints, sources };
}

/** The help lines of the per-service endpoint flags. */
export function endpointFlagsHelp(services: readonly AwsService[]): string {
  const lines = services.map((s) => {
    const flag = `  --${ENDPOINT_FLAG[s]} URL`.padEnd(31);
    const port =
      s in SERVE_PORTS
        ? `; local --serve: http://127.0.0.1:${SERVE_PORTS[s as keyof typeof SERVE_PORTS]}`
        : '';
    const variable = `AWS_ENDPOINT_URL_${s.toUpperCase()}`;
    return `${flag}${SERVICE_TITLE[s]} endpoint (default $${variable},\n${' '.repeat(31)}else $AWS_ENDPOINT_URL)${port}`;
  });
  return lines.join('\n');
}

/**
 * Creates the SDK clients. Local servers (an endpoint on localhost) get the dummy credentials they
 * accept when the environment has none, so `trailwatch local --serve` works without an AWS profile.
 */
export function clientsFor(flags: AwsFlags, env: NodeJS.ProcessEnv): AwsQueueClients {
  const local = Object.values(flags.endpoints).some((url) => url !== undefined && isLocalEndpoint(url));
  const hasCredentials = env.AWS_ACCESS_KEY_ID !== undefined || env.AWS_PROFILE !== undefined;
  return createAwsQueueClients({
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
  run: (clients: AwsQueueClients) => Promise<T>,
): Promise<T> {
  const clients = clientsFor(flags, env);
  try {
    return await run(clients);
  } catch (err) {
    throw explainAwsSetupError(err, flags.endpoints, undefined, flags.sources) ?? err;
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

/** The flags of a command that takes no positional arguments (see parseCommandLine). */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  return parseCommandLine(argv, options).values;
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
  error: unknown,
  endpoints: AwsEndpoints = {},
  service?: keyof AwsEndpoints,
  sources: Partial<Record<AwsService, string>> = {},
): TrailwatchError | undefined {
  const err = sdkErrorIn(error);
  if (err === undefined) return undefined;
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
  // A client pointed at another service's server (one port per service locally) gets an answer it
  // cannot parse, or an "unknown operation" from the other server.
  if (service !== undefined && answeredLikeAnotherService(err)) {
    return wrongServerError(service, endpoints, sources, err);
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

/** The innermost SDK error in a chain of `cause`s (adapters wrap the SDK's errors in their own). */
function sdkErrorIn(error: unknown): Error | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    const next: unknown = (current as { cause?: unknown }).cause;
    if (!(next instanceof Error)) return current;
    current = next;
  }
  return current instanceof Error ? current : undefined;
}

// What SDK clients report when the server behind the endpoint speaks another protocol: a body that is
// not the expected JSON/XML, or the other server refusing an operation it does not know.
function answeredLikeAnotherService(err: Error): boolean {
  if (/Deserialization error/.test(err.message)) return true;
  if (err.name === 'NotFoundException' && err.message === 'Unknown') return true;
  return ['UnknownOperationException', 'InvalidAction', 'MissingAction'].includes(err.name);
}

function wrongServerError(
  service: AwsService,
  endpoints: AwsEndpoints,
  sources: Partial<Record<AwsService, string>>,
  err: Error,
): TrailwatchError {
  const url = endpoints[service] ?? 'the AWS endpoint';
  const source = sources[service] ?? `--${ENDPOINT_FLAG[service]}`;
  const local =
    service in SERVE_PORTS
      ? ` (trailwatch local --serve: ${SERVICE_TITLE[service]} is http://127.0.0.1:${SERVE_PORTS[service as keyof typeof SERVE_PORTS]})`
      : '';
  return new TrailwatchError(
    `${source} ${url} did not answer like ${SERVICE_TITLE[service]}: is it another service's port?${local}`,
    { cause: err },
  );
}

// `localhost` in an endpoint is 127.0.0.1 or ::1 in the socket error.
function sameHost(urlHost: string, socketHost: string): boolean {
  const a = urlHost.replace(/^\[|\]$/g, '');
  const b = socketHost.replace(/^::ffff:/, '');
  return a === b || (a === 'localhost' && (b === '127.0.0.1' || b === '::1'));
}
