import { SERVICES, type ServiceName } from './services';

/** SNS's limit on a subject, in characters (printable ASCII here, so also bytes). */
export const SNS_MAX_SUBJECT_CHARS = 100;

/** What the subject names: the failed call and error code that occur most (ties: the first seen). */
export interface SubjectFailure {
  readonly eventName: string;
  readonly errorCode?: string;
  /** How many failures this one stands for (a kind counted, not held); default 1. */
  readonly count?: number;
}

/**
 * The subject: the call and error code first, so twenty alerts in an inbox can be told apart, e.g.
 * `trailwatch: Glue StartJobRun failed: ConcurrentRunsExceededException (111122223333 us-east-1)` or
 * `trailwatch: 3 failed Athena calls: StartQueryExecution InvalidRequestException, +1 other (...)`.
 * Printable ASCII only, no line breaks, at most 100 characters (SNS rejects the whole publish
 * otherwise): the account and region go first when it is too long, then the text is cut.
 */
export function alertSubject(
  service: ServiceName,
  failures: readonly SubjectFailure[],
  accountId: string,
  region: string,
  uncounted = 0,
): string {
  const kinds = new Map<string, { failure: SubjectFailure; count: number }>();
  let count = uncounted;
  for (const f of failures) {
    const key = `${f.eventName}\u0000${f.errorCode ?? ''}`;
    const n = f.count ?? 1;
    count += n;
    const kind = kinds.get(key);
    if (kind) kind.count += n;
    else kinds.set(key, { failure: f, count: n });
  }
  const top = [...kinds.values()].sort((a, b) => b.count - a.count)[0];
  const name = SERVICES[service].displayName;
  const code = top?.failure.errorCode ?? 'no error code';
  const call = top?.failure.eventName ?? 'call';
  const others = kinds.size - 1;
  const what =
    count === 1
      ? `${name} ${call} failed: ${code}`
      : kinds.size === 1
        ? `${count} failed ${name} calls: ${call} ${code}`
        : `${count} failed ${name} calls: ${call} ${code}, +${others} other${others === 1 ? '' : 's'}`;
  const known = (v: string): boolean => v !== 'unknown' && v !== '';
  // Longest first: the call and error code matter most, then the region, then the account.
  const wheres = [[accountId, region].filter(known).join(' '), known(region) ? region : ''];
  for (const where of wheres) {
    const text = foldToAscii(`trailwatch: ${what}${where ? ` (${where})` : ''}`);
    if (where !== '' && text.length <= SNS_MAX_SUBJECT_CHARS) return text;
  }
  return sanitizeSubject(`trailwatch: ${what}`);
}

/** Makes any text a valid SNS subject: ASCII letters kept (accents dropped), other characters `?`, ≤ 100 chars. */
export function sanitizeSubject(text: string): string {
  const ascii = foldToAscii(text);
  if (ascii.length <= SNS_MAX_SUBJECT_CHARS) return ascii;
  return `${ascii.slice(0, SNS_MAX_SUBJECT_CHARS - 3).trimEnd()}...`;
}

// Printable ASCII on one line: accents dropped, any other character `?`, runs of spaces folded.
function foldToAscii(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // combining accents: "é" → "e"
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/[^\x20-\x7e]/gu, '?') // one ? per character, emoji included
    .replace(/ {2,}/g, ' ')
    .trim();
}
