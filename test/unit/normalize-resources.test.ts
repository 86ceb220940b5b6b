// Resource extraction per service: by field name in requestParameters and responseElements, so that
// event names nobody listed still yield their resources; primary resource first; one id per resource.
import { normalizeRecord } from '../../lambdas/core/normalize';
import type { ResourceRef } from '../../lambdas/core/normalized-event';
import { MAX_RESOURCES } from '../../lambdas/core/resource-refs';
import { SERVICES, type ServiceName } from '../../lambdas/core/services';

interface Case {
  readonly eventName: string;
  readonly request?: unknown;
  readonly response?: unknown;
  readonly resources: ResourceRef[];
  readonly note?: string;
  /** Another source of the service than its main one (the EMR flavours). */
  readonly eventSource?: string;
}

function resourcesOf(service: ServiceName, c: Case): ResourceRef[] {
  const result = normalizeRecord({
    eventTime: '2024-05-01T08:00:00Z',
    eventSource: c.eventSource ?? SERVICES[service].eventSource,
    eventName: c.eventName,
    eventID: 'evt',
    requestParameters: c.request ?? null,
    responseElements: c.response ?? null,
  });
  if (!result.ok) throw new Error(`${result.reason}: ${result.message}`);
  return result.event.resources;
}

const ACCT = '123456789012';

