import type { CloudTrailRecord } from '../cloudtrail-record';
import {
  extractResources,
  resourceFromArn,
  resourceOf,
  resourceOfPrimary,
  type ResourceSpec,
} from '../resource-refs';
import { findResponseFailure } from '../response-errors';
import type { ServiceNormalizer } from './service-normalizer';

/** Field names that name Athena resources, for any Athena event name. */
export const ATHENA_RESOURCES: ResourceSpec = {
  // Calculation before Session: StartCalculationExecution names a session but is about the calculation.
  primary: [
    { pattern: /QueryExecution|QueryResults|QueryRuntimeStatistics/, type: 'athena:query-execution' },
    { pattern: /NamedQuer/, type: 'athena:named-query' },
    { pattern: /WorkGroup/, type: 'athena:workgroup' },
    { pattern: /DataCatalog/, type: 'athena:data-catalog' },
    { pattern: /Notebook/, type: 'athena:notebook' },
    { pattern: /Calculation/, type: 'athena:calculation' },
    { pattern: /Session/, type: 'athena:session' },
  ],
  rules: [
    { field: 'queryExecutionId', ref: resourceOf('athena:query-execution') },
    { field: 'queryExecutionIds', ref: resourceOf('athena:query-execution') },
    { field: 'queryExecutionId', within: ['queryExecution'], ref: resourceOf('athena:query-execution') },
    { field: 'queryExecutionId', within: ['queryExecutions'], ref: resourceOf('athena:query-execution') },
    {
      field: 'queryExecutionId',
      within: ['unprocessedQueryExecutionIds'],
      ref: resourceOf('athena:query-execution'),
    },
    { field: 'namedQueryId', ref: resourceOf('athena:named-query') },
    { field: 'namedQueryIds', ref: resourceOf('athena:named-query') },
    { field: 'namedQueryId', within: ['namedQuery'], ref: resourceOf('athena:named-query') },
    { field: 'namedQueryId', within: ['namedQueries'], ref: resourceOf('athena:named-query') },
    { field: 'namedQueryId', within: ['unprocessedNamedQueryIds'], ref: resourceOf('athena:named-query') },
    // CreateWorkGroup and the data catalog APIs call their subject just `name`.
    { field: 'name', ref: resourceOfPrimary(['athena:workgroup', 'athena:data-catalog']) },
    { field: 'workGroup', ref: resourceOf('athena:workgroup') },
    { field: 'workGroup', within: ['queryExecution'], ref: resourceOf('athena:workgroup') },
    { field: 'workGroup', within: ['namedQuery'], ref: resourceOf('athena:workgroup') },
    { field: 'catalogName', ref: resourceOf('athena:data-catalog') },
    { field: 'catalog', within: ['queryExecutionContext'], ref: resourceOf('athena:data-catalog') },
    {
      field: 'catalog',
      within: ['queryExecution', 'queryExecutionContext'],
      ref: resourceOf('athena:data-catalog'),
    },
    { field: 'notebookId', ref: resourceOf('athena:notebook') },
    { field: 'notebookId', within: ['notebookMetadata'], ref: resourceOf('athena:notebook') },
    { field: 'sessionId', ref: resourceOf('athena:session') },
    { field: 'calculationExecutionId', ref: resourceOf('athena:calculation') },
    // Tagging APIs: arn:aws:athena:<region>:<account>:workgroup/<name> or datacatalog/<name>.
    {
      field: 'resourceARN',
      ref: resourceFromArn('athena', { workgroup: 'athena:workgroup', datacatalog: 'athena:data-catalog' }),
    },
  ],
};

/** Normalizes Amazon Athena calls (athena.amazonaws.com). */
export const athenaNormalizer: ServiceNormalizer = {
  service: 'athena',
  resources: (record: CloudTrailRecord) => extractResources(record, ATHENA_RESOURCES),
  responseFailure: (record: CloudTrailRecord) => findResponseFailure(record.responseElements),
};
