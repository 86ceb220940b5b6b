import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { ValidationError } from './validation-error';

/**
 * How the client reaches DynamoDB: an existing DynamoDBClient, or where to connect (each option
 * unset falls back to the SDK's own default, i.e. the environment and the shared config files).
 */
export interface DynamoDbConnectionOptions {
  /**
   * A DynamoDBClient of your own (its endpoint, region, credentials, retries and middleware are used
   * as they are; you destroy it). Not together with `endpoint`, `region` or `credentials`.
   * @default a new DynamoDBClient built from the options below
   */
  readonly client?: DynamoDBClient;
  /**
   * Endpoint URL, e.g. `http://localhost:8000` for DynamoDB Local.
   * @default the SDK's: `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL`, else the region's endpoint
   */
  readonly endpoint?: string;
  /** AWS Region of the table, e.g. `eu-west-1`. @default the SDK's: `AWS_REGION`, else the profile's region */
  readonly region?: string;
  /**
   * Static keys (`{ accessKeyId, secretAccessKey, sessionToken? }`) or a credential provider, e.g.
   * `fromIni({ profile: 'reader' })` or `fromTemporaryCredentials(...)` of `@aws-sdk/credential-providers`.
   * @default the SDK's default chain: environment, SSO and profiles, web identity, container or instance role
   */
  readonly credentials?: DynamoDBClientConfig['credentials'];
}

// The SDK prints a multi-line NodeVersionSupportWarning on Node.js < 22 when a client is built,
// unless this variable is "true". The notice is about the SDK's future releases, not about this
// library, and would land in the middle of the consumer's output, so it is off while our own client
// is built (the SDK then considers it shown, once per process); a client passed in is untouched.
const NODE_VERSION_NOTICE_OPT_OUT = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

/** The DynamoDBClient the options ask for, and whether it was built here (then its owner destroys it). */
export function dynamoDbClientFor(options: DynamoDbConnectionOptions): {
  readonly client: DynamoDBClient;
  readonly owned: boolean;
} {
  const { client, endpoint, region, credentials } = options;
  if (client !== undefined) {
    const extra = (['endpoint', 'region', 'credentials'] as const).find((k) => options[k] !== undefined);
    if (extra) {
      throw new ValidationError(extra, "give either 'client' or the options to build one, not both");
    }
    return { client, owned: false };
  }
  if (endpoint !== undefined && !isHttpUrl(endpoint)) {
    throw new ValidationError('endpoint', `'${endpoint}' is not an http(s) URL`);
  }
  if (region !== undefined && !/^[a-z0-9-]+$/.test(region)) {
    throw new ValidationError('region', `'${region}' is not an AWS Region name such as eu-west-1`);
  }
  const config: DynamoDBClientConfig = {
    ...(endpoint !== undefined ? { endpoint } : {}),
    ...(region !== undefined ? { region } : {}),
    ...(credentials !== undefined ? { credentials } : {}),
  };
  return { client: withoutNodeVersionNotice(() => new DynamoDBClient(config)), owned: true };
}

function withoutNodeVersionNotice<T>(build: () => T): T {
  const before = process.env[NODE_VERSION_NOTICE_OPT_OUT];
  process.env[NODE_VERSION_NOTICE_OPT_OUT] = 'true';
  try {
    return build();
  } finally {
    if (before === undefined) delete process.env[NODE_VERSION_NOTICE_OPT_OUT];
    else process.env[NODE_VERSION_NOTICE_OPT_OUT] = before;
  }
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