const GLUE: Case[] = [
  {
    eventName: 'DeleteCrawler',
    request: { name: 'tes-alpha' },
    resources: [{ type: 'glue:crawler', id: 'tes-alpha' }],
  },
  {
    eventName: 'StartCrawler',
    request: { name: 'nightly-crawl' },
    resources: [{ type: 'glue:crawler', id: 'nightly-crawl' }],
  },
  {
    eventName: 'GetCrawlerMetrics',
    request: { crawlerNameList: ['a', 'b'] },
    resources: [
      { type: 'glue:crawler', id: 'a' },
      { type: 'glue:crawler', id: 'b' },
    ],
  },
  {
    eventName: 'CreateCrawler',
    request: {
      name: 'c1',
      databaseName: 'raw',
      targets: { catalogTargets: [{ databaseName: 'staging', tables: ['t'] }] },
    },
    resources: [
      { type: 'glue:crawler', id: 'c1' },
      { type: 'glue:database', id: 'raw' },
      { type: 'glue:database', id: 'staging' },
      { type: 'glue:table', id: 'staging/t' },
    ],
  },
  {
    eventName: 'CreateJob',
    request: { name: 'etl', command: { name: 'glueetl' }, connections: { connections: ['warehouse'] } },
    response: { name: 'etl' },
    note: 'the job and its connection; command.name is not a resource',
    resources: [
      { type: 'glue:job', id: 'etl' },
      { type: 'glue:connection', id: 'warehouse' },
    ],
  },
  {
    eventName: 'StartJobRun',
    request: { jobName: 'etl' },
    response: { jobRunId: 'jr_1' },
    note: 'the run is what the call is about, and what on-call searches for',
    resources: [
      { type: 'glue:job-run', id: 'jr_1' },
      { type: 'glue:job', id: 'etl' },
    ],
  },
  {
    eventName: 'BatchGetJobs',
    request: { jobNames: ['a', 'b'] },
    resources: [
      { type: 'glue:job', id: 'a' },
      { type: 'glue:job', id: 'b' },
    ],
  },
  {
    eventName: 'CreateTable',
    request: { databaseName: 'sales', tableInput: { name: 'orders' } },
    note: 'tables are <database>/<table>',
    resources: [
      { type: 'glue:table', id: 'sales/orders' },
      { type: 'glue:database', id: 'sales' },
    ],
  },
  {
    eventName: 'DeleteTable',
    request: { databaseName: 'sales', name: 'orders' },
    resources: [
      { type: 'glue:table', id: 'sales/orders' },
      { type: 'glue:database', id: 'sales' },
    ],
  },
  {
    eventName: 'BatchDeleteTable',
    request: { databaseName: 'sales', tablesToDelete: ['a', 'b'] },
    resources: [
      { type: 'glue:table', id: 'sales/a' },
      { type: 'glue:table', id: 'sales/b' },
      { type: 'glue:database', id: 'sales' },
    ],
  },
  {
    eventName: 'GetPartitions',
    request: { databaseName: 'sales', tableName: 'orders', expression: "year='2024'" },
    resources: [
      { type: 'glue:table', id: 'sales/orders' },
      { type: 'glue:database', id: 'sales' },
    ],
  },
  {
    eventName: 'CreateDatabase',
    request: { databaseInput: { name: 'sales' } },
    resources: [{ type: 'glue:database', id: 'sales' }],
  },
  {
    eventName: 'GetDatabase',
    request: { name: 'sales' },
    resources: [{ type: 'glue:database', id: 'sales' }],
  },
  {
    eventName: 'CreateConnection',
    request: { connectionInput: { name: 'test-connection-alpha' } },
    resources: [{ type: 'glue:connection', id: 'test-connection-alpha' }],
  },
  {
    eventName: 'UpdateConnection',
    request: { name: 'warehouse', connectionInput: { name: 'warehouse' } },
    note: 'the same connection twice is listed once',
    resources: [{ type: 'glue:connection', id: 'warehouse' }],
  },
  {
    eventName: 'DeleteConnection',
    request: { connectionName: 'old' },
    resources: [{ type: 'glue:connection', id: 'old' }],
  },
  {
    eventName: 'CreateTrigger',
    request: {
      name: 'nightly',
      workflowName: 'wf',
      actions: [{ jobName: 'etl' }],
      predicate: { conditions: [{ crawlerName: 'c1', state: 'SUCCEEDED' }] },
    },
    response: { name: 'nightly' },
    resources: [
      { type: 'glue:trigger', id: 'nightly' },
      { type: 'glue:workflow', id: 'wf' },
      { type: 'glue:crawler', id: 'c1' },
      { type: 'glue:job', id: 'etl' },
    ],
  },
  {
    eventName: 'StartWorkflowRun',
    request: { name: 'wf' },
    response: { runId: 'wr_1' },
    resources: [
      { type: 'glue:workflow-run', id: 'wr_1' },
      { type: 'glue:workflow', id: 'wf' },
    ],
  },
  {
    eventName: 'CreateSession',
    request: { id: 'sess-1', role: 'arn:aws:iam::123456789012:role/G' },
    response: { session: { id: 'sess-1' } },
    resources: [{ type: 'glue:session', id: 'sess-1' }],
  },
  {
    eventName: 'RunStatement',
    request: { sessionId: 'sess-1', code: 'df.count()' },
    resources: [{ type: 'glue:session', id: 'sess-1' }],
  },
  {
    eventName: 'TagResource',
    request: { resourceArn: `arn:aws:glue:us-east-1:${ACCT}:table/sales/orders`, tagsToAdd: { team: 'bi' } },
    resources: [{ type: 'glue:table', id: 'sales/orders' }],
  },
  // Event names this code does not list: field names still find the resources.
  {
    eventName: 'ArchiveJobVersion',
    request: { JobName: 'etl' },
    note: 'PascalCase field of an unlisted API',
    resources: [{ type: 'glue:job', id: 'etl' }],
  },
  {
    eventName: 'GetCrawlerHistory',
    request: { crawlerName: 'c1' },
    resources: [{ type: 'glue:crawler', id: 'c1' }],
  },
  {
    eventName: 'GetClassifier',
    request: { name: 'csv-classifier' },
    note: 'classifiers are a kind of their own',
    resources: [{ type: 'glue:classifier', id: 'csv-classifier' }],
  },
  // Job runs, workflow runs, crawls, and resources named below the top level.
  {
    eventName: 'GetJobRun',
    request: { jobName: 'etl', runId: 'jr_0a1b' },
    resources: [
      { type: 'glue:job-run', id: 'jr_0a1b' },
      { type: 'glue:job', id: 'etl' },
    ],
  },
  {
    eventName: 'BatchStopJobRun',
    request: { jobName: 'etl', jobRunIds: ['jr_1', 'jr_2'] },
    response: {
      successfulSubmissions: [{ jobName: 'etl', jobRunId: 'jr_1' }],
      errors: [{ jobName: 'etl', jobRunId: 'jr_2', errorDetail: { errorCode: 'InvalidInputException' } }],
    },
    resources: [
      { type: 'glue:job-run', id: 'jr_1' },
      { type: 'glue:job-run', id: 'jr_2' },
      { type: 'glue:job', id: 'etl' },
    ],
  },
  {
    eventName: 'GetJobBookmark',
    request: { jobName: 'etl', runId: 'jr_9' },
    resources: [
      { type: 'glue:job-run', id: 'jr_9' },
      { type: 'glue:job', id: 'etl' },
    ],
  },
  {
    eventName: 'GetWorkflowRun',
    request: { name: 'daily', runId: 'wr_7' },
    note: "a run's calls name their workflow with the generic name",
    resources: [
      { type: 'glue:workflow-run', id: 'wr_7' },
      { type: 'glue:workflow', id: 'daily' },
    ],
  },
  {
    eventName: 'ListCrawls',
    request: { crawlerName: 'raw' },
    response: { crawls: [{ crawlId: 'crawl-1', state: 'COMPLETED' }] },
    resources: [
      { type: 'glue:crawler', id: 'raw' },
      { type: 'glue:crawl', id: 'crawl-1' },
    ],
  },
  {
    eventName: 'CreateCrawler',
    request: { name: 'c2', targets: { jdbcTargets: [{ connectionName: 'pg', path: 'db/%' }] } },
    note: 'targets.jdbcTargets[].connectionName',
    resources: [
      { type: 'glue:crawler', id: 'c2' },
      { type: 'glue:connection', id: 'pg' },
    ],
  },
  {
    eventName: 'UpdateJob',
    request: { jobName: 'etl', jobUpdate: { connections: { connections: ['warehouse'] } } },
    note: 'jobUpdate.connections.connections',
    resources: [
      { type: 'glue:job', id: 'etl' },
      { type: 'glue:connection', id: 'warehouse' },
    ],
  },
  {
    eventName: 'CreateTrigger',
    request: { name: 't2', type: 'ON_DEMAND', actions: [{ jobName: 'etl' }] },
    response: { name: 't2' },
    resources: [
      { type: 'glue:trigger', id: 't2' },
      { type: 'glue:job', id: 'etl' },
    ],
  },
  {
    eventName: 'GetTrigger',
    request: { name: 't3' },
    response: { trigger: { name: 't3', workflowName: 'daily' } },
    note: "the trigger's workflow in the response",
    resources: [
      { type: 'glue:trigger', id: 't3' },
      { type: 'glue:workflow', id: 'daily' },
    ],
  },
  {
    eventName: 'CreateIntegration',
    request: { integrationName: 'zetl', sourceArn: `arn:aws:dynamodb:us-east-1:${ACCT}:table/orders` },
    response: {
      integrationArn: `arn:aws:glue:us-east-1:${ACCT}:integration:0f1e2d3c-aaaa-bbbb-cccc-111122223333`,
    },
    note: 'an integration is named by its ARN; ARNs of other services name nothing',
    resources: [{ type: 'glue:integration', id: '0f1e2d3c-aaaa-bbbb-cccc-111122223333' }],
  },
];

