import type * as z from 'zod';
import { cloudTrailRecordSchema, type CloudTrailRecord } from './cloudtrail-record';
import { normalizeEventTime } from './event-time';

// The record schema (cloudtrail-record.ts) is the contract; this is a cheap path to the same answer for
// the records that need nothing from zod: the right types everywhere and no null to drop. Such a record is
// its own parse result, so it is checked with typeof tests and never copied (the schema's parse costs
// about 10 µs a record and builds a copy of it and of its identity). Every other record goes through the
// schema, which also explains what is wrong. test/unit/record-check.property.test.ts holds this file to
// the schema, field by field (the fields are read from the schema, so a field added there fails it).

const OPTIONAL_STRING = 1;
const REQUIRED_STRING = 2; // present, a string, not empty
const OPTIONAL_BOOLEAN = 3;
const ANY = 4; // typed unknown in the schema: any value, null kept
const EVENT_TIME = 5; // a required string normalizeEventTime accepts

/** What the schema asks of each field of one object level; nested objects have their own rules. */
type Rules = ReadonlyMap<string, Rule>;
type Rule = number | Rules | { readonly listOf: Rules };

const rules = (fields: Record<string, Rule>): Rules => new Map(Object.entries(fields));
const strings = (...names: string[]): Record<string, Rule> =>
  Object.fromEntries(names.map((n) => [n, OPTIONAL_STRING]));

const SESSION_ISSUER = rules(strings('type', 'principalId', 'arn', 'accountId', 'userName'));
const SESSION_CONTEXT = rules({
  sessionIssuer: SESSION_ISSUER,
  webIdFederationData: rules({ federatedProvider: OPTIONAL_STRING, attributes: ANY }),
  attributes: ANY,
  sourceIdentity: OPTIONAL_STRING,
});
const USER_IDENTITY = rules({
  ...strings(
    'type',
    'principalId',
    'arn',
    'accountId',
    'accessKeyId',
    'userName',
    'invokedBy',
    'identityProvider',
    'credentialId',
  ),
  sessionContext: SESSION_CONTEXT,
  onBehalfOf: rules(strings('userId', 'identityStoreArn')),
});
const RECORD_RESOURCE = rules(strings('ARN', 'accountId', 'type'));

/** The rules of a record, in the schema's terms (see cloudTrailRecordSchema). */
export const RECORD_RULES: Rules = rules({
  eventVersion: OPTIONAL_STRING,
  userIdentity: USER_IDENTITY,
  eventTime: EVENT_TIME,
  eventSource: REQUIRED_STRING,
  eventName: REQUIRED_STRING,
  ...strings('awsRegion', 'sourceIPAddress', 'userAgent', 'errorCode', 'errorMessage', 'requestID'),
  requestParameters: ANY,
  responseElements: ANY,
  additionalEventData: ANY,
  eventID: REQUIRED_STRING,
  readOnly: OPTIONAL_BOOLEAN,
  resources: { listOf: RECORD_RESOURCE },
  eventType: OPTIONAL_STRING,
  recipientAccountId: OPTIONAL_STRING,
  apiVersion: ANY,
  managementEvent: ANY,
  sharedEventID: ANY,
  vpcEndpointId: ANY,
  eventCategory: ANY,
  tlsDetails: ANY,
  addendum: ANY,
  sessionCredentialFromConsole: ANY,
  edgeDeviceDetails: ANY,
  serviceEventDetails: ANY,
});

/**
 * The cheap path's verdict on one record: `as-is` (the schema accepts it and returns it unchanged),
 * `needs-schema` (the schema may accept it, but drops a null somewhere, so its own parse must build the
 * result) or `invalid` (the schema rejects it).
 */
export type CheapVerdict = 'as-is' | 'needs-schema' | 'invalid';

const AS_IS = 0;
const NEEDS_SCHEMA = 1;
const INVALID = 2;
const VERDICTS: readonly CheapVerdict[] = ['as-is', 'needs-schema', 'invalid'];

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * One level's rules keyed for a walk over the object's own keys: a record has fewer keys than the schema
 * has fields, and looking up absent fields by name was most of this check's cost.
 */
