import { modelNormalizer, slashArn } from './model-normalizer';
import type { ServiceNormalizer } from './service-normalizer';

// Batch APIs accept a name or an ARN for the same queue, environment or definition. One id per
// resource keeps the table's byResource index whole, so ARNs are reduced to the name they end in,
// and a job definition's `:revision` is dropped (the definition is the family; raw parameters keep it).
const withoutRevision = (name: string): string => name.replace(/:\d+$/, '');

/** Normalizes AWS Batch calls (batch.amazonaws.com). */
export const batchNormalizer: ServiceNormalizer = modelNormalizer('batch', {
  ids: { 'batch:job-definition': withoutRevision },
  // arn:aws:batch:<region>:<account>:<type>/<name>; a job's ARN ends in its id.
  arn: slashArn(
    'batch',
    {
      job: 'batch:job',
      'job-queue': 'batch:job-queue',
      'compute-environment': 'batch:compute-environment',
      'job-definition': 'batch:job-definition',
      'scheduling-policy': 'batch:scheduling-policy',
      'consumable-resource': 'batch:consumable-resource',
      'service-environment': 'batch:service-environment',
      'quota-share': 'batch:quota-share',
    },
    (name, kind) => (kind === 'batch:job-definition' ? withoutRevision(name) : name),
  ),
});
