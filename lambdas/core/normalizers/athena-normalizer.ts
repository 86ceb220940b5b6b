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

// Databases and tables live in a data catalog: `<catalog>/<database>` and `<catalog>/<database>/<table>`.
function inCatalog(value: string, context: ResourceContext): string {
  const catalog = getString(context.container, 'catalogName') ?? getString(context.root, 'catalogName');
  return catalog === undefined ? value : `${catalog}/${value}`;
}

function catalogTable(value: string, context: ResourceContext): string {
  const database = getString(context.container, 'databaseName') ?? getString(context.root, 'databaseName');
  return inCatalog(database === undefined ? value : `${database}/${value}`, context);
}

/** Normalizes Amazon Athena calls (athena.amazonaws.com). */
export const athenaNormalizer: ServiceNormalizer = modelNormalizer('athena', {
  ids: {
    'athena:prepared-statement': preparedStatement,
    'athena:database': inCatalog,
    'athena:table': catalogTable,
  },
  // arn:aws:athena:<region>:<account>:workgroup/<name>, datacatalog/<name>, capacity-reservation/<name>.
  arn: slashArn('athena', {
    workgroup: 'athena:workgroup',
    datacatalog: 'athena:data-catalog',
    'capacity-reservation': 'athena:capacity-reservation',
  }),
});
