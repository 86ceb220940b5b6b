import { getString, isObject } from './resource-refs';

// Batch APIs answer HTTP 200 even when some of their items fail, so CloudTrail records no errorCode;
// the failures sit in the response instead: Glue BatchDeleteTable / BatchDeleteConnection /
// BatchStopJobRun / Batch*Partition / BatchDeleteTableVersion (`errors`), Glue BatchGetTableOptimizer
// (`failures`), Glue BatchGetPartition (`unprocessedKeys`), Athena BatchGetQueryExecution /
// BatchGetNamedQuery / BatchGetPreparedStatement (`unprocessed...`). "Not found" lists
// (BatchGetJobs' jobsNotFound, ...) are answers, not failures, and do not count.

/** A failure a service reported inside responseElements. */
export interface ResponseFailure {
  /** Error code of the first failed item, when the service gives one. */
  readonly errorCode?: string;
  /** How many items failed, under which field, and the first item's message. */
  readonly errorMessage: string;
}

/** Whether a top-level responseElements field holds failed items, by its name. */
export function isFailureField(name: string): boolean {
  const lower = name.toLowerCase();
  return lower === 'errors' || lower === 'failures' || lower === 'failed' || lower.startsWith('unprocessed');
}

// Glue nests the code in `errorDetail`, Glue table optimizers in `error`; Athena puts it on the item.
function errorOf(item: unknown): { code?: string; message?: string } {
  if (!isObject(item)) return {};
  for (const holder of [item, item.errorDetail ?? item.ErrorDetail, item.error ?? item.Error]) {
    if (!isObject(holder)) continue;
    const code = getString(holder, 'errorCode');
    const message = getString(holder, 'errorMessage');
    if (code !== undefined || message !== undefined) return { code, message };
  }
  return {};
}

/**
 * Finds failed items in a response: a top-level `errors`, `failures`, `failed` or `unprocessed*`
 * field holding a non-empty list or map. Returns undefined when the response reports none.
 */
export function findResponseFailure(responseElements: unknown): ResponseFailure | undefined {
  if (!isObject(responseElements)) return undefined;
  for (const [field, value] of Object.entries(responseElements)) {
    if (!isFailureField(field)) continue;
    const items = Array.isArray(value) ? value : isObject(value) ? Object.values(value) : [];
    if (items.length === 0) continue;
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
  return undefined;
}
