import type { ResourceRef } from './normalized-event';

// Resources are found by field name rather than by event name, so that calls this code has never
// seen (new APIs, rarely used ones) still yield their job, crawler, cluster or query. Each service
// normalizer declares which field names name which resource kind; this file does the walking.

/** Where a field was found, for rules whose id depends on a neighbouring field. */
export interface ResourceContext {
  readonly eventName: string;
  /** The object holding the field: requestParameters, responseElements, or an object nested in them. */
  readonly container: Readonly<Record<string, unknown>>;
  /** requestParameters or responseElements, whichever the field was found in. */
  readonly root: Readonly<Record<string, unknown>>;
  /** The kind of resource the event name is about (see ResourceSpec.primary), if any. */
  readonly primaryType: string | undefined;
}

/** Turns one string value into a resource reference, or undefined to drop it. */
export type ToResourceRef = (value: string, context: ResourceContext) => ResourceRef | undefined;

/** One field name that names a resource. */
export interface ResourceRule {
  /** Field name, matched case-insensitively (CloudTrail writes camelCase, a few services PascalCase). */
  readonly field: string;
  /** Path of fields to descend first (each an object, or a list of objects); default: top level. */
  readonly within?: readonly string[];
  /** Produces the reference from the field's value (a string, or each string of a list). */
  readonly ref: ToResourceRef;
}

/** Tells which resource kind an event name is about, e.g. `/Crawler/` → `glue:crawler`. */
export interface PrimaryRule {
  readonly pattern: RegExp;
  readonly type: string;
}

/** A service's resource vocabulary. */
export interface ResourceSpec {
  readonly rules: readonly ResourceRule[];
  /** First match wins; its kind is listed first, so the table's `byResource` index keys on it. */
  readonly primary: readonly PrimaryRule[];
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

/** A rule's ref that makes a resource of `type`, passing the value through `id` (default: unchanged). */
export function resourceOf(
  type: string,
  id: (value: string, context: ResourceContext) => string | undefined = (v) => v,
): ToResourceRef {
  return (value, context) => {
    const resourceId = id(value, context);
    return resourceId === undefined ? undefined : { type, id: resourceId };
  };
}

/** A rule's ref for generic fields (`name`, `id`): a resource of the event's primary kind, when it is one of `types`. */
export function resourceOfPrimary(
  types: readonly string[],
  id: (value: string, context: ResourceContext, type: string) => string | undefined = (v) => v,
): ToResourceRef {
  return (value, context) => {
    const type = context.primaryType;
    if (type === undefined || !types.includes(type)) return undefined;
    const resourceId = id(value, context, type);
    return resourceId === undefined ? undefined : { type, id: resourceId };
  };
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

/**
 * A rule's ref for `resourceArn`-style fields (tagging APIs): maps the ARN's resource type to a kind,
 * e.g. `{ crawler: 'glue:crawler' }`; `toId` may rewrite the name (default: the text after `<type>/`).
 */
export function resourceFromArn(
  service: string,
  kinds: Readonly<Record<string, string>>,
  toId: (name: string, arnResourceType: string) => string | undefined = (name) => name,
): ToResourceRef {
  return (value) => {
    const arn = parseArn(value);
    if (!arn || arn.service !== service) return undefined;
    const slash = arn.resource.indexOf('/');
    if (slash <= 0) return undefined;
    const arnType = arn.resource.slice(0, slash);
    const type = kinds[arnType];
    const name = arn.resource.slice(slash + 1);
    if (type === undefined || name === '') return undefined;
    const id = toId(name, arnType);
    return id === undefined ? undefined : { type, id };
  };
}

function usableId(id: string): boolean {
  const trimmed = id.trim();
  return trimmed !== '' && trimmed.length <= MAX_ID_LENGTH && trimmed !== REDACTED;
}

// The objects at the end of `path` under `root`: lists are flattened, anything else is ignored.
function containersAt(root: Record<string, unknown>, path: readonly string[]): Record<string, unknown>[] {
  let current: Record<string, unknown>[] = [root];
  for (const step of path) {
    const next: Record<string, unknown>[] = [];
    for (const obj of current) {
      const value = getField(obj, step);
      if (isObject(value)) next.push(value);
      else if (Array.isArray(value)) for (const item of value) if (isObject(item)) next.push(item);
    }
    current = next;
    if (current.length === 0) break;
  }
  return current;
}

function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

/** The kind of resource an event name is about, from the spec's primary rules. */
export function primaryTypeOf(eventName: string, spec: ResourceSpec): string | undefined {
  return spec.primary.find((p) => p.pattern.test(eventName))?.type;
}

/**
 * The resources a call names in its requestParameters and responseElements, deduplicated, the
 * event's primary kind first, then in the order found (request before response, rule order).
 */
export function extractResources(source: ResourceSource, spec: ResourceSpec): ResourceRef[] {
  const primaryType = primaryTypeOf(source.eventName, spec);
  const found: ResourceRef[] = [];
  const seen = new Set<string>();
  for (const root of [source.requestParameters, source.responseElements]) {
    if (!isObject(root)) continue;
    for (const rule of spec.rules) {
      for (const container of containersAt(root, rule.within ?? [])) {
        const context: ResourceContext = { eventName: source.eventName, container, root, primaryType };
        for (const value of stringsOf(getField(container, rule.field))) {
          if (!usableId(value)) continue;
          const ref = rule.ref(value.trim(), context);
          if (!ref || !usableId(ref.id)) continue;
          const key = `${ref.type}#${ref.id}`;
          if (seen.has(key)) continue;
          seen.add(key);
          found.push(ref);
        }
      }
    }
  }
  const ordered =
    primaryType === undefined
      ? found
      : [...found.filter((r) => r.type === primaryType), ...found.filter((r) => r.type !== primaryType)];
  return ordered.slice(0, MAX_RESOURCES);
}
