import type { ResourceRef } from './normalized-event';

import type { ResourcePath } from './normalizers/service-models';

// Which member paths name which resource kind comes from the AWS API models (see
// normalizers/service-models.ts); this file walks those paths and keeps each resource once. How a
// value becomes an id (a table qualified by its database, an ARN reduced to a name) is each service
// normalizer's business, through a ResolveResource.

/** Where a value was found, for ids that depend on a neighbouring field (a table's database). */
export interface ResourceContext {
  readonly eventName: string;
  /** The object holding the value: requestParameters, responseElements, or an object nested in them. */
  readonly container: Readonly<Record<string, unknown>>;
  /** requestParameters or responseElements, whichever the value was found in. */
  readonly root: Readonly<Record<string, unknown>>;
}

/** Turns one value of a kind (or `arn`) into the resources it names; empty to drop it. */
export type ResolveResource = (
  kind: string,
  value: string,
  context: ResourceContext,
) => readonly ResourceRef[];

/** The paths to walk for one call (see OperationPlan). */
export interface ResourcePlan {
  readonly primary: string | undefined;
  readonly request: readonly ResourcePath[];
  readonly response: readonly ResourcePath[];
}

/** The subset of a record resource extraction reads. */
export interface ResourceSource {
  readonly eventName: string;
  readonly requestParameters?: unknown;
  readonly responseElements?: unknown;
}

/** At most this many resources per event: a batch call naming hundreds of tables must not bloat the item. */
export const MAX_RESOURCES = 100;
/** Longer values are not identifiers (DynamoDB key attributes also cap at 2 KB). */
const MAX_ID_LENGTH = 1024;
/** What CloudTrail writes in place of values it withholds. */
const REDACTED = 'HIDDEN_DUE_TO_SECURITY_REASONS';

/** A plain JSON object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a field by name, ignoring case. */
export function getField(obj: Readonly<Record<string, unknown>>, name: string): unknown {
  if (Object.prototype.hasOwnProperty.call(obj, name)) return obj[name];
  const wanted = name.toLowerCase();
  for (const key of Object.keys(obj)) {
    if (key.toLowerCase() === wanted) return obj[key];
  }
  return undefined;
}

/** Reads a string field by name, ignoring case; undefined when absent, empty or not a string. */
export function getString(obj: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = getField(obj, name);
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** The parts of an ARN (`arn:partition:service:region:account:resource`), or undefined when it is not one. */
export function parseArn(
  value: string,
): { service: string; region: string; accountId: string; resource: string } | undefined {
  const parts = value.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  const [, , service = '', region = '', accountId = ''] = parts;
  const resource = parts.slice(5).join(':');
  return resource === '' ? undefined : { service, region, accountId, resource };
}

/**
 * The name inside an ARN whose resource part starts with `<resourceType>/`, e.g. `Test` of
 * `arn:aws:batch:us-east-1:012345678910:compute-environment/Test`; a value that is not an ARN is returned
 * as is (APIs that take "name or ARN"); an ARN of another resource type gives undefined.
 */
export function nameFromNameOrArn(value: string, resourceType: string): string | undefined {
  if (!value.startsWith('arn:')) return value;
  const arn = parseArn(value);
  if (!arn) return undefined;
  const prefix = `${resourceType}/`;
  return arn.resource.startsWith(prefix) && arn.resource.length > prefix.length
    ? arn.resource.slice(prefix.length)
    : undefined;
}

function usableId(id: string): boolean {
  const trimmed = id.trim();
  return trimmed !== '' && trimmed.length <= MAX_ID_LENGTH && trimmed !== REDACTED;
}

// Calls `visit` with each string at the end of `segments` under `root` and the object holding it: lists
// are flattened at every step, `*` stands for every value of a map, anything else is ignored.
function visitStrings(
  root: Record<string, unknown>,
  segments: readonly string[],
  visit: (value: string, container: Record<string, unknown>) => void,
): void {
  let current: Record<string, unknown>[] = [root];
  const last = segments.length - 1;
  for (let i = 0; i < last; i++) {
    const step = segments[i]!;
    const next: Record<string, unknown>[] = [];
    for (const obj of current) {
      const values = step === '*' ? Object.values(obj) : [getField(obj, step)];
      for (const value of values) {
        if (isObject(value)) next.push(value);
        else if (Array.isArray(value)) for (const item of value) if (isObject(item)) next.push(item);
      }
    }
    if (next.length === 0) return;
    current = next;
  }
  const field = segments[last]!;
  for (const container of current) {
    const value = getField(container, field);
    if (typeof value === 'string') visit(value, container);
    else if (Array.isArray(value)) for (const v of value) if (typeof v === 'string') visit(v, container);
  }
}

/**
 * The resources a call names at the plan's paths in its requestParameters and responseElements,
 * deduplicated, the primary kind first (top-level members before nested ones), then in the order found
 * (request before response, path order).
 */
export function extractResources(
  source: ResourceSource,
  plan: ResourcePlan,
  resolve: ResolveResource,
): ResourceRef[] {
  const found: ResourceRef[] = [];
  // Primary-kind resources named at the top level come first: SubmitJob's own jobId before the jobs of
  // its dependsOn list, which name the same kind one level down.
  const topPrimary = new Set<ResourceRef>();
  const seen = new Set<string>();
  const sides = [
    [source.requestParameters, plan.request],
    [source.responseElements, plan.response],
  ] as const;
  for (const [root, paths] of sides) {
    if (!isObject(root)) continue;
    for (const path of paths) {
      visitStrings(root, path.segments, (raw, container) => {
        if (!usableId(raw)) return;
        for (const ref of resolve(path.kind, raw.trim(), { eventName: source.eventName, container, root })) {
          if (!usableId(ref.id)) continue;
          const key = `${ref.type}#${ref.id}`;
          if (seen.has(key)) continue;
          seen.add(key);
          found.push(ref);
          if (ref.type === plan.primary && path.segments.length === 1) topPrimary.add(ref);
        }
      });
    }
  }
  const primary = plan.primary;
  const ordered =
    primary === undefined
      ? found
      : [
          ...found.filter((r) => topPrimary.has(r)),
          ...found.filter((r) => r.type === primary && !topPrimary.has(r)),
          ...found.filter((r) => r.type !== primary),
        ];
  return ordered.slice(0, MAX_RESOURCES);
}
