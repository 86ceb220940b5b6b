import type { CloudTrailRecord } from '../cloudtrail-record';
import {
  extractResources,
  nameFromNameOrArn,
  resourceFromArn,
  resourceOf,
  type ResourceSpec,
} from '../resource-refs';
import { findResponseFailure } from '../response-errors';
import type { ServiceNormalizer } from './service-normalizer';

// Batch APIs accept a name or an ARN for the same queue, environment or definition. One id per
// resource keeps the table's byResource index whole, so ARNs are reduced to the name they end in,
// and a job definition's `:revision` is dropped (the definition is the family; raw parameters keep it).
function jobDefinitionName(value: string): string | undefined {
  const name = nameFromNameOrArn(value, 'job-definition');
  return name?.replace(/:\d+$/, '');
}

const queue = resourceOf('batch:job-queue', (v) => nameFromNameOrArn(v, 'job-queue'));
const environment = resourceOf('batch:compute-environment', (v) =>
  nameFromNameOrArn(v, 'compute-environment'),
);
const definition = resourceOf('batch:job-definition', jobDefinitionName);
const job = resourceOf('batch:job', (v) => nameFromNameOrArn(v, 'job'));

/** Field names that name Batch resources, for any Batch event name. */
export const BATCH_RESOURCES: ResourceSpec = {
  // "Job" last: CreateJobQueue and RegisterJobDefinition also contain it.
  primary: [
    { pattern: /JobQueue/, type: 'batch:job-queue' },
    { pattern: /ComputeEnvironment/, type: 'batch:compute-environment' },
    { pattern: /JobDefinition/, type: 'batch:job-definition' },
    { pattern: /Job/, type: 'batch:job' },
  ],
  rules: [
    // Jobs by id (SubmitJob answers jobId; DescribeJobs takes `jobs`); a job's name is not unique.
    { field: 'jobId', ref: job },
    { field: 'jobArn', ref: job },
    { field: 'jobs', ref: job },
    { field: 'jobId', within: ['jobs'], ref: job },
    { field: 'jobQueue', ref: queue },
    { field: 'jobQueueName', ref: queue },
    { field: 'jobQueueArn', ref: queue },
    { field: 'jobQueues', ref: queue },
    { field: 'jobQueueName', within: ['jobQueues'], ref: queue },
    { field: 'jobQueue', within: ['jobs'], ref: queue },
    { field: 'computeEnvironment', ref: environment },
    { field: 'computeEnvironmentName', ref: environment },
    { field: 'computeEnvironmentArn', ref: environment },
    { field: 'computeEnvironments', ref: environment },
    { field: 'computeEnvironment', within: ['computeEnvironmentOrder'], ref: environment },
    { field: 'computeEnvironmentName', within: ['computeEnvironments'], ref: environment },
    { field: 'jobDefinition', ref: definition },
    { field: 'jobDefinitionName', ref: definition },
    { field: 'jobDefinitionArn', ref: definition },
    { field: 'jobDefinitions', ref: definition },
    { field: 'jobDefinitionName', within: ['jobDefinitions'], ref: definition },
    { field: 'jobDefinition', within: ['jobs'], ref: definition },
    // Tagging APIs: arn:aws:batch:<region>:<account>:<type>/<name>.
    {
      field: 'resourceArn',
      ref: resourceFromArn(
        'batch',
        {
          job: 'batch:job',
          'job-queue': 'batch:job-queue',
          'compute-environment': 'batch:compute-environment',
          'job-definition': 'batch:job-definition',
        },
        (name, arnType) => (arnType === 'job-definition' ? name.replace(/:\d+$/, '') : name),
      ),
    },
  ],
};

/** Normalizes AWS Batch calls (batch.amazonaws.com). */
export const batchNormalizer: ServiceNormalizer = {
  service: 'batch',
  resources: (record: CloudTrailRecord) => extractResources(record, BATCH_RESOURCES),
  responseFailure: (record: CloudTrailRecord) => findResponseFailure(record.responseElements),
};
