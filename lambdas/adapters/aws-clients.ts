import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, Logger } from '@aws-sdk/types';
import { AssumedRoleCredentials } from './assumed-role-credentials';
import { TimedHttpHandler, type RequestDeadline, type RequestTimeouts } from './timed-http-handler';

/** Endpoint overrides, one per service (local servers, VPC endpoints). */
export interface AwsEndpoints {
  readonly s3?: string;
  readonly dynamodb?: string;
  readonly sns?: string;
  readonly sqs?: string;
  readonly sts?: string;
  /** Only `backfill stop|resume|status` talk to Lambda (adapters/event-source-mapping.ts builds that client). */
  readonly lambda?: string;
}

/** Options of createAwsClients. */
export interface AwsClientOptions {
  /** Region of every client; default the SDK's own resolution (AWS_REGION, profile). */
  readonly region?: string;
  /** Endpoint overrides; a service without one talks to AWS. */
  readonly endpoints?: AwsEndpoints;
  /** Static credentials (local servers); default the SDK's provider chain. */
  readonly credentials?: AwsCredentialIdentity;
  /** Attempts per request, retries included; default the SDK's (3). */
  readonly maxAttempts?: number;
  /** Connection, request and idle timeouts of every client; default DEFAULT_REQUEST_TIMEOUTS. */
  readonly timeouts?: RequestTimeouts;
  /** Bounds every request by the current invocation's end (the Lambda sets it per invocation). */
  readonly deadline?: RequestDeadline;
}

/** The SDK clients trailwatch's functions use, created once and shared by every adapter. */
export interface AwsClients {
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBClient;
  readonly sns: SNSClient;
  readonly sts: STSClient;
  /**
   * An S3 client (same region, endpoint and timeouts as `s3`) whose credentials come from assuming
   * `roleArn`, e.g. the read role in a log-archive account; one per role, closed with the others.
   */
  s3ForRole(roleArn: string): S3Client;
}

/**
 * The CLI's set: the functions' clients and an SQS client (backfill --on-aws, backfill status|stop|resume
 * and replay); made by createAwsQueueClients (aws-queue-clients.ts), closed by destroyAwsClients.
 */
export interface AwsQueueClients extends AwsClients {
  readonly sqs: SQSClient;
}

/** The session name trailwatch's reads show in the bucket account's CloudTrail (`assumed-role/<role>/trailwatch`). */
export const READ_ROLE_SESSION_NAME = 'trailwatch';

/**
 * Creates the SDK clients (no network call). With an S3 endpoint override the S3 client uses path-style
 * addressing and sends checksums only when required: S3-compatible servers such as s3rver otherwise
 * store the aws-chunked framing inside the object and fail the response checksum check.
 */
export function createAwsClients(options: AwsClientOptions = {}): AwsClients {
  const endpoints = options.endpoints ?? {};
  const s3Local =
    endpoints.s3 !== undefined
      ? {
          endpoint: endpoints.s3,
          forcePathStyle: true,
          requestChecksumCalculation: 'WHEN_REQUIRED' as const,
          responseChecksumValidation: 'WHEN_REQUIRED' as const,
        }
      : {};
  const sts = new STSClient(clientSettings(options, endpoints.sts));
  const roleClients = new Map<string, S3Client>();
  const clients: AwsClients = {
    s3: new S3Client({ ...clientSettings(options, undefined), ...s3Local }),
    dynamodb: new DynamoDBClient(clientSettings(options, endpoints.dynamodb)),
    // One attempt with a bounded time: the alerter retries publishes itself, within its claim's lease
    // (see AlertDeliveryOptions.leaseSeconds), so retries here would only eat into that time.
    sns: new SNSClient({ ...clientSettings(options, endpoints.sns), maxAttempts: 1 }),
    sts,
    s3ForRole(roleArn: string): S3Client {
      let client = roleClients.get(roleArn);
      if (client === undefined) {
        const role = new AssumedRoleCredentials({ sts, roleArn, sessionName: READ_ROLE_SESSION_NAME });
        client = new S3Client({
          ...clientSettings(options, undefined),
          ...s3Local,
          credentials: role.provider(),
        });
        roleClients.set(roleArn, client);
      }
      return client;
    },
  };
  ROLE_CLIENTS.set(clients, roleClients);
  return clients;
}

// The role clients of each set, so destroyAwsClients closes them too (a set may be shared widely).
const ROLE_CLIENTS = new WeakMap<object, ReadonlyMap<string, S3Client>>();

/** Closes the clients' sockets (a CLI command or a test is done with them); safe on clients already closed. */
export function destroyAwsClients(clients: Partial<AwsQueueClients>): void {
  for (const client of [clients.s3, clients.dynamodb, clients.sns, clients.sqs, clients.sts])
    client?.destroy();
  for (const client of ROLE_CLIENTS.get(clients)?.values() ?? []) client.destroy();
}

/** True for an endpoint on this machine (a local server such as `trailwatch local --serve`). */
export function isLocalEndpoint(url: string): boolean {
  return /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:|\/|$)/.test(url);
}

/** Credentials the local servers accept (they check nothing, but the SDK insists on some). */
export const LOCAL_CREDENTIALS: AwsCredentialIdentity = { accessKeyId: 'test', secretAccessKey: 'test' };

/**
 * The configuration every client of a set shares (region, credentials, attempts, its own handler with the
 * set's timeouts and deadline), at `endpoint` when one is given.
 */
export function clientSettings(options: AwsClientOptions, endpoint: string | undefined) {
  return { ...commonSettings(options), ...endpointOf(endpoint), ...timedHandler(options) };
}

// Every client's logger drops everything, as the SDK's default does, but has no `info`: the SDK builds the
// argument of `logger.info` only when the method exists, and that argument is each call's input and output
// copied through the schema's sensitive-data filter: 7% of the handler's CPU while it stored the events of
// a file of 150,000 failed calls (a profile of `npm run bench:alerts -- --cpu-prof`), for a line nobody reads.
const QUIET_LOGGER = { trace() {}, debug() {}, warn() {}, error() {} } as Partial<Logger> as Logger;

function commonSettings(options: AwsClientOptions) {
  return {
    logger: QUIET_LOGGER,
    ...(options.region !== undefined ? { region: options.region } : {}),
    ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
    ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
  };
}

// One handler per client (each keeps its own connection pool), all with timeouts that throw.
function timedHandler(options: AwsClientOptions) {
  return { requestHandler: new TimedHttpHandler(options.timeouts, options.deadline) };
}

function endpointOf(url: string | undefined): { endpoint?: string } {
  return url !== undefined ? { endpoint: url } : {};
}