const EMR: Case[] = [
  {
    eventName: 'RunJobFlow',
    request: { name: 'MyCluster' },
    response: { jobFlowId: 'j-2WDJCGEG4E6AJ' },
    resources: [{ type: 'emr:cluster', id: 'j-2WDJCGEG4E6AJ' }],
  },
  {
    eventName: 'RunJobFlow',
    request: { name: 'MyCluster' },
    response: { jobFlowId: 'j-1', clusterArn: `arn:aws:elasticmapreduce:us-west-2:${ACCT}:cluster/j-1` },
    note: 'the cluster ARN names the same cluster',
    resources: [{ type: 'emr:cluster', id: 'j-1' }],
  },
  {
    eventName: 'AddJobFlowSteps',
    request: { jobFlowId: 'j-1', steps: [{ name: 'spark step' }] },
    response: { stepIds: ['s-1', 's-2'] },
    resources: [
      { type: 'emr:step', id: 's-1' },
      { type: 'emr:step', id: 's-2' },
      { type: 'emr:cluster', id: 'j-1' },
    ],
  },
  {
    eventName: 'ListSteps',
    request: { clusterId: 'j-1' },
    note: 'no step named: the cluster comes first',
    resources: [{ type: 'emr:cluster', id: 'j-1' }],
  },
  {
    eventName: 'TerminateJobFlows',
    request: { jobFlowIds: ['j-1', 'j-2'] },
    resources: [
      { type: 'emr:cluster', id: 'j-1' },
      { type: 'emr:cluster', id: 'j-2' },
    ],
  },
  {
    eventName: 'DescribeCluster',
    request: { clusterId: 'j-3' },
    resources: [{ type: 'emr:cluster', id: 'j-3' }],
  },
  {
    eventName: 'AddTags',
    request: { resourceId: 'es-STUDIO1', tags: [] },
    resources: [{ type: 'emr:studio', id: 'es-STUDIO1' }],
  },
  {
    eventName: 'AddTags',
    request: { resourceId: 'j-4', tags: [] },
    resources: [{ type: 'emr:cluster', id: 'j-4' }],
  },
  {
    eventName: 'CreateStudio',
    request: { name: 'lab' },
    response: { studioId: 'es-NEW', url: 'https://x' },
    resources: [{ type: 'emr:studio', id: 'es-NEW' }],
  },
  {
    eventName: 'StartNotebookExecution',
    request: { editorId: 'e-1', executionEngine: { id: 'j-5', type: 'EMR' } },
    response: { notebookExecutionId: 'ex-1' },
    resources: [
      { type: 'emr:notebook-execution', id: 'ex-1' },
      { type: 'emr:notebook', id: 'e-1' },
      { type: 'emr:cluster', id: 'j-5' },
    ],
  },
  {
    eventName: 'PutManagedScalingPolicy',
    request: { clusterId: 'j-6' },
    resources: [{ type: 'emr:cluster', id: 'j-6' }],
  },
  {
    eventName: 'RebootClusterNodes',
    request: { ClusterId: 'j-7' },
    note: 'unlisted event name',
    resources: [{ type: 'emr:cluster', id: 'j-7' }],
  },
  {
    eventName: 'AddInstanceGroups',
    request: { jobFlowId: 'j-1', instanceGroups: [{ instanceRole: 'TASK', instanceCount: 2 }] },
    response: {
      jobFlowId: 'j-1',
      instanceGroupIds: ['ig-1'],
      clusterArn: `arn:aws:elasticmapreduce:us-east-1:${ACCT}:cluster/j-1`,
    },
    resources: [
      { type: 'emr:instance-group', id: 'ig-1' },
      { type: 'emr:cluster', id: 'j-1' },
    ],
  },
  {
    eventName: 'ModifyInstanceFleet',
    request: { clusterId: 'j-2', instanceFleet: { instanceFleetId: 'if-2', targetOnDemandCapacity: 4 } },
    resources: [
      { type: 'emr:instance-fleet', id: 'if-2' },
      { type: 'emr:cluster', id: 'j-2' },
    ],
  },
  {
    eventName: 'CreatePersistentAppUI',
    request: { targetResourceArn: `arn:aws:elasticmapreduce:us-east-1:${ACCT}:cluster/j-3` },
    response: { persistentAppUIId: 'p-3' },
    note: 'targetResourceArn',
    resources: [
      { type: 'emr:persistent-app-ui', id: 'p-3' },
      { type: 'emr:cluster', id: 'j-3' },
    ],
  },
  {
    eventName: 'ListNotebookExecutions',
    request: { executionEngineId: 'j-8' },
    note: 'executionEngineId',
    resources: [{ type: 'emr:cluster', id: 'j-8' }],
  },
  {
    eventName: 'CreateSecurityConfiguration',
    request: { name: 'tls', securityConfiguration: '{}' },
    response: { name: 'tls' },
    resources: [{ type: 'emr:security-configuration', id: 'tls' }],
  },
  // EMR Serverless (emr-serverless.amazonaws.com).
  {
    eventName: 'StartJobRun',
    eventSource: 'emr-serverless.amazonaws.com',
    request: { applicationId: '00app', executionRoleArn: `arn:aws:iam::${ACCT}:role/job` },
    response: {
      applicationId: '00app',
      jobRunId: '00run',
      arn: `arn:aws:emr-serverless:us-east-1:${ACCT}:/applications/00app/jobruns/00run`,
    },
    note: 'EMR Serverless',
    resources: [
      { type: 'emr-serverless:job-run', id: '00run' },
      { type: 'emr-serverless:application', id: '00app' },
    ],
  },
  {
    eventName: 'TagResource',
    eventSource: 'emr-serverless.amazonaws.com',
    request: { resourceArn: `arn:aws:emr-serverless:us-east-1:${ACCT}:/applications/00app`, tags: {} },
    note: 'EMR Serverless ARN',
    resources: [{ type: 'emr-serverless:application', id: '00app' }],
  },
  // EMR on EKS (emr-containers.amazonaws.com).
  {
    eventName: 'StartJobRun',
    eventSource: 'emr-containers.amazonaws.com',
    request: { virtualClusterId: 'vc1', name: 'pi', releaseLabel: 'emr-7.0.0-latest' },
    response: {
      id: 'run1',
      name: 'pi',
      arn: `arn:aws:emr-containers:us-east-1:${ACCT}:/virtualclusters/vc1/jobruns/run1`,
      virtualClusterId: 'vc1',
    },
    note: 'EMR on EKS; the job name is no id',
    resources: [
      { type: 'emr-containers:job-run', id: 'run1' },
      { type: 'emr-containers:virtual-cluster', id: 'vc1' },
    ],
  },
  {
    eventName: 'CancelJobRun',
    eventSource: 'emr-containers.amazonaws.com',
    request: { virtualClusterId: 'vc1', jobRunId: 'run1' },
    note: 'EMR on EKS, path parameters as logged',
    resources: [
      { type: 'emr-containers:job-run', id: 'run1' },
      { type: 'emr-containers:virtual-cluster', id: 'vc1' },
    ],
  },
  {
    eventName: 'CreateManagedEndpoint',
    eventSource: 'emr-containers.amazonaws.com',
    request: { name: 'studio', virtualClusterId: 'vc1', type: 'JUPYTER_ENTERPRISE_GATEWAY' },
    response: { id: 'ep1', name: 'studio', virtualClusterId: 'vc1' },
    resources: [
      { type: 'emr-containers:managed-endpoint', id: 'ep1' },
      { type: 'emr-containers:virtual-cluster', id: 'vc1' },
    ],
  },
  {
    eventName: 'CreateVirtualCluster',
    eventSource: 'emr-containers.amazonaws.com',
    request: { name: 'analytics', securityConfigurationId: 'sc1' },
    response: { id: 'vc2', name: 'analytics' },
    resources: [
      { type: 'emr-containers:virtual-cluster', id: 'vc2' },
      { type: 'emr-containers:security-configuration', id: 'sc1' },
    ],
  },
];

