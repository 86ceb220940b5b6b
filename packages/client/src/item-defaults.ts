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

// The principal fields rebuilt from a session ARN, in the order they are rebuilt: userName is the
// last segment of the issuer ARN, which may itself be rebuilt.
const DERIVED_PRINCIPAL_FIELDS = ['sessionIssuerArn', 'userName', 'accountId', 'type'] as const;

/** Removes from a finished item the attributes {@link restoreDefaults} can rebuild from the rest. */
export function omitDefaults<T extends Item>(item: T): T {
  const out: Item = { ...item };
  if (typeof out.sk === 'string' && out.eventId === eventIdOfSortKey(out.sk)) delete out.eventId;
  if (out.eventSource === mainEventSource(out.service)) delete out.eventSource;
  if (out.eventType === DEFAULT_EVENT_TYPE) delete out.eventType;
  else if (out.eventType === undefined) out.eventType = null;
  if (out.responseElements === DEFAULT_RESPONSE_ELEMENTS) delete out.responseElements;
  else if (out.responseElements === undefined) out.responseElements = null;
  const arn = typeof out.principalArn === 'string' ? out.principalArn : undefined;
  if (arn && SESSION_ARN.test(arn) && isMap(out.principal)) {
    const short: PrincipalMap = { ...out.principal };
    const rebuilt: PrincipalMap = {};
    for (const field of DERIVED_PRINCIPAL_FIELDS) {
      const derived = derive(field, rebuilt, arn);
      rebuilt[field] = short[field];
      if (short[field] === derived) delete short[field];
      // `type` is always set; an absent optional field is kept absent by a null.
      else if (short[field] === undefined) short[field] = null;
    }
    out.principal = short;
  }
  return out as T;
}

/** Puts back the attributes {@link omitDefaults} left out; an item that has them all is returned as it is. */
export function restoreDefaults(raw: Item): Item {
  const out: Item = { ...raw };
  if (out.eventId === undefined && typeof out.sk === 'string') out.eventId = eventIdOfSortKey(out.sk);
  if (out.eventSource === undefined) out.eventSource = mainEventSource(out.service);
  if (out.eventType === null) delete out.eventType;
  else if (out.eventType === undefined) out.eventType = DEFAULT_EVENT_TYPE;
  if (out.responseElements === null) delete out.responseElements;
  else if (out.responseElements === undefined) out.responseElements = DEFAULT_RESPONSE_ELEMENTS;
  const arn = typeof out.principalArn === 'string' ? out.principalArn : undefined;
  if (arn && SESSION_ARN.test(arn) && isMap(out.principal)) {
    const p: PrincipalMap = { ...out.principal };
    for (const field of DERIVED_PRINCIPAL_FIELDS) {
      if (p[field] === null) delete p[field];
      else if (p[field] === undefined) p[field] = derive(field, p, arn);
    }
    out.principal = p;
  }
  return out;
}

// The value a field of a role session's principal has unless the item says otherwise. `known`
// holds the fields before it in DERIVED_PRINCIPAL_FIELDS as the reader sees them.
function derive(field: (typeof DERIVED_PRINCIPAL_FIELDS)[number], known: PrincipalMap, arn: string) {
  const m = SESSION_ARN.exec(arn);
  if (!m) return undefined;
  const [, partition, account, role] = m;
  switch (field) {
    case 'sessionIssuerArn':
      // The issuer of an assumed-role session is that role; with a path, CloudTrail's ARN differs and is stored.
      return `arn:${partition}:iam::${account}:role/${role}`;
    case 'userName':
      return typeof known.sessionIssuerArn === 'string'
        ? known.sessionIssuerArn.slice(known.sessionIssuerArn.lastIndexOf('/') + 1)
        : undefined;
    case 'accountId':
      return account;
    case 'type':
      return 'AssumedRole';
  }
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

function isMap(value: unknown): value is PrincipalMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
