// Every CloudTrail record example of the seed documents (../shared/seeds), normalized and checked
// field by field against an expectation written out by hand from the AWS pages.
import { normalizeRecord } from '../../lambdas/core/normalize';
import type { NormalizedEvent } from '../../lambdas/core/normalized-event';
import { seedRecord, seedRecords } from '../../local/seed-records';

type Expected = Omit<NormalizedEvent, 'requestParameters' | 'responseElements'>;

const JOHNDOE_GLUE = {
  type: 'IAMUser',
  arn: 'arn:aws:iam::123456789012:user/johndoe',
  accountId: '123456789012',
  principalId: 'AKIAIOSFODNN7EXAMPLE',
  userName: 'johndoe',
};

const JOHNDOE_ATHENA = {
  type: 'IAMUser',
  arn: 'arn:aws:iam::123456789012:user/johndoe',
  accountId: '123456789012',
  principalId: 'EXAMPLE_PRINCIPAL_ID',
  userName: 'johndoe',
};

const EXPECTED: Record<string, Expected> = {
  // 000/001 (Glue): DeleteCrawler
  'glue-delete-crawler': {
    service: 'glue',
    eventSource: 'glue.amazonaws.com',
    eventName: 'DeleteCrawler',
    eventTime: '2017-10-11T22:29:49Z',
    eventId: 'e73dd117-cfd1-47d1-9e2f-d1271cad838c',
    requestId: 'b16f4050-aed3-11e7-b0b3-75564a46954f',
    eventType: 'AwsApiCall',
    eventVersion: '1.05',
    accountId: '123456789012',
    region: 'us-east-1',
    principal: JOHNDOE_GLUE,
    sourceIp: '72.21.198.64',
    userAgent: 'aws-cli/1.11.148 Python/3.6.1 Darwin/16.7.0 botocore/1.7.6',
    failed: false,
    resources: [{ type: 'glue:crawler', id: 'tes-alpha' }],
  },
  // 000/001 (Glue): CreateConnection
  'glue-create-connection': {
    service: 'glue',
    eventSource: 'glue.amazonaws.com',
    eventName: 'CreateConnection',
    eventTime: '2017-10-13T00:19:19Z',
    eventId: 'e8b3baeb-c511-4597-880f-c16210c60a4a',
    requestId: '27136ebc-afac-11e7-a7d6-ab217e5c3f19',
    eventType: 'AwsApiCall',
    eventVersion: '1.05',
    accountId: '123456789012',
    region: 'us-east-1',
    principal: JOHNDOE_GLUE,
    sourceIp: '72.21.198.66',
    userAgent: 'aws-cli/1.11.148 Python/3.6.1 Darwin/16.7.0 botocore/1.7.6',
    failed: false,
    resources: [{ type: 'glue:connection', id: 'test-connection-alpha' }],
  },
  // 002 (EMR): RunJobFlow, eventVersion 1.01, no eventType and no recipientAccountId
  'emr-run-job-flow': {
    service: 'emr',
    eventSource: 'elasticmapreduce.amazonaws.com',
    eventName: 'RunJobFlow',
    eventTime: '2018-03-31T17:59:21Z',
    eventId: 'b348a38d-f744-4097-8b2a-e68c9b424698',
    requestId: '2f482daf-b8fe-11e3-89e7-75a3d0e071c5',
    eventVersion: '1.01',
    accountId: '123456789012',
    region: 'us-west-2',
    principal: {
      type: 'IAMUser',
      arn: 'arn:aws:iam::123456789012:user/temporary-user-xx-7M',
      accountId: '123456789012',
      principalId: 'EX_PRINCIPAL_ID',
      userName: 'temporary-user-xx-7M',
    },
    sourceIp: '192.0.2.1',
    userAgent: 'aws-sdk-java/unknown-version Linux/xx Java_HotSpot(TM)_64-Bit_Server_VM/xx',
    failed: false,
    resources: [{ type: 'emr:cluster', id: 'j-2WDJCGEG4E6AJ' }],
  },
  // 003 (Athena): StartQueryExecution that succeeded
  'athena-start-query-execution-success': {
    service: 'athena',
    eventSource: 'athena.amazonaws.com',
    eventName: 'StartQueryExecution',
    eventTime: '2017-05-04T00:23:55Z',
    eventId: 'c97cf8c8-6112-467a-8777-53bb38f83fd5',
    requestId: 'f5039b01-305f-11e7-b146-c3fc56a7dc7a',
    eventType: 'AwsApiCall',
    eventVersion: '1.05',
    accountId: '123456789012',
    region: 'us-east-1',
    principal: JOHNDOE_ATHENA,
    sourceIp: '77.88.999.69',
    userAgent: 'aws-internal/3',
    failed: false,
    resources: [{ type: 'athena:query-execution', id: 'b621c254-74e0-48e3-9630-78ed857782f9' }],
  },
  // 003 (Athena): StartQueryExecution that failed with InvalidRequestException
  'athena-start-query-execution-failed': {
    service: 'athena',
    eventSource: 'athena.amazonaws.com',
    eventName: 'StartQueryExecution',
    eventTime: '2017-05-04T00:21:57Z',
    eventId: '6e1fc69b-d076-477e-8dec-024ee51488c4',
    requestId: 'aefbc057-305f-11e7-9f39-bbc56d5d161e',
    eventType: 'AwsApiCall',
    eventVersion: '1.05',
    accountId: '123456789012',
    region: 'us-east-1',
    principal: JOHNDOE_ATHENA,
    sourceIp: '77.88.999.69',
    userAgent: 'aws-internal/3',
    failed: true,
    errorCode: 'InvalidRequestException',
    errorMessage:
      'Invalid result configuration. Should specify either output location or result configuration',
    resources: [],
  },
  // 003 (Athena): CreateNamedQuery
  'athena-create-named-query': {
    service: 'athena',
    eventSource: 'athena.amazonaws.com',
    eventName: 'CreateNamedQuery',
    eventTime: '2017-05-16T22:00:58Z',
    eventId: '15e3d3b5-6c3b-4c7c-bc0b-36a8dd95227b',
    requestId: '2487dd96-3a83-11e7-8f67-c9de5ac76512',
    eventType: 'AwsApiCall',
    eventVersion: '1.05',
    accountId: '123456789012',
    region: 'us-west-2',
    principal: JOHNDOE_ATHENA,
    sourceIp: '77.88.999.69',
    userAgent: 'aws-cli/1.11.85 Python/2.7.10 Darwin/16.6.0 botocore/1.5.48',
    failed: false,
    resources: [{ type: 'athena:named-query', id: 'cdd0fe29-4787-4263-9188-a9c8db29f2d6' }],
  },
  // 004 (Batch): CreateComputeEnvironment by an AssumedRole session; eventID is not a UUID
  'batch-create-compute-environment': {
    service: 'batch',
    eventSource: 'batch.amazonaws.com',
    eventName: 'CreateComputeEnvironment',
    eventTime: '2017-12-20T00:48:46Z',
    eventId: '874f89fa-70fc-4798-bc00-EXAMPLE',
    requestId: '890b8639-e51f-11e7-b038-EXAMPLE',
    eventType: 'AwsApiCall',
    eventVersion: '1.05',
    readOnly: false,
    accountId: '012345678910',
    region: 'us-east-1',
    principal: {
      type: 'AssumedRole',
      arn: 'arn:aws:sts::012345678910:assumed-role/Admin/admin',
      accountId: '012345678910',
      principalId: 'AIDACKCEVSQ6C2EXAMPLE:admin',
      userName: 'Admin',
      sessionIssuerArn: 'arn:aws:iam::012345678910:role/Admin',
    },
    sourceIp: '203.0.113.1',
    userAgent: 'aws-cli/1.11.167 Python/2.7.10 Darwin/16.7.0 botocore/1.7.25',
    failed: false,
    // The name, which the request and the response both give; the response's ARN names the same environment.
    resources: [{ type: 'batch:compute-environment', id: 'Test' }],
  },
};

