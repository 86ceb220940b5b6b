import type { ResourceRef } from '../normalized-event';
import { modelNormalizer, pathArn, slashArn } from './model-normalizer';
import type { ServiceNormalizer } from './service-normalizer';

// Amazon EMR has three flavours, each with its own CloudTrail source and API: EMR on EC2
// (elasticmapreduce), EMR Serverless and EMR on EKS (emr-containers). They are one service in the
// table; the event source and the resource kinds' prefixes tell them apart.

// AddTags / RemoveTags name a cluster (`j-...`) or a studio (`es-...`) by the same member.
function clusterOrStudio(value: string): ResourceRef | undefined {
  if (value.startsWith('j-')) return { type: 'emr:cluster', id: value };
  if (value.startsWith('es-')) return { type: 'emr:studio', id: value };
  return undefined;
}

const onEc2Arn = slashArn('elasticmapreduce', {
  cluster: 'emr:cluster',
  studio: 'emr:studio',
  'notebook-execution': 'emr:notebook-execution',
  editor: 'emr:notebook',
});
const serverlessArn = pathArn('emr-serverless', {
  applications: 'emr-serverless:application',
  jobruns: 'emr-serverless:job-run',
  sessions: 'emr-serverless:session',
});
const onEksArn = pathArn('emr-containers', {
  virtualclusters: 'emr-containers:virtual-cluster',
  jobruns: 'emr-containers:job-run',
  endpoints: 'emr-containers:managed-endpoint',
  jobtemplates: 'emr-containers:job-template',
  securityconfigurations: 'emr-containers:security-configuration',
});

/** Normalizes Amazon EMR calls of every flavour (elasticmapreduce, emr-serverless, emr-containers). */
export const emrNormalizer: ServiceNormalizer = modelNormalizer('emr', {
  mixed: { 'emr:cluster-or-studio': clusterOrStudio },
  // A call of one flavour can name another's resource (CreatePersistentAppUI's targetResourceArn).
  arn: (arn) => [...onEc2Arn(arn), ...serverlessArn(arn), ...onEksArn(arn)],
});