const ATHENA: Case[] = [
  {
    eventName: 'GetPreparedStatement',
    request: { statementName: 'top_orders', workGroup: 'bi' },
    note: 'statement names are unique per workgroup',
    resources: [
      { type: 'athena:prepared-statement', id: 'bi/top_orders' },
      { type: 'athena:workgroup', id: 'bi' },
    ],
  },
  {
    eventName: 'CreateCapacityReservation',
    request: { name: 'reserved', targetDpus: 24 },
    resources: [{ type: 'athena:capacity-reservation', id: 'reserved' }],
  },
  {
    eventName: 'StartQueryExecution',
    request: { query: 'Select 10' },
    response: { queryExecutionId: 'q-1' },
    resources: [{ type: 'athena:query-execution', id: 'q-1' }],
  },
  {
    eventName: 'StartQueryExecution',
    request: {
      queryString: 'select 1',
      workGroup: 'primary',
      queryExecutionContext: { database: 'db', catalog: 'AwsDataCatalog' },
    },
    response: { queryExecutionId: 'q-2' },
    resources: [
      { type: 'athena:query-execution', id: 'q-2' },
      { type: 'athena:data-catalog', id: 'AwsDataCatalog' },
      { type: 'athena:workgroup', id: 'primary' },
    ],
  },
  {
    eventName: 'GetQueryResults',
    request: { queryExecutionId: 'q-3', maxResults: 10 },
    resources: [{ type: 'athena:query-execution', id: 'q-3' }],
  },
  {
    eventName: 'BatchGetQueryExecution',
    request: { queryExecutionIds: ['q-4', 'q-5'] },
    resources: [
      { type: 'athena:query-execution', id: 'q-4' },
      { type: 'athena:query-execution', id: 'q-5' },
    ],
  },
  {
    eventName: 'CreateNamedQuery',
    request: { name: 'johndoetest', database: 'default' },
    response: { namedQueryId: 'nq-1' },
    note: 'the query’s display name is not an id',
    resources: [{ type: 'athena:named-query', id: 'nq-1' }],
  },
  {
    eventName: 'CreateWorkGroup',
    request: { name: 'analysts', configuration: {} },
    resources: [{ type: 'athena:workgroup', id: 'analysts' }],
  },
  {
    eventName: 'DeleteWorkGroup',
    request: { workGroup: 'analysts' },
    resources: [{ type: 'athena:workgroup', id: 'analysts' }],
  },
  {
    eventName: 'CreateDataCatalog',
    request: { name: 'hive', type: 'HIVE' },
    resources: [{ type: 'athena:data-catalog', id: 'hive' }],
  },
  {
    eventName: 'GetTableMetadata',
    request: { catalogName: 'AwsDataCatalog', databaseName: 'db', tableName: 't' },
    note: 'databases and tables inside their catalog',
    resources: [
      { type: 'athena:data-catalog', id: 'AwsDataCatalog' },
      { type: 'athena:database', id: 'AwsDataCatalog/db' },
      { type: 'athena:table', id: 'AwsDataCatalog/db/t' },
    ],
  },
  {
    eventName: 'CreateNotebook',
    request: { workGroup: 'spark', name: 'nb' },
    response: { notebookId: 'nb-1' },
    resources: [
      { type: 'athena:notebook', id: 'nb-1' },
      { type: 'athena:workgroup', id: 'spark' },
    ],
  },
  {
    eventName: 'StartSession',
    request: { workGroup: 'spark' },
    response: { sessionId: 'sess-1', state: 'CREATING' },
    resources: [
      { type: 'athena:session', id: 'sess-1' },
      { type: 'athena:workgroup', id: 'spark' },
    ],
  },
  {
    eventName: 'StartCalculationExecution',
    request: { sessionId: 'sess-1' },
    response: { calculationExecutionId: 'calc-1', state: 'CREATING' },
    resources: [
      { type: 'athena:calculation', id: 'calc-1' },
      { type: 'athena:session', id: 'sess-1' },
    ],
  },
  {
    eventName: 'TagResource',
    request: { resourceARN: `arn:aws:athena:us-east-1:${ACCT}:workgroup/analysts` },
    resources: [{ type: 'athena:workgroup', id: 'analysts' }],
  },
  {
    eventName: 'ExportQueryExecutionResults',
    request: { QueryExecutionId: 'q-9' },
    note: 'unlisted event name',
    resources: [{ type: 'athena:query-execution', id: 'q-9' }],
  },
];

