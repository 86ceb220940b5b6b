import { getString, type ResourceContext } from '../resource-refs';
import { modelNormalizer, slashArn } from './model-normalizer';
import type { ServiceNormalizer } from './service-normalizer';

// Prepared statement names are unique within a workgroup only: `<workgroup>/<statement>`.
function preparedStatement(value: string, context: ResourceContext): string {
  const workgroup =
    getString(context.container, 'workGroup') ??
    getString(context.container, 'workGroupName') ??
    getString(context.root, 'workGroup');
  return workgroup === undefined ? value : `${workgroup}/${value}`;
}

/** Normalizes Amazon Athena calls (athena.amazonaws.com). */
export const athenaNormalizer: ServiceNormalizer = modelNormalizer('athena', {
  ids: { 'athena:prepared-statement': preparedStatement },
  // arn:aws:athena:<region>:<account>:workgroup/<name>, datacatalog/<name>, capacity-reservation/<name>.
  arn: slashArn('athena', {
    workgroup: 'athena:workgroup',
    datacatalog: 'athena:data-catalog',
    'capacity-reservation': 'athena:capacity-reservation',
  }),
});
