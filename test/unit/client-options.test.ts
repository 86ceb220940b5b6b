import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventQueryClient, ValidationError } from '@trailwatch/client';
import { dynamoDbClientFor } from '../../packages/client/src/dynamodb-client';

// How the client package reaches DynamoDB: its connection options, their validation, who destroys
// the DynamoDBClient, and the SDK's Node-version notice kept out of the consumer's output.

const OPT_OUT = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';
const KEYS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

function fieldOf(build: () => unknown): string {
  try {
    build();
  } catch (err) {
    if (err instanceof ValidationError) return err.field;
    throw err;
  }
  throw new Error('expected a ValidationError');
}

describe('client options', () => {
  it('builds its own DynamoDBClient from endpoint, region and credentials', async () => {
    const { client, owned } = dynamoDbClientFor({
      endpoint: 'http://127.0.0.1:4567',
      region: 'eu-west-1',
      credentials: KEYS,
    });
    try {
      expect(owned).toBe(true);
      expect(await client.config.region()).toBe('eu-west-1');
      const endpoint = await client.config.endpoint?.();
      expect(endpoint).toMatchObject({ protocol: 'http:', hostname: '127.0.0.1', port: 4567 });
      expect(await client.config.credentials()).toMatchObject(KEYS);
    } finally {
      client.destroy();
    }
  });

  it('uses a client passed in as it is, and leaves it to its owner', () => {
    const mine = new DynamoDBClient({ region: 'us-east-1', credentials: KEYS });
    const destroy = jest.spyOn(mine, 'destroy');
    expect(dynamoDbClientFor({ client: mine })).toEqual({ client: mine, owned: false });
    new EventQueryClient({ tableName: 'trailwatch-events', client: mine }).destroy();
    expect(destroy).not.toHaveBeenCalled();
    mine.destroy();
  });

  it('destroys the client it built', () => {
    const destroy = jest.spyOn(DynamoDBClient.prototype, 'destroy');
    try {
      new EventQueryClient({
        tableName: 'trailwatch-events',
        region: 'us-east-1',
        credentials: KEYS,
      }).destroy();
      expect(destroy).toHaveBeenCalledTimes(1);
    } finally {
      destroy.mockRestore();
    }
  });

  it.each([
    ['client together with endpoint', { endpoint: 'http://localhost:8000' }, 'endpoint'],
    ['client together with region', { region: 'eu-west-1' }, 'region'],
    ['client together with credentials', { credentials: KEYS }, 'credentials'],
  ])('refuses %s, naming the field', (_, extra, field) => {
    const client = new DynamoDBClient({ region: 'us-east-1', credentials: KEYS });
    try {
      expect(fieldOf(() => new EventQueryClient({ tableName: 'trailwatch-events', client, ...extra }))).toBe(
        field,
      );
    } finally {
      client.destroy();
    }
  });

  it.each([
    [{ endpoint: 'localhost:8000' }, 'endpoint'],
    [{ endpoint: 'not a url' }, 'endpoint'],
    [{ region: 'EU West' }, 'region'],
    [{ tableName: 'x' }, 'tableName'],
    [{ pageSize: 0 }, 'pageSize'],
  ])('refuses %j, naming the field', (bad, field) => {
    expect(fieldOf(() => new EventQueryClient({ tableName: 'trailwatch-events', ...bad }))).toBe(field);
  });

  // The SDK shows its notice once per process (per module instance): each case loads fresh modules.
  const warningsOf = (
    build: (modules: { dynamoDbClientFor: typeof dynamoDbClientFor }) => DynamoDBClient,
  ) => {
    const warnings: string[] = [];
    const emit = jest.spyOn(process, 'emitWarning').mockImplementation((w: string | Error) => {
      warnings.push(String(w));
    });
    try {
      jest.isolateModules(() => {
        type Modules = typeof import('../../packages/client/src/dynamodb-client');
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const modules = require('../../packages/client/src/dynamodb-client') as Modules;
        build(modules).destroy();
      });
    } finally {
      emit.mockRestore();
    }
    return warnings.filter((w) => w.includes('NodeVersionSupportWarning'));
  };

  it("builds its client without the SDK's Node-version notice, and leaves the environment as it was", () => {
    const before = process.env[OPT_OUT];
    delete process.env[OPT_OUT];
    try {
      if (Number(process.versions.node.split('.')[0]) < 22) {
        // The control: a DynamoDBClient built the plain way does print it on this Node.js.
        expect(
          warningsOf(() => {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const sdk = require('@aws-sdk/client-dynamodb') as typeof import('@aws-sdk/client-dynamodb');
            return new sdk.DynamoDBClient({ region: 'us-east-1', credentials: KEYS });
          }),
        ).toHaveLength(1);
      }
      expect(
        warningsOf((m) => m.dynamoDbClientFor({ region: 'us-east-1', credentials: KEYS }).client),
      ).toEqual([]);
      expect(process.env[OPT_OUT]).toBeUndefined();
    } finally {
      if (before !== undefined) process.env[OPT_OUT] = before;
    }
  });
});
