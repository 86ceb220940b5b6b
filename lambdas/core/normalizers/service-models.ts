import { inflateRawSync } from 'node:zlib';
import { SERVICE_MODELS_DEFLATED } from './service-models-deflated.generated';
import type { ServiceModel, ServiceModels } from './service-models-schema';

// The table scripts/generate-service-models.py builds from the AWS API models (botocore): for each
// CloudTrail event source and event name (API operation), the member paths that name a resource, in the
// request and in the response, and the response members that list per-item failures. Resource
// extraction then walks a few known paths per record instead of searching every field by name.

/** A member path that names a resource kind; `arn` means "whatever the ARN names". */
export interface ResourcePath {
  readonly segments: readonly string[];
  readonly kind: string;
}

/** What the normalizers need for one event name of one event source. */
export interface OperationPlan {
  /** The kind the event name is about; listed first so the table's byResource index keys on it. */
  readonly primary: string | undefined;
  readonly request: readonly ResourcePath[];
  readonly response: readonly ResourcePath[];
  /** Response members that list failed items; undefined when the model does not know the event name. */
  readonly failureMembers: readonly string[] | undefined;
}

/** The generated table, as the generator wrote service-models.generated.json. */
export function loadServiceModels(): ServiceModels {
  // Deflated, the table is 16 KB of the function's bundle instead of 123 KB as an object literal;
  // inflating and parsing it takes about 2 ms, no more than compiling the literal did. The file is
  // generated and validated by test/unit/service-models.test.ts; parsing 130 KB with zod at every cold
  // start would cost more than it protects.
  const text = inflateRawSync(Buffer.from(SERVICE_MODELS_DEFLATED, 'base64')).toString('utf8');
  return JSON.parse(text) as ServiceModels;
}

const MODELS = loadServiceModels().models;

const BY_EVENT_SOURCE: ReadonlyMap<string, ServiceModel> = new Map(
  Object.values(MODELS).map((m) => [m.eventSource, m]),
);

/** The event sources the table has models for. */
export const MODEL_EVENT_SOURCES: readonly string[] = [...BY_EVENT_SOURCE.keys()];

const toPaths = (entries: readonly (readonly [string, string])[] | undefined): ResourcePath[] =>
  (entries ?? []).map(([path, kind]) => ({ segments: path.split('.'), kind }));

// By event source, then event name: two lookups, no key string built per record.
const plans = new Map<string, Map<string, OperationPlan | undefined>>();
let planCount = 0;

function buildPlan(eventSource: string, eventName: string): OperationPlan | undefined {
  const model = BY_EVENT_SOURCE.get(eventSource);
  if (!model) return undefined;
  const op = Object.prototype.hasOwnProperty.call(model.operations, eventName)
    ? model.operations[eventName]
    : undefined;
  if (op) {
    return {
      primary: op.p,
      request: toPaths(op.req),
      response: toPaths(op.res),
      failureMembers: op.fail ?? [],
    };
  }
  // An event name newer than the models: the members that mean one kind everywhere, and a generic name
  // or id for the kind its name is about.
  const primary = model.primary.find(([pattern]) => new RegExp(pattern).test(eventName))?.[1];
  const generic = model.generic
    .filter(([p]) => p === primary)
    .map(([, member, kind]) => [member, kind] as const);
  const paths = toPaths([...model.fallback, ...generic]);
  return { primary, request: paths, response: paths, failureMembers: undefined };
}

/**
 * The resource paths and failure members of one call, from the generated table; computed once per event
 * name. Undefined for event sources the table has no model for.
 */
export function operationPlan(eventSource: string, eventName: string): OperationPlan | undefined {
  let byName = plans.get(eventSource);
  if (byName === undefined) {
    byName = new Map();
    // Event sources are bounded by what CloudTrail writes, but a hostile file could invent many.
    if (planCount < 10_000) plans.set(eventSource, byName);
  }
  if (byName.has(eventName)) return byName.get(eventName);
  const plan = buildPlan(eventSource, eventName);
  // Unknown event names are bounded by what CloudTrail writes, but a hostile file could invent many.
  if (planCount < 10_000) {
    byName.set(eventName, plan);
    planCount++;
  }
  return plan;
}

/** The operations the table knows per event source, for coverage reports and tests. */
export function modelOperations(eventSource: string): readonly string[] {
  return Object.keys(BY_EVENT_SOURCE.get(eventSource)?.operations ?? {});
}
