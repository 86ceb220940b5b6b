import type { CloudTrailRecord } from '../cloudtrail-record';
import type { ResourceRef } from '../normalized-event';
import { extractResources, parseArn, type ResourceContext, type ResolveResource } from '../resource-refs';
import { findResponseFailure } from '../response-errors';
import type { ServiceName } from '../services';
import { operationPlan } from './service-models';
import type { ServiceNormalizer } from './service-normalizer';

/** How one service turns values into ids: per-kind rewrites, and what its ARNs name. */
export interface ServiceIds {
  /** Rewrites a value of a kind into its id (qualify, strip a revision); undefined drops it. Default: as is. */
  readonly ids?: Readonly<Record<string, (value: string, context: ResourceContext) => string | undefined>>;
  /**
   * Kinds that are not one kind: the resources a value names (EMR's `resourceId` is a cluster or a studio).
   */
  readonly mixed?: Readonly<Record<string, (value: string) => ResourceRef | undefined>>;
  /** The resources an ARN of this service names, given its parsed parts; empty for other ARNs. */
  readonly arn: (arn: NonNullable<ReturnType<typeof parseArn>>) => readonly ResourceRef[];
}

/** `type/name` ARN resources (Glue, EMR on EC2, Athena, Batch): the kind of `type`, and the name, rewritten. */
export function slashArn(
  service: string,
  kinds: Readonly<Record<string, string>>,
  toId: (name: string, kind: string) => string | undefined = (name) => name,
): ServiceIds['arn'] {
  return (arn) => {
    if (arn.service !== service) return [];
    const slash = arn.resource.indexOf('/');
    if (slash <= 0) return [];
    const type = kinds[arn.resource.slice(0, slash)];
    const id = type === undefined ? undefined : toId(arn.resource.slice(slash + 1), type);
    return type === undefined || id === undefined || id === '' ? [] : [{ type, id }];
  };
}

/**
 * `/type/id/type/id` ARN resources (EMR Serverless, EMR on EKS): every resource on the way, outermost
 * first, e.g. `/applications/00f1/jobruns/00f2` names the application and the job run.
 */
export function pathArn(service: string, kinds: Readonly<Record<string, string>>): ServiceIds['arn'] {
  return (arn) => {
    if (arn.service !== service || !arn.resource.startsWith('/')) return [];
    const parts = arn.resource.slice(1).split('/');
    const refs: ResourceRef[] = [];
    for (let i = 0; i + 1 < parts.length; i += 2) {
      const type = kinds[parts[i]!];
      if (type !== undefined && parts[i + 1] !== '') refs.push({ type, id: parts[i + 1]! });
    }
    return refs;
  };
}

function resolverOf(ids: ServiceIds): ResolveResource {
  return (kind, value, context) => {
    if (kind === 'arn' || value.startsWith('arn:')) {
      const arn = parseArn(value);
      if (!arn) return [];
      const refs = ids.arn(arn);
      // A name-or-ARN member names its own kind only: a compute environment's ARN where a queue is
      // expected names nothing.
      return kind === 'arn' ? refs : refs.filter((r) => r.type === kind);
    }
    const mixed = ids.mixed?.[kind];
    if (mixed) {
      const ref = mixed(value);
      return ref ? [ref] : [];
    }
    const rewrite = ids.ids?.[kind];
    const id = rewrite ? rewrite(value, context) : value;
    return id === undefined ? [] : [{ type: kind, id }];
  };
}

/**
 * A normalizer driven by the generated model table: the event name's resource paths, resolved with the
 * service's id rules, and its failure members.
 */
export function modelNormalizer(service: ServiceName, ids: ServiceIds): ServiceNormalizer {
  const resolve = resolverOf(ids);
  return {
    service,
    resources: (record: CloudTrailRecord) => {
      const plan = operationPlan(record.eventSource, record.eventName);
      return plan ? extractResources(record, plan, resolve) : [];
    },
    responseFailure: (record: CloudTrailRecord) =>
      findResponseFailure(
        record.responseElements,
        operationPlan(record.eventSource, record.eventName)?.failureMembers,
      ),
  };
}
