import { SERVICES, type ServiceName } from './services';

// Attributes an item leaves out because the item already says them (docs/table.md, "Attributes
// left out"). Every copy of an event is billed per started KB, and these repeats pushed typical items
// just over 1 KB: the eventId is in `sk`, the usual eventSource is the service's, nearly every
// eventType is `AwsApiCall`, reads have a null response, and an assumed role's type, account, role
// ARN and role name are in its session ARN. The round trip is lossless: a value is left out only
// when `restoreDefaults` rebuilds exactly it, and an optional value the event lacks, where one would
// be rebuilt, is stored as null.

type Item = Record<string, unknown>;
type PrincipalMap = Record<string, unknown>;

/** The eventType of an item that has no `eventType` attribute (`null` there: the event has none). */
export const DEFAULT_EVENT_TYPE = 'AwsApiCall';
/** The responseElements text of an item without one: CloudTrail's null response of reads (`null` there: none recorded). */
export const DEFAULT_RESPONSE_ELEMENTS = 'null';

// One attribute that is left out when it has its usual value, which `usual` computes from the
// attributes as a reader sees them (the ones before it in its list already put back).
interface Rule {
  readonly field: string;
  readonly usual: (seen: Item) => unknown;
}

// The item's own rules, then (for a role session) its principal's, in the order a reader applies them.
const ITEM_RULES: readonly Rule[] = [
  {
    field: 'eventId',
    usual: (item) => (typeof item.sk === 'string' ? eventIdOfSortKey(item.sk) : undefined),
  },
  { field: 'eventSource', usual: (item) => mainEventSource(item.service) },
  { field: 'eventType', usual: () => DEFAULT_EVENT_TYPE },
  { field: 'responseElements', usual: () => DEFAULT_RESPONSE_ELEMENTS },
];

function sessionRules(arn: string): readonly Rule[] | undefined {
  const m = SESSION_ARN.exec(arn);
  if (!m) return undefined;
  const [, partition, account, role] = m;
  return [
    // The issuer of an assumed-role session is that role; with a path, CloudTrail's ARN differs and is kept.
    { field: 'sessionIssuerArn', usual: () => `arn:${partition}:iam::${account}:role/${role}` },
    { field: 'userName', usual: (p) => lastSegment(p.sessionIssuerArn) },
    { field: 'accountId', usual: () => account },
    { field: 'type', usual: () => 'AssumedRole' },
  ];
}

/** Removes from a finished item the attributes {@link restoreDefaults} can rebuild from the rest. */
export function omitDefaults<T extends Item>(item: T): T {
  const out = leaveOut(item, ITEM_RULES);
  const rules = typeof out.principalArn === 'string' ? sessionRules(out.principalArn) : undefined;
  if (rules && isMap(out.principal)) out.principal = leaveOut(out.principal, rules);
  return out as T;
}

/** Puts back the attributes {@link omitDefaults} left out; an item that has them all is returned as it is. */
export function restoreDefaults(raw: Item): Item {
  const out = putBack(raw, ITEM_RULES);
  const rules = typeof out.principalArn === 'string' ? sessionRules(out.principalArn) : undefined;
  if (rules && isMap(out.principal)) out.principal = putBack(out.principal, rules);
  return out;
}

// A value equal to its usual one is left out; a value the event lacks, where a reader would put the
// usual one, is null. The reader's view of earlier fields is the original, so `usual` sees `values`.
function leaveOut(values: Item, rules: readonly Rule[]): Item {
  const out: Item = { ...values };
  for (const { field, usual } of rules) {
    if (out[field] === usual(values)) delete out[field];
    else if (out[field] === undefined) out[field] = null;
  }
  return out;
}

function putBack(values: Item, rules: readonly Rule[]): Item {
  const out: Item = { ...values };
  for (const { field, usual } of rules) {
    if (out[field] === undefined) out[field] = usual(out);
    if (out[field] === null || out[field] === undefined) delete out[field];
  }
  return out;
}

// `sk` is `<second>#<eventId>`; the time part never holds a `#`.
function eventIdOfSortKey(sk: string): string | undefined {
  const at = sk.indexOf('#');
  return at < 0 ? undefined : sk.slice(at + 1);
}

function mainEventSource(service: unknown): string | undefined {
  return typeof service === 'string' && Object.prototype.hasOwnProperty.call(SERVICES, service)
    ? SERVICES[service as ServiceName].eventSource
    : undefined;
}

// `arn:<partition>:sts::<account>:assumed-role/<role>/<session>`, the ARN of a role session.
const SESSION_ARN = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/;

function lastSegment(arn: unknown): string | undefined {
  return typeof arn === 'string' ? arn.slice(arn.lastIndexOf('/') + 1) : undefined;
}

function isMap(value: unknown): value is PrincipalMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
