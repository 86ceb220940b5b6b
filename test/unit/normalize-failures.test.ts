// When is a call `failed`: a top-level errorCode / errorMessage, or failed items a batch API reports
// inside responseElements (documented in docs/normalized-event.md).
import { normalizeRecord } from '../../lambdas/core/normalize';
import { SERVICES, type ServiceName } from '../../lambdas/core/services';

interface FailureCase {
  readonly name: string;
  readonly service: ServiceName;
  readonly eventName: string;
  readonly top?: { errorCode?: string; errorMessage?: string };
  readonly response?: unknown;
  readonly failed: boolean;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  /** Another source of the service than its main one (the EMR flavours). */
  readonly eventSource?: string;
}

const CASES: FailureCase[] = [
  {
    name: 'top-level errorCode and errorMessage',
    service: 'athena',
    eventName: 'StartQueryExecution',
    top: { errorCode: 'InvalidRequestException', errorMessage: 'Invalid result configuration' },
    failed: true,
    errorCode: 'InvalidRequestException',
    errorMessage: 'Invalid result configuration',
  },
  {
    name: 'top-level errorCode alone',
    service: 'glue',
    eventName: 'GetJob',
    top: { errorCode: 'AccessDenied' },
    failed: true,
    errorCode: 'AccessDenied',
  },
  {
    name: 'top-level errorMessage alone',
    service: 'emr',
    eventName: 'RunJobFlow',
    top: { errorMessage: 'Service role is not valid' },
    failed: true,
    errorMessage: 'Service role is not valid',
  },
  {
    name: 'empty top-level errorCode is no error',
    service: 'batch',
    eventName: 'SubmitJob',
    top: { errorCode: '' },
    failed: false,
  },
  {
    name: 'Glue BatchDeleteTable errors list (code inside errorDetail)',
    service: 'glue',
    eventName: 'BatchDeleteTable',
    response: {
      errors: [
        {
          tableName: 'a',
          errorDetail: { errorCode: 'EntityNotFoundException', errorMessage: 'Table a not found.' },
        },
      ],
    },
    failed: true,
    errorCode: 'EntityNotFoundException',
    errorMessage: '1 item failed (errors): Table a not found.',
  },
  {
    name: 'Glue BatchDeleteConnection errors map, PascalCase as some SDK models log it',
    service: 'glue',
    eventName: 'BatchDeleteConnection',
    response: {
      Succeeded: ['c1'],
      Errors: {
        c2: { ErrorCode: 'EntityNotFoundException', ErrorMessage: 'Connection c2 not found' },
        c3: { ErrorCode: 'EntityNotFoundException', ErrorMessage: 'Connection c3 not found' },
      },
    },
    failed: true,
    errorCode: 'EntityNotFoundException',
    errorMessage: '2 items failed (Errors): Connection c2 not found',
  },
  {
    name: 'Glue BatchStopJobRun with an empty errors list succeeded',
    service: 'glue',
    eventName: 'BatchStopJobRun',
    response: { successfulSubmissions: [{ jobName: 'etl', jobRunId: 'jr_1' }], errors: [] },
    failed: false,
  },
  {
    name: 'Glue BatchGetPartition unprocessed keys (no code given)',
    service: 'glue',
    eventName: 'BatchGetPartition',
    response: { partitions: [], unprocessedKeys: [{ values: ['2024'] }] },
    failed: true,
    errorMessage: '1 item failed (unprocessedKeys)',
  },
  {
    name: 'Glue BatchGetTableOptimizer failures (code inside error)',
    service: 'glue',
    eventName: 'BatchGetTableOptimizer',
    response: {
      tableOptimizers: [],
      failures: [{ tableName: 't', error: { errorCode: 'AccessDeniedException', errorMessage: 'denied' } }],
    },
    failed: true,
    errorCode: 'AccessDeniedException',
    errorMessage: '1 item failed (failures): denied',
  },
  {
    name: 'Glue BatchGetJobs jobsNotFound is an answer, not a failure',
    service: 'glue',
    eventName: 'BatchGetJobs',
    response: { jobs: [], jobsNotFound: ['missing'] },
    failed: false,
  },
  {
    name: 'Athena BatchGetQueryExecution unprocessed ids',
    service: 'athena',
    eventName: 'BatchGetQueryExecution',
    response: {
      queryExecutions: [],
      unprocessedQueryExecutionIds: [
        {
          queryExecutionId: 'q-1',
          errorCode: 'INVALID_INPUT',
          errorMessage: 'QueryExecution q-1 was not found',
        },
      ],
    },
    failed: true,
    errorCode: 'INVALID_INPUT',
    errorMessage: '1 item failed (unprocessedQueryExecutionIds): QueryExecution q-1 was not found',
  },
  {
    name: 'Athena BatchGetNamedQuery with nothing unprocessed succeeded',
    service: 'athena',
    eventName: 'BatchGetNamedQuery',
    response: { namedQueries: [{ namedQueryId: 'nq' }], unprocessedNamedQueryIds: [] },
    failed: false,
  },
  {
    name: 'a `failed` list in any watched service counts (Batch)',
    service: 'batch',
    eventName: 'FutureBatchOperation',
    response: { failed: [{ jobId: 'j1', errorCode: 'ClientException', errorMessage: 'bad job' }] },
    failed: true,
    errorCode: 'ClientException',
    errorMessage: '1 item failed (failed): bad job',
  },
  {
    name: 'an item with a code and no message (EMR)',
    service: 'emr',
    eventName: 'FutureEmrBatchOperation',
    response: { errors: [{ clusterId: 'j-1', errorCode: 'ValidationException' }] },
    failed: true,
    errorCode: 'ValidationException',
    errorMessage: '1 item failed (errors): ValidationException',
  },
  {
    name: 'a `failed` flag that is not a list does not count',
    service: 'batch',
    eventName: 'DescribeJobs',
    response: { failed: false, errors: 3 },
    failed: false,
  },
  {
    name: 'a nested errors list does not count (only top-level fields)',
    service: 'glue',
    eventName: 'GetJobRun',
    response: { jobRun: { errors: ['x'] } },
    failed: false,
  },
  {
    name: 'the top-level error wins over the response',
    service: 'glue',
    eventName: 'BatchDeleteTable',
    top: { errorCode: 'ThrottlingException', errorMessage: 'Rate exceeded' },
    response: { errors: [{ errorDetail: { errorCode: 'EntityNotFoundException' } }] },
    failed: true,
    errorCode: 'ThrottlingException',
    errorMessage: 'Rate exceeded',
  },
  {
    name: 'Glue DeleteSchemaVersions: schemaVersionErrors with errorDetails',
    service: 'glue',
    eventName: 'DeleteSchemaVersions',
    response: {
      schemaVersionErrors: [
        {
          versionNumber: 3,
          errorDetails: { errorCode: 'EntityNotFoundException', errorMessage: 'Version 3 not found' },
        },
      ],
    },
    failed: true,
    errorCode: 'EntityNotFoundException',
    errorMessage: '1 item failed (schemaVersionErrors): Version 3 not found',
  },
  {
    name: 'Glue BatchPutDataQualityStatisticAnnotation: failedInclusionAnnotations with a failureReason',
    service: 'glue',
    eventName: 'BatchPutDataQualityStatisticAnnotation',
    response: {
      failedInclusionAnnotations: [{ profileId: 'p', statisticId: 's', failureReason: 'No such statistic' }],
    },
    failed: true,
    errorMessage: '1 item failed (failedInclusionAnnotations): No such statistic',
  },
  ...(['CreateIntegration', 'ModifyIntegration', 'DeleteIntegration'] as const).map(
    (eventName): FailureCase => ({
      name: `Glue ${eventName}: errors beside the integration's status are its state, not a failure`,
      service: 'glue',
      eventName,
      response: {
        integrationArn: 'arn:aws:glue:us-east-1:123456789012:integration:0f1e2d3c',
        status: 'NEEDS_ATTENTION',
        errors: [{ errorCode: 'SourceUnavailable', errorMessage: 'The source table was deleted' }],
      },
      failed: false,
    }),
  ),
  {
    name: 'a known call whose response has an errors field the model does not list is not failed',
    service: 'glue',
    eventName: 'StartJobRun',
    response: { jobRunId: 'jr_1', errors: [{ errorCode: 'X' }] },
    failed: false,
  },
  {
    name: 'an event name newer than the models: failure members by name',
    service: 'glue',
    eventName: 'BatchDeleteSomethingNew',
    response: { errors: [{ errorDetail: { errorCode: 'EntityNotFoundException', errorMessage: 'gone' } }] },
    failed: true,
    errorCode: 'EntityNotFoundException',
    errorMessage: '1 item failed (errors): gone',
  },
  {
    name: 'EMR Serverless: a failed call is an emr failure',
    service: 'emr',
    eventSource: 'emr-serverless.amazonaws.com',
    eventName: 'StartJobRun',
    top: { errorCode: 'ValidationException', errorMessage: 'Application 00app is not started' },
    failed: true,
    errorCode: 'ValidationException',
    errorMessage: 'Application 00app is not started',
  },
  {
    name: 'EMR on EKS: a failed call is an emr failure',
    service: 'emr',
    eventSource: 'emr-containers.amazonaws.com',
    eventName: 'StartJobRun',
    top: { errorCode: 'ResourceNotFoundException', errorMessage: 'Virtual cluster vc1 not found' },
    failed: true,
    errorCode: 'ResourceNotFoundException',
    errorMessage: 'Virtual cluster vc1 not found',
  },
  {
    name: 'a null response (Glue Get* calls) succeeded',
    service: 'glue',
    eventName: 'GetTable',
    response: null,
    failed: false,
  },
];

describe('failure detection', () => {
  it.each(CASES)('$name', (c) => {
    // Prepare
    const raw = {
      eventTime: '2024-05-01T08:00:00Z',
      eventSource: c.eventSource ?? SERVICES[c.service].eventSource,
      eventName: c.eventName,
      eventID: 'evt',
      ...c.top,
      responseElements: c.response === undefined ? null : c.response,
    };
    // Act
    const result = normalizeRecord(raw);
    // Assess
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.event.service).toBe(c.service);
    expect(result.event.failed).toBe(c.failed);
    expect(result.event.errorCode).toBe(c.errorCode);
    expect(result.event.errorMessage).toBe(c.errorMessage);
  });
});