const BATCH: Case[] = [
  {
    eventName: 'CreateComputeEnvironment',
    request: { computeEnvironmentName: 'Test', type: 'MANAGED' },
    response: {
      computeEnvironmentName: 'Test',
      computeEnvironmentArn: `arn:aws:batch:us-east-1:${ACCT}:compute-environment/Test`,
    },
    resources: [{ type: 'batch:compute-environment', id: 'Test' }],
  },
  {
    eventName: 'SubmitJob',
    request: {
      jobName: 'nightly',
      jobQueue: `arn:aws:batch:us-east-1:${ACCT}:job-queue/high`,
      jobDefinition: 'etl:3',
    },
    response: { jobName: 'nightly', jobId: 'abc-123', jobArn: `arn:aws:batch:us-east-1:${ACCT}:job/abc-123` },
    note: 'ARNs reduce to names; a definition’s revision is dropped',
    resources: [
      { type: 'batch:job', id: 'abc-123' },
      { type: 'batch:job-queue', id: 'high' },
      { type: 'batch:job-definition', id: 'etl' },
    ],
  },
  {
    eventName: 'SubmitJob',
    request: { jobName: 'nightly', jobQueue: 'high', jobDefinition: 'etl' },
    note: 'a rejected submission has no job id: the queue comes first',
    resources: [
      { type: 'batch:job-queue', id: 'high' },
      { type: 'batch:job-definition', id: 'etl' },
    ],
  },
  {
    eventName: 'TerminateJob',
    request: { jobId: 'abc-123', reason: 'stop' },
    resources: [{ type: 'batch:job', id: 'abc-123' }],
  },
  {
    eventName: 'DescribeJobs',
    request: { jobs: ['a', 'b'] },
    resources: [
      { type: 'batch:job', id: 'a' },
      { type: 'batch:job', id: 'b' },
    ],
  },
  {
    eventName: 'CreateJobQueue',
    request: {
      jobQueueName: 'high',
      computeEnvironmentOrder: [
        { order: 1, computeEnvironment: `arn:aws:batch:us-east-1:${ACCT}:compute-environment/ce1` },
      ],
    },
    response: { jobQueueName: 'high', jobQueueArn: `arn:aws:batch:us-east-1:${ACCT}:job-queue/high` },
    resources: [
      { type: 'batch:job-queue', id: 'high' },
      { type: 'batch:compute-environment', id: 'ce1' },
    ],
  },
  {
    eventName: 'RegisterJobDefinition',
    request: { jobDefinitionName: 'etl', type: 'container' },
    response: {
      jobDefinitionName: 'etl',
      jobDefinitionArn: `arn:aws:batch:us-east-1:${ACCT}:job-definition/etl:4`,
      revision: 4,
    },
    resources: [{ type: 'batch:job-definition', id: 'etl' }],
  },
  {
    eventName: 'DeregisterJobDefinition',
    request: { jobDefinition: `arn:aws:batch:us-east-1:${ACCT}:job-definition/etl:4` },
    resources: [{ type: 'batch:job-definition', id: 'etl' }],
  },
  {
    eventName: 'TagResource',
    request: { resourceArn: `arn:aws:batch:us-east-1:${ACCT}:job-queue/high` },
    resources: [{ type: 'batch:job-queue', id: 'high' }],
  },
  {
    eventName: 'UpdateJobQueue',
    request: { jobQueue: `arn:aws:batch:us-east-1:${ACCT}:compute-environment/wrong` },
    note: 'an ARN of another kind in a queue field names no queue',
    resources: [],
  },
  {
    eventName: 'PauseJobQueue',
    request: { jobQueue: 'high' },
    note: 'unlisted event name',
    resources: [{ type: 'batch:job-queue', id: 'high' }],
  },
  {
    eventName: 'SubmitJob',
    request: { jobName: 'load', jobQueue: 'high', jobDefinition: 'etl:3', dependsOn: [{ jobId: 'dep-1' }] },
    response: { jobName: 'load', jobId: 'job-2' },
    note: 'dependsOn[].jobId; the submitted job stays first',
    resources: [
      { type: 'batch:job', id: 'job-2' },
      { type: 'batch:job', id: 'dep-1' },
      { type: 'batch:job-queue', id: 'high' },
      { type: 'batch:job-definition', id: 'etl' },
    ],
  },
  {
    eventName: 'CreateSchedulingPolicy',
    request: { name: 'fair', fairsharePolicy: { shareDecaySeconds: 3600 } },
    response: { name: 'fair', arn: `arn:aws:batch:us-east-1:${ACCT}:scheduling-policy/fair` },
    resources: [{ type: 'batch:scheduling-policy', id: 'fair' }],
  },
  {
    eventName: 'UpdateJobQueue',
    request: {
      jobQueue: 'high',
      schedulingPolicyArn: `arn:aws:batch:us-east-1:${ACCT}:scheduling-policy/fair`,
    },
    resources: [
      { type: 'batch:job-queue', id: 'high' },
      { type: 'batch:scheduling-policy', id: 'fair' },
    ],
  },
];

