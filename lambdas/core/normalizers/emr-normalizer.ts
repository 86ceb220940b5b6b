import type { CloudTrailRecord } from '../cloudtrail-record';
import type { ResourceRef } from '../normalized-event';
import { extractResources, nameFromNameOrArn, resourceOf, type ResourceSpec } from '../resource-refs';
import { findResponseFailure } from '../response-errors';
import type { ServiceNormalizer } from './service-normalizer';

// EMR ids say what they are: clusters `j-...`, studios `es-...`, steps `s-...`, notebook executions `ex-...`.
function byIdPrefix(value: string): ResourceRef | undefined {
  if (value.startsWith('j-')) return { type: 'emr:cluster', id: value };
  if (value.startsWith('es-')) return { type: 'emr:studio', id: value };
  return undefined;
}

function clusterId(value: string): string | undefined {
  return value.startsWith('j-') ? value : undefined;
}

/** Field names that name EMR resources, for any EMR event name. */
export const EMR_RESOURCES: ResourceSpec = {
  // A call is about a cluster unless its name says step, studio or notebook execution
  // (RunJobFlow, TerminateJobFlows, ModifyInstanceGroups, PutAutoScalingPolicy, ... are cluster calls).
  primary: [
    { pattern: /Step/, type: 'emr:step' },
    { pattern: /NotebookExecution/, type: 'emr:notebook-execution' },
    { pattern: /Studio/, type: 'emr:studio' },
    { pattern: /./, type: 'emr:cluster' },
  ],
  rules: [
    { field: 'jobFlowId', ref: resourceOf('emr:cluster') },
    { field: 'clusterId', ref: resourceOf('emr:cluster') },
    { field: 'jobFlowIds', ref: resourceOf('emr:cluster') },
    { field: 'clusterIds', ref: resourceOf('emr:cluster') },
    { field: 'clusterArn', ref: resourceOf('emr:cluster', (v) => nameFromNameOrArn(v, 'cluster')) },
    { field: 'id', within: ['cluster'], ref: resourceOf('emr:cluster', clusterId) },
    { field: 'id', within: ['executionEngine'], ref: resourceOf('emr:cluster', clusterId) },
    // AddTags / RemoveTags take a cluster or a studio id.
    { field: 'resourceId', ref: byIdPrefix },
    { field: 'stepId', ref: resourceOf('emr:step') },
    { field: 'stepIds', ref: resourceOf('emr:step') },
    { field: 'id', within: ['step'], ref: resourceOf('emr:step') },
    { field: 'studioId', ref: resourceOf('emr:studio') },
    { field: 'studioArn', ref: resourceOf('emr:studio', (v) => nameFromNameOrArn(v, 'studio')) },
    { field: 'notebookExecutionId', ref: resourceOf('emr:notebook-execution') },
  ],
};

/** Normalizes Amazon EMR calls (elasticmapreduce.amazonaws.com). */
export const emrNormalizer: ServiceNormalizer = {
  service: 'emr',
  resources: (record: CloudTrailRecord) => extractResources(record, EMR_RESOURCES),
  responseFailure: (record: CloudTrailRecord) => findResponseFailure(record.responseElements),
};
