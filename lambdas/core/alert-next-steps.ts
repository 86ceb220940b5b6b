/**
 * The "What to do next" block of an alert email: the `trailwatch query` lines for the resource and
 * the caller of a failure, the console page of the resource, and the runbook section for its error.
 */
import { resourceConsoleUrl } from './console-links';
import type { NormalizedEvent } from './normalized-event';
import { isResourceType } from './resource-types';

/** Where the next steps point: the event table to query and the runbook to link. */
export interface NextStepsContext {
  /** The event table (`trailwatch query --table`); omitted from the commands when not known. */
  readonly eventTable?: string;
  /** Base URL of the runbook (docs/runbook.md as your team publishes it); default: its path in the repository. */
  readonly runbookUrl?: string;
}

// A command or link that had to be cut would not work: values longer than this (hostile or garbled
// input) leave their line out instead.
const MAX_VALUE_CHARS = 300;
const MAX_URL_CHARS = 1024;

/** Path of the runbook in the repository, named when no runbook URL is configured. */
export const RUNBOOK_PATH = 'docs/runbook.md';

/**
 * The runbook section for an error code: access, missing resources, limits and throttling, bad input,
 * or the catch-all. Anchors are the headings of docs/runbook.md (a test keeps them in sync).
 */
export function runbookSection(errorCode: string | undefined): string {
  const code = errorCode ?? '';
  if (/AccessDenied|Unauthorized|NotAuthorized|Forbidden|AuthFailure|InvalidClientTokenId/i.test(code))
    return 'access-denied';
  if (/NotFound|NoSuch|DoesNotExist/i.test(code)) return 'not-found';
  if (/Throttl|TooManyRequests|RequestLimitExceeded|SlowDown/i.test(code)) return 'throttling';
  if (/LimitExceeded|ConcurrentRuns|Quota|ResourceNumberLimit/i.test(code)) return 'limits';
  if (
    /Validation|InvalidRequest|InvalidInput|InvalidParameter|Client(Exception|Error)|AlreadyExists/i.test(
      code,
    )
  )
    return 'invalid-request';
  return 'other-errors';
}

/**
 * The lines of the block for one failed call (the first of its kind). Times are the failure's day, so
 * the queries find it and what surrounds it; the principal is the ARN the table's byPrincipal index holds.
 */
export function nextStepLines(event: NormalizedEvent, context: NextStepsContext = {}): string[] {
  const day = /^\d{4}-\d{2}-\d{2}(?=T)/.exec(event.eventTime)?.[0];
  const range = day ? ` --from ${day} --to ${day}` : '';
  const table = context.eventTable !== undefined ? ` --table ${shellWord(context.eventTable)}` : '';
  const lines = ['What to do next'];
  const resource = event.resources.find((r) => isResourceType(r.type) && r.id.length <= MAX_VALUE_CHARS);
  // byResource holds each event under its first resource, in its account and region (table v1).
  const first = event.resources[0];
  if (
    first &&
    event.accountId &&
    event.region &&
    isResourceType(first.type) &&
    first.id.length <= MAX_VALUE_CHARS
  ) {
    const key = `${event.accountId}#${event.region}#${first.type}#${first.id}`;
    lines.push(`  History of ${first.type} ${first.id}:`);
    lines.push(`    trailwatch query${table} --resource ${shellWord(key)}`);
  }
  if (event.principal.arn && event.principal.arn.length <= MAX_VALUE_CHARS) {
    lines.push(`  Everything this caller did that day:`);
    lines.push(`    trailwatch query${table} --principal ${shellWord(event.principal.arn)}${range}`);
  }
  lines.push(`  Every failed call that day:`);
  lines.push(`    trailwatch query${table} --failed${range}`);
  const consoleUrl = resourceConsoleUrl(event.service, event.region, resource);
  if (consoleUrl && consoleUrl.length <= MAX_URL_CHARS) lines.push(`  Console:  ${consoleUrl}`);
  const section = runbookSection(event.errorCode);
  lines.push(
    context.runbookUrl
      ? `  Runbook:  ${context.runbookUrl.replace(/#.*$/, '')}#${section}`
      : `  Runbook:  ${RUNBOOK_PATH}#${section} (in the trailwatch repository)`,
  );
  return lines;
}

// Quotes a value for a POSIX shell when it holds anything but safe characters (`#` starts a comment
// after a space, `*`/`?` glob, `$` expands), so the line can be pasted as it is.
function shellWord(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
