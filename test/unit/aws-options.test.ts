import { awsFlagsFrom, explainAwsSetupError } from '../../cli/aws-options';
import { UsageError } from '../../cli/usage';

describe('endpoint flags', () => {
  it('one flag per service, else the variables; the source of each is kept for error lines', () => {
    const flags = awsFlagsFrom(
      { 'dynamodb-endpoint-url': 'http://127.0.0.1:4567' },
      { AWS_ENDPOINT_URL_SNS: 'http://127.0.0.1:4575', AWS_ENDPOINT_URL: 'http://127.0.0.1:9999' },
      ['dynamodb', 'sns', 's3'],
    );
    expect(flags.endpoints).toEqual({
      dynamodb: 'http://127.0.0.1:4567',
      sns: 'http://127.0.0.1:4575',
      s3: 'http://127.0.0.1:9999',
    });
    expect(flags.sources).toEqual({
      dynamodb: '--dynamodb-endpoint-url',
      sns: 'AWS_ENDPOINT_URL_SNS',
      s3: 'AWS_ENDPOINT_URL',
    });
    expect(flags.region).toBe('us-east-1');
  });

  it('refuses one --endpoint-url for several services, naming the flags to use', () => {
    expect(() => awsFlagsFrom({ 'endpoint-url': 'http://127.0.0.1:4567' }, {}, ['dynamodb', 'sns'])).toThrow(
      new UsageError(
        '--endpoint-url: this command talks to DynamoDB, SNS, each at its own endpoint; give --dynamodb-endpoint-url, ' +
          '--sns-endpoint-url (trailwatch local --serve: DynamoDB http://127.0.0.1:4567, SNS http://127.0.0.1:4575)',
      ),
    );
  });

  it('names a bad region in plain words', () => {
    expect(() => awsFlagsFrom({ region: 'moon-1' }, {}, ['s3'])).toThrow(
      "--region: 'moon-1' is not an AWS region name (e.g. us-east-1)",
    );
  });
});

describe('a server that is not the service it was given for', () => {
  it('is found under the adapters wrapping of the SDK error and named by its flag', () => {
    // What the SDK throws when DynamoDB's client reads s3rver's 404 page, wrapped as the event store does.
    const sdk = Object.assign(
      new SyntaxError(`Unexpected token 'N', "Not Found" is not valid JSON\n  Deserialization error: ...`),
      { $metadata: { httpStatusCode: 404 } },
    );
    const wrapped = new Error('7 of 7 events were not written', { cause: sdk });
    const line = explainAwsSetupError(wrapped, { dynamodb: 'http://127.0.0.1:4568' }, 'dynamodb', {
      dynamodb: '--dynamodb-endpoint-url',
    });
    expect(line?.message).toBe(
      "--dynamodb-endpoint-url http://127.0.0.1:4568 did not answer like DynamoDB: is it another service's port? " +
        '(trailwatch local --serve: DynamoDB is http://127.0.0.1:4567)',
    );
  });

  it("recognises dynalite's 404 to an SNS call", () => {
    const sdk = Object.assign(new Error('Unknown'), { name: 'NotFoundException' });
    const line = explainAwsSetupError(sdk, { sns: 'http://127.0.0.1:4567' }, 'sns', {
      sns: '--sns-endpoint-url',
    });
    expect(line?.message).toMatch(/^--sns-endpoint-url http:\/\/127\.0\.0\.1:4567 did not answer like SNS/);
  });

  it('leaves an ordinary service error alone', () => {
    const sdk = Object.assign(new Error('Requested resource not found'), {
      name: 'ResourceNotFoundException',
    });
    expect(explainAwsSetupError(sdk, {}, 'dynamodb')).toBeUndefined();
  });
});