interface CompiledRules {
  /** The rule of each field when it is a number, NESTED for an object, NESTED_LIST for a list of them. */
  readonly kinds: ReadonlyMap<string, number>;
  readonly nested: ReadonlyMap<string, CompiledRules>;
  /** How many fields are required (they must all be there). */
  readonly required: number;
}

const NESTED = 0;
const NESTED_LIST = -1;

const compiled = new Map<Rules, CompiledRules>();

function compile(levelRules: Rules): CompiledRules {
  const known = compiled.get(levelRules);
  if (known) return known;
  const kinds = new Map<string, number>();
  const nested = new Map<string, CompiledRules>();
  let required = 0;
  for (const [key, rule] of levelRules) {
    if (typeof rule === 'number') {
      kinds.set(key, rule);
      if (rule === REQUIRED_STRING || rule === EVENT_TIME) required++;
    } else if ('listOf' in rule) {
      kinds.set(key, NESTED_LIST);
      nested.set(key, compile((rule as { readonly listOf: Rules }).listOf));
    } else {
      kinds.set(key, NESTED);
      nested.set(key, compile(rule as Rules));
    }
  }
  const result = { kinds, nested, required };
  compiled.set(levelRules, result);
  return result;
}

/** The verdict on one object level and everything below it (the worst of its fields'). */
function checkObject(value: Record<string, unknown>, level: CompiledRules): number {
  let verdict = AS_IS;
  let required = 0;
  for (const key in value) {
    const v = value[key];
    const rule = level.kinds.get(key);
    if (v === null) {
      // The schema drops a null (any field but those typed unknown, unknown fields included); a required
      // field is then missing.
      if (rule === REQUIRED_STRING || rule === EVENT_TIME) return INVALID;
      if (rule !== ANY) verdict = NEEDS_SCHEMA;
      continue;
    }
    // Fields the schema does not name, and fields holding undefined (absent to the schema).
    if (rule === undefined || v === undefined) continue;
    switch (rule) {
      case OPTIONAL_STRING:
        if (typeof v !== 'string') return INVALID;
        break;
      case REQUIRED_STRING:
        if (typeof v !== 'string' || v === '') return INVALID;
        required++;
        break;
      case EVENT_TIME:
        if (typeof v !== 'string' || v === '' || normalizeEventTime(v) === undefined) return INVALID;
        required++;
        break;
      case OPTIONAL_BOOLEAN:
        if (typeof v !== 'boolean') return INVALID;
        break;
      case ANY:
        break;
      default: {
        const inner = level.nested.get(key)!;
        if (rule === NESTED_LIST) {
          if (!Array.isArray(v)) return INVALID;
          for (const element of v as unknown[]) {
            if (!isPlainObject(element)) return INVALID;
            const worst = checkObject(element, inner);
            if (worst === INVALID) return INVALID;
            if (worst > verdict) verdict = worst;
          }
        } else {
          if (!isPlainObject(v)) return INVALID;
          const worst = checkObject(v, inner);
          if (worst === INVALID) return INVALID;
          if (worst > verdict) verdict = worst;
        }
      }
    }
  }
  // Absent (or undefined) required fields.
  return required === level.required ? verdict : INVALID;
}

const COMPILED_RECORD_RULES = compile(RECORD_RULES);

/** The cheap path's verdict alone (exported for the property test that holds it to the schema). */
export function cheapRecordVerdict(raw: Record<string, unknown>): CheapVerdict {
  return VERDICTS[checkObject(raw, COMPILED_RECORD_RULES)]!;
}

/** Outcome of checkCloudTrailRecord: the record as the schema returns it, or the schema's issues. */
export type RecordCheck =
  | { readonly ok: true; readonly record: CloudTrailRecord }
  | { readonly ok: false; readonly issues: readonly z.core.$ZodIssue[] };

/**
 * Holds one raw record to the record schema, as `cloudTrailRecordSchema().safeParse` would, but without
 * running zod for a record that needs nothing from it (most of them).
 */
export function checkCloudTrailRecord(raw: Record<string, unknown>): RecordCheck {
  // A record the schema returns unchanged is its own result.
  if (checkObject(raw, COMPILED_RECORD_RULES) === AS_IS) return { ok: true, record: raw as CloudTrailRecord };
  const parsed = cloudTrailRecordSchema().safeParse(raw);
  return parsed.success ? { ok: true, record: parsed.data } : { ok: false, issues: parsed.error.issues };
}