// The raw parameters are kept exactly as logged.
const RAW_RESPONSES: Record<string, unknown> = {
  'glue-delete-crawler': null,
  'glue-create-connection': null,
  'emr-run-job-flow': { jobFlowId: 'j-2WDJCGEG4E6AJ' },
  'athena-start-query-execution-success': { queryExecutionId: 'b621c254-74e0-48e3-9630-78ed857782f9' },
  'athena-start-query-execution-failed': null,
  'athena-create-named-query': { namedQueryId: 'cdd0fe29-4787-4263-9188-a9c8db29f2d6' },
  'batch-create-compute-environment': {
    computeEnvironmentName: 'Test',
    computeEnvironmentArn: 'arn:aws:batch:us-east-1:012345678910:compute-environment/Test',
  },
};

function normalizedSeed(name: string): NormalizedEvent {
  const result = normalizeRecord(seedRecord(name).record);
  if (!result.ok) throw new Error(`${name} was skipped: ${result.reason}: ${result.message}`);
  return result.event;
}

describe('seed examples', () => {
  it('has an expectation for every seed fixture, and a fixture for every expectation', () => {
    // Prepare
    const fixtures = seedRecords()
      .map((s) => s.name)
      .sort();
    // Act
    const expected = Object.keys(EXPECTED).sort();
    // Assess
    expect(fixtures).toEqual(expected);
    expect(fixtures).toHaveLength(7);
  });

  const fieldCases = Object.entries(EXPECTED).flatMap(([name, expected]) =>
    Object.keys(expected).map((field) => [name, field] as const),
  );

  it.each(fieldCases)('%s: %s', (name, field) => {
    // Prepare
    const expected = EXPECTED[name]!;
    // Act
    const event = normalizedSeed(name);
    // Assess
    expect(event[field as keyof NormalizedEvent]).toEqual(expected[field as keyof Expected]);
  });

  it.each(Object.keys(EXPECTED))('%s: no field beyond the expected ones and the raw parameters', (name) => {
    // Prepare
    const allowed = [...Object.keys(EXPECTED[name]!), 'requestParameters', 'responseElements'].sort();
    // Act
    const event = normalizedSeed(name);
    // Assess
    expect(Object.keys(event).sort()).toEqual(allowed);
  });

  it.each(Object.keys(EXPECTED))(
    '%s: raw requestParameters and responseElements are kept as logged',
    (name) => {
      // Prepare
      const record = seedRecord(name).record;
      // Act
      const event = normalizedSeed(name);
      // Assess
      expect(event.requestParameters).toEqual(record.requestParameters);
      expect(event.responseElements).toEqual(RAW_RESPONSES[name]);
    },
  );

  it('EMR RunJobFlow has no eventType and takes its account from the identity (no recipientAccountId)', () => {
    // Prepare
    const record = seedRecord('emr-run-job-flow').record;
    // Act
    const event = normalizedSeed('emr-run-job-flow');
    // Assess
    expect(record.recipientAccountId).toBeUndefined();
    expect('eventType' in event).toBe(false);
    expect(event.accountId).toBe('123456789012');
  });
});
