import { getField, getString, isObject } from './resource-refs';

// Batch APIs answer HTTP 200 even when some of their items fail, so CloudTrail records no errorCode;
// the failures sit in the response instead. Which response members list failed items comes from the
// AWS API models (scripts/generate-service-models.py): a top-level list or map whose name says failure
// (`Errors`, `Failures`, `SchemaVersionErrors`, `FailedInclusionAnnotations`, `Unprocessed...`) and
// whose items carry an error, in a response that does not describe one resource's state (the Glue
// integration calls answer an `Errors` list next to the integration's `Status`: state, not failure).
// For event names newer than the models, the member names alone decide.

/** A failure a service reported inside responseElements. */
export interface ResponseFailure {
  /** Error code of the first failed item, when the service gives one. */
  readonly errorCode?: string;
  /** How many items failed, under which field, and the first item's message. */
  readonly errorMessage: string;
}

/** Whether a top-level responseElements field holds failed items, by its name alone (unknown event names). */
export function isFailureField(name: string): boolean {
  const lower = name.toLowerCase();
  return (
    lower === 'failures' ||
    lower === 'failed' ||
    lower.endsWith('errors') ||
    lower.startsWith('unprocessed') ||
    lower.startsWith('failed')
  );
}

// Glue nests the code in `errorDetail` (`errorDetails` for schema versions, `error` for table optimizers
// and column statistics); Athena puts it on the item; Glue annotations give only a `failureReason`.
function errorOf(item: unknown): { code?: string; message?: string } {
  if (!isObject(item)) return {};
  for (const holder of [
    item,
    getField(item, 'errorDetail'),
    getField(item, 'errorDetails'),
    getField(item, 'error'),
  ]) {
    if (!isObject(holder)) continue;
    const code = getString(holder, 'errorCode');
    const message = getString(holder, 'errorMessage') ?? getString(holder, 'failureReason');
    if (code !== undefined || message !== undefined) return { code, message };
  }
  return {};
}

function failureIn(field: string, value: unknown): ResponseFailure | undefined {
  const items = Array.isArray(value) ? value : isObject(value) ? Object.values(value) : [];
  if (items.length === 0) return undefined;
  const first = items.map(errorOf).find((e) => e.code !== undefined || e.message !== undefined) ?? {};
  const count = `${items.length} ${items.length === 1 ? 'item' : 'items'} failed (${field})`;
  const errorMessage =
    first.message !== undefined
      ? `${count}: ${first.message}`
      : first.code !== undefined
        ? `${count}: ${first.code}`
        : count;
  return first.code !== undefined ? { errorCode: first.code, errorMessage } : { errorMessage };
}

// The members' lists come from the operation plans, one per event name, so each is lower-cased once.
const lowerCased = new WeakMap<readonly string[], ReadonlySet<string>>();

function lowerCaseSet(members: readonly string[]): ReadonlySet<string> {
  let set = lowerCased.get(members);
  if (set === undefined) {
    set = new Set(members.map((m) => m.toLowerCase()));
    lowerCased.set(members, set);
  }
  return set;
}

/**
 * Finds failed items in a response: a non-empty list or map under one of `members` (the model's failure
 * members of the event name), or, when the model does not know the event name (`members` undefined),
 * under a top-level field whose name says failure. Returns undefined when the response reports none.
 */
export function findResponseFailure(
  responseElements: unknown,
  members?: readonly string[],
): ResponseFailure | undefined {
  if (!isObject(responseElements)) return undefined;
  if (members !== undefined) {
    if (members.length === 0) return undefined;
    // Named as logged (a few SDKs log PascalCase), so the message points at the field a reader sees.
    const wanted = lowerCaseSet(members);
    for (const [field, value] of Object.entries(responseElements)) {
      if (!wanted.has(field.toLowerCase())) continue;
      const failure = failureIn(field, value);
      if (failure) return failure;
    }
    return undefined;
  }
  for (const [field, value] of Object.entries(responseElements)) {
    if (!isFailureField(field)) continue;
    const failure = failureIn(field, value);
    if (failure) return failure;
  }
  return undefined;
}