const TABLES: Array<[ServiceName, Case[]]> = [
  ['glue', GLUE],
  ['emr', EMR],
  ['athena', ATHENA],
  ['batch', BATCH],
];

describe.each(TABLES)('%s resources', (service, cases) => {
  it.each(cases.map((c) => [c.eventName + (c.note ? ` (${c.note})` : ''), c] as const))('%s', (_label, c) => {
    // Act
    const resources = resourcesOf(service, c);
    // Assess
    expect(resources).toEqual(c.resources);
  });
});

describe('resource extraction in general', () => {
  it('skips empty and redacted values', () => {
    // Prepare
    const c: Case = {
      eventName: 'StartJobRun',
      request: { jobName: 'HIDDEN_DUE_TO_SECURITY_REASONS', crawlerName: '  ' },
      resources: [],
    };
    // Act
    const resources = resourcesOf('glue', c);
    // Assess
    expect(resources).toEqual([]);
  });

  it('ignores parameters that are not objects and values that are not strings', () => {
    // Prepare
    const c: Case = {
      eventName: 'BatchGetJobs',
      request: ['jobNames'],
      response: { jobs: [{ name: 42 }, { name: 'ok' }, { name: null }] },
      resources: [],
    };
    // Act
    const resources = resourcesOf('glue', c);
    // Assess
    expect(resources).toEqual([{ type: 'glue:job', id: 'ok' }]);
  });

  it(`keeps at most ${MAX_RESOURCES} resources, primary kind first`, () => {
    // Prepare
    const tables = Array.from({ length: 150 }, (_, i) => `t${String(i).padStart(3, '0')}`);
    const c: Case = {
      eventName: 'BatchDeleteTable',
      request: { databaseName: 'db', tablesToDelete: tables },
      resources: [],
    };
    // Act
    const resources = resourcesOf('glue', c);
    // Assess
    expect(resources).toHaveLength(MAX_RESOURCES);
    expect(resources[0]).toEqual({ type: 'glue:table', id: 'db/t000' });
    expect(resources.every((r) => r.type === 'glue:table')).toBe(true);
  });

  it('lists each resource once however many a call names, in the order first named', () => {
    // Prepare: 40 tables, each named twice (past the few that are compared one by one, the rest by key)
    const tables = Array.from({ length: 40 }, (_, i) => `t${String(i).padStart(2, '0')}`);
    const named = tables.flatMap((t, i) => (i % 2 === 0 ? [t, t] : [t]));
    const c: Case = {
      eventName: 'BatchDeleteTable',
      request: { databaseName: 'db', tablesToDelete: [...named, ...tables.slice().reverse()] },
      resources: [],
    };
    // Act
    const resources = resourcesOf('glue', c);
    // Assess
    expect(resources).toEqual([
      ...tables.map((t) => ({ type: 'glue:table', id: `db/${t}` })),
      { type: 'glue:database', id: 'db' },
    ]);
  });

  it('records without parameters have no resources', () => {
    // Prepare
    const raw = {
      eventTime: '2024-05-01T08:00:00Z',
      eventSource: 'glue.amazonaws.com',
      eventName: 'GetJobs',
      eventID: 'e',
    };
    // Act
    const result = normalizeRecord(raw);
    // Assess
    expect(result.ok && result.event.resources).toEqual([]);
  });
});
