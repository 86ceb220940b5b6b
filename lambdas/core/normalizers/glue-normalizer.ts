import type { ResourceRef } from '../normalized-event';
import { getString, type ResourceContext } from '../resource-refs';
import { modelNormalizer, slashArn } from './model-normalizer';
import type { ServiceNormalizer } from './service-normalizer';

// Names that repeat across a parent are qualified by it, the way their ARNs are: a table is
// `<database>/<table>` (every Glue table API names the database), a function `<database>/<function>`,
// a schema `<registry>/<schema>`.
function qualifiedBy(parentField: string): (value: string, context: ResourceContext) => string {
  return (value, context) => {
    const parent = getString(context.container, parentField) ?? getString(context.root, parentField);
    return parent === undefined ? value : `${parent}/${value}`;
  };
}

const byType = slashArn('glue', {
  job: 'glue:job',
  crawler: 'glue:crawler',
  trigger: 'glue:trigger',
  workflow: 'glue:workflow',
  database: 'glue:database',
  table: 'glue:table',
  connection: 'glue:connection',
  session: 'glue:session',
  devEndpoint: 'glue:dev-endpoint',
  mlTransform: 'glue:ml-transform',
  blueprint: 'glue:blueprint',
  dataQualityRuleset: 'glue:data-quality-ruleset',
  registry: 'glue:registry',
  schema: 'glue:schema',
  userDefinedFunction: 'glue:user-defined-function',
});

// Zero-ETL integrations are named by ARN only, `...:integration:<uuid>`: the uuid is the id.
function integration(resource: string): ResourceRef[] {
  const id = resource.slice('integration:'.length);
  return id === '' ? [] : [{ type: 'glue:integration', id }];
}

/** Normalizes AWS Glue calls (glue.amazonaws.com). */
export const glueNormalizer: ServiceNormalizer = modelNormalizer('glue', {
  ids: {
    'glue:table': qualifiedBy('databaseName'),
    'glue:user-defined-function': qualifiedBy('databaseName'),
    'glue:schema': qualifiedBy('registryName'),
  },
  // arn:aws:glue:<region>:<account>:<type>/<name>; tables and schemas carry their parent in the name.
  arn: (arn) =>
    arn.service === 'glue' && arn.resource.startsWith('integration:')
      ? integration(arn.resource)
      : byType(arn),
});
