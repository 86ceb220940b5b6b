import type { CloudTrailRecord } from '../cloudtrail-record';
import {
  extractResources,
  getString,
  resourceFromArn,
  resourceOf,
  resourceOfPrimary,
  type ResourceContext,
  type ResourceSpec,
} from '../resource-refs';
import { findResponseFailure } from '../response-errors';
import type { ServiceNormalizer } from './service-normalizer';

// Table names repeat across databases, so a table's id is `<database>/<table>` (the path its ARN uses)
// whenever the call names the database, which every Glue table API does.
function qualifiedTable(table: string, context: ResourceContext): string {
  const database = getString(context.container, 'databaseName') ?? getString(context.root, 'databaseName');
  return database === undefined ? table : `${database}/${table}`;
}

const NAMED_BY_EVENT = [
  'glue:crawler',
  'glue:job',
  'glue:trigger',
  'glue:workflow',
  'glue:database',
  'glue:table',
  'glue:connection',
];

const triggerParts = [[], ['triggerUpdate']] as const;

/** Field names that name Glue resources, for any Glue event name. */
export const GLUE_RESOURCES: ResourceSpec = {
  // Order matters where one name holds another: GetCrawlerMetrics is about crawlers, StartWorkflowRun
  // about a workflow, GetPartitions about a table, and "Job" comes last because it is the commonest word.
  primary: [
    { pattern: /Crawler/, type: 'glue:crawler' },
    { pattern: /Workflow/, type: 'glue:workflow' },
    { pattern: /Trigger/, type: 'glue:trigger' },
    { pattern: /Connection/, type: 'glue:connection' },
    { pattern: /Session|Statement/, type: 'glue:session' },
    { pattern: /Table|Partition/, type: 'glue:table' },
    { pattern: /Database/, type: 'glue:database' },
    { pattern: /Job/, type: 'glue:job' },
  ],
  rules: [
    // The generic `name` (CreateJob, DeleteCrawler, GetTrigger, StartWorkflowRun, GetDatabase, GetTable,
    // UpdateConnection, ...) names whatever the event name is about.
    {
      field: 'name',
      ref: resourceOfPrimary(NAMED_BY_EVENT, (value, context, type) =>
        type === 'glue:table' ? qualifiedTable(value, context) : value,
      ),
    },
    { field: 'names', ref: resourceOfPrimary(['glue:workflow']) },
    { field: 'id', ref: resourceOfPrimary(['glue:session']) },
    { field: 'crawlerName', ref: resourceOf('glue:crawler') },
    { field: 'crawlerNames', ref: resourceOf('glue:crawler') },
    { field: 'crawlerNameList', ref: resourceOf('glue:crawler') },
    { field: 'jobName', ref: resourceOf('glue:job') },
    { field: 'jobNames', ref: resourceOf('glue:job') },
    { field: 'dependentJobName', ref: resourceOf('glue:job') },
    { field: 'triggerName', ref: resourceOf('glue:trigger') },
    { field: 'triggerNames', ref: resourceOf('glue:trigger') },
    { field: 'workflowName', ref: resourceOf('glue:workflow') },
    { field: 'connectionName', ref: resourceOf('glue:connection') },
    { field: 'connectionNameList', ref: resourceOf('glue:connection') },
    { field: 'name', within: ['connectionInput'], ref: resourceOf('glue:connection') },
    { field: 'connections', within: ['connections'], ref: resourceOf('glue:connection') },
    { field: 'tableName', ref: resourceOf('glue:table', qualifiedTable) },
    { field: 'name', within: ['tableInput'], ref: resourceOf('glue:table', qualifiedTable) },
    { field: 'tablesToDelete', ref: resourceOf('glue:table', qualifiedTable) },
    { field: 'databaseName', ref: resourceOf('glue:database') },
    { field: 'name', within: ['databaseInput'], ref: resourceOf('glue:database') },
    { field: 'databaseName', within: ['targets', 'catalogTargets'], ref: resourceOf('glue:database') },
    { field: 'sessionId', ref: resourceOf('glue:session') },
    { field: 'id', within: ['session'], ref: resourceOf('glue:session') },
    // Triggers start jobs and crawlers and wait on others: those are the resources a trigger call touches.
    ...triggerParts.flatMap((base) => [
      { field: 'jobName', within: [...base, 'actions'], ref: resourceOf('glue:job') },
      { field: 'crawlerName', within: [...base, 'actions'], ref: resourceOf('glue:crawler') },
      { field: 'jobName', within: [...base, 'predicate', 'conditions'], ref: resourceOf('glue:job') },
      { field: 'crawlerName', within: [...base, 'predicate', 'conditions'], ref: resourceOf('glue:crawler') },
    ]),
    // Tagging APIs name the resource by ARN: arn:aws:glue:<region>:<account>:<type>/<name>.
    {
      field: 'resourceArn',
      ref: resourceFromArn('glue', {
        job: 'glue:job',
        crawler: 'glue:crawler',
        trigger: 'glue:trigger',
        workflow: 'glue:workflow',
        database: 'glue:database',
        table: 'glue:table',
        connection: 'glue:connection',
        session: 'glue:session',
      }),
    },
  ],
};

/** Normalizes AWS Glue calls (glue.amazonaws.com). */
export const glueNormalizer: ServiceNormalizer = {
  service: 'glue',
  resources: (record: CloudTrailRecord) => extractResources(record, GLUE_RESOURCES),
  responseFailure: (record: CloudTrailRecord) => findResponseFailure(record.responseElements),
};
