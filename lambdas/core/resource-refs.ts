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

const lowerNames = new Map<string, { readonly text: string; readonly ascii: boolean }>();

function lowerName(name: string): { readonly text: string; readonly ascii: boolean } {
  let known = lowerNames.get(name);
  if (known === undefined) {
    const text = name.toLowerCase();
    known = { text, ascii: !/[^\x00-\x7f]/.test(text) };
    // Names come from the models and the normalizers: a bounded set.
    if (lowerNames.size < 10_000) lowerNames.set(name, known);
  }
  return known;
}

/** Reads a field by name, ignoring case. */
export function getField(obj: Readonly<Record<string, unknown>>, name: string): unknown {
  if (Object.prototype.hasOwnProperty.call(obj, name)) return obj[name];
  const wanted = lowerName(name);
  // Lower-casing only the keys of the right length (most lookups are for fields the call does not have):
  // a key that lower-cases to an ASCII name has the name's length.
  const length = wanted.ascii ? wanted.text.length : -1;
  for (const key of Object.keys(obj)) {
    if ((length < 0 || key.length === length) && key.toLowerCase() === wanted.text) return obj[key];
  }
  return undefined;
}

/** Reads a string field by name, ignoring case; undefined when absent, empty or not a string. */
export function getString(obj: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = getField(obj, name);
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** The parts of an ARN: see parseArn. */
export interface ArnParts {
  readonly service: string;
  readonly region: string;
  readonly accountId: string;
  readonly resource: string;
}

// The ARNs of one file repeat (the same queues, tables and roles in call after call): each is split once.
const knownArns = new Map<string, ArnParts | undefined>();
const MAX_KNOWN_ARNS = 10_000;

/**
 * The parts of an ARN (`arn:partition:service:region:account:resource`), or undefined when it is not one.
 * The parts of a value are one shared object: read them, never change them.
 */
export function parseArn(value: string): ArnParts | undefined {
  const known = knownArns.get(value);
  if (known !== undefined || knownArns.has(value)) return known;
  const parts = splitArn(value);
  // A hostile file could name any number of ARNs: past the bound, the newest are split every time.
  if (knownArns.size < MAX_KNOWN_ARNS) knownArns.set(value, parts);
  return parts;
}

function splitArn(value: string): ArnParts | undefined {
  const parts = value.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  const [, , service = '', region = '', accountId = ''] = parts;
  const resource = parts.length === 6 ? parts[5]! : parts.slice(5).join(':');
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
  return usableTrimmed(id.trim());
}

function usableTrimmed(trimmed: string): boolean {
  return trimmed !== '' && trimmed.length <= MAX_ID_LENGTH && trimmed !== REDACTED;
}

/** The context handed to the resolver: one object per record, its fields set before each value. */
interface MutableContext {
  eventName: string;
  container: Readonly<Record<string, unknown>>;
  root: Readonly<Record<string, unknown>>;
}

/** What extractResources gathers while it walks one record's paths (one object, no closure per path). */
interface Gathered {
  readonly primary: string | undefined;
  readonly resolve: ResolveResource;
  readonly found: ResourceRef[];
  /** `type#id` of every resource found, once there are more than LINEAR_DEDUPE_UP_TO. */
  seen: Set<string> | undefined;
  topPrimary: Set<ResourceRef> | undefined;
  path: ResourcePath;
  readonly context: MutableContext;
}

/** Up to this many resources found, a new one is compared with each (a call names a few); then a Set. */
const LINEAR_DEDUPE_UP_TO = 16;

/** Whether `ref` is already among the resources found: the same type and id (the `type#id` key of `seen`). */
function alreadyFound(g: Gathered, ref: ResourceRef): boolean {
  const found = g.found;
  if (g.seen === undefined) {
    for (let k = 0; k < found.length; k++) {
      const other = found[k]!;
      if (other.type === ref.type && other.id === ref.id) return true;
    }
    if (found.length < LINEAR_DEDUPE_UP_TO) return false;
    g.seen = new Set(found.map((r) => `${r.type}#${r.id}`));
    g.seen.add(`${ref.type}#${ref.id}`);
    return false;
  }
  const key = `${ref.type}#${ref.id}`;
  if (g.seen.has(key)) return true;
  g.seen.add(key);
  return false;
}

/** One string found at the current path: the resources it names, each kept once. */
function take(g: Gathered, raw: string, container: Record<string, unknown>): void {
  const value = raw.trim();
  if (!usableTrimmed(value)) return;
  g.context.container = container;
  const refs = g.resolve(g.path.kind, value, g.context);
  for (const ref of refs) {
    if (!usableId(ref.id) || alreadyFound(g, ref)) continue;
    g.found.push(ref);
    if (ref.type === g.primary && g.path.segments.length === 1) (g.topPrimary ??= new Set()).add(ref);
  }
}

/** The strings of one field of `container` (a string, or the strings of a list). */
function takeField(g: Gathered, container: Record<string, unknown>, field: string): void {
  const value = getField(container, field);
  if (typeof value === 'string') take(g, value, container);
  else if (Array.isArray(value)) for (const v of value) if (typeof v === 'string') take(g, v, container);
}

// Takes each string at the end of the path's segments under the root, with the object holding it: lists
// are flattened at every step, `*` stands for every value of a map, anything else is ignored.
function visitStrings(g: Gathered): void {
  const segments = g.path.segments;
  const last = segments.length - 1;
  // Most paths are one member of the top level.
  if (last === 0) {
    takeField(g, g.context.root as Record<string, unknown>, segments[0]!);
    return;
  }
  let current: Record<string, unknown>[] = [g.context.root as Record<string, unknown>];
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
  for (const container of current) takeField(g, container, segments[last]!);
}

const NO_PATH: ResourcePath = { segments: [], kind: '' };
const NO_ROOT: Readonly<Record<string, unknown>> = {};

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
  // Primary-kind resources named at the top level come first: SubmitJob's own jobId before the jobs of
  // its dependsOn list, which name the same kind one level down.
  const g: Gathered = {
    primary: plan.primary,
    resolve,
    found: [],
    seen: undefined,
    topPrimary: undefined,
    path: NO_PATH,
    context: { eventName: source.eventName, container: NO_ROOT, root: NO_ROOT },
  };
  for (let side = 0; side < 2; side++) {
    const root = side === 0 ? source.requestParameters : source.responseElements;
    if (!isObject(root)) continue;
    g.context.root = root;
    for (const path of side === 0 ? plan.request : plan.response) {
      g.path = path;
      visitStrings(g);
    }
  }
  const { found, primary, topPrimary } = g;
  // `found` is this call's own array: returned as it is when it needs neither reordering nor cutting.
  if (primary === undefined || found.length < 2) {
    return found.length > MAX_RESOURCES ? found.slice(0, MAX_RESOURCES) : found;
  }
  const top = topPrimary ?? new Set<ResourceRef>();
  const rank = (r: ResourceRef): number => (top.has(r) ? 0 : r.type === primary ? 1 : 2);
  let ordered = true;
  for (let k = 1; k < found.length && ordered; k++) ordered = rank(found[k - 1]!) <= rank(found[k]!);
  if (ordered) return found.length > MAX_RESOURCES ? found.slice(0, MAX_RESOURCES) : found;
  return [
    ...found.filter((r) => top.has(r)),
    ...found.filter((r) => r.type === primary && !top.has(r)),
    ...found.filter((r) => r.type !== primary),
  ].slice(0, MAX_RESOURCES);
}
