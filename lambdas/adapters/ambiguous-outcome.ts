import { NoTimeLeftError } from './retry';

// The connection was never made, so the request cannot have reached the server.
const NOT_CONNECTED_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

const NOT_CONNECTED_MESSAGE =
  /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)\b|without establishing a connection/;

/**
 * Whether a failed SDK call may still have been carried out by the server: it answered with a
 * server error (other than 503, which says it did not take the request), or the answer never came
 * after the request went out (reset, request timeout, abort). A 4xx answer, a refused or unresolved
 * connection, a connection timeout and a call never started are definite: nothing was done.
 * Unknown errors count as ambiguous, so at worst a copy too many is accounted for, never one lost.
 */
export function mayHaveReachedServer(err: unknown): boolean {
  if (err instanceof NoTimeLeftError) return false;
  if (typeof err !== 'object' || err === null) return true;
  const e = err as { $metadata?: { httpStatusCode?: number }; code?: unknown; message?: unknown };
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500 && status !== 503;
  if (typeof e.code === 'string' && NOT_CONNECTED_CODES.has(e.code)) return false;
  // By message too: the SDK wraps errors from another realm (a test runner's) as text.
  if (typeof e.message === 'string' && NOT_CONNECTED_MESSAGE.test(e.message)) return false;
  return true;
}
