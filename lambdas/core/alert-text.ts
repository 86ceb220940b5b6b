import type { AlertMessageInput } from './alert-document';
import {
  failureKinds,
  failureTotals,
  FULL_SUMMARY,
  type FailureKind,
  type SummaryLimits,
} from './alert-summary';
import { nextStepLines } from './alert-next-steps';
import { cloudTrailEventUrl, resourceConsoleUrl } from './console-links';
import type { NormalizedEvent, Principal } from './normalized-event';
import { formatDuration, secondsBetween } from './alert-latency';
import { deliveryPathOf, describeObject } from './object-ref';
import { SERVICES } from './services';

// Keeps bad input (a multi-kilobyte error message, a giant ARN) from crowding the email.
const TEXT_FIELD_CHARS = 300;
const TEXT_MESSAGE_CHARS = 600;
// A link is useless once cut: a longer one (a giant resource id or eventId) is left out of the text.
const TEXT_URL_CHARS = 1024;

/** The plain text of the email and default bodies: what a person on call reads first. */
export function renderAlertText(
  input: AlertMessageInput,
  events: readonly NormalizedEvent[],
  accountId: string,
  region: string,
  limits: Pick<SummaryLimits, 'emailGroups' | 'summaryLines'> = FULL_SUMMARY,
): string {
  const { emailGroups, summaryLines } = limits;
  const name = SERVICES[input.service].displayName;
  const totals = failureTotals(input, events);
  const lines: string[] = [];
  const calls = totals.count === 1 ? 'call' : 'calls';
  lines.push(`${totals.count} failed ${name} ${calls} in account ${accountId}, region ${region}`);
  lines.push(
    totals.count === 1
      ? `at ${formatTime(totals.firstEventTime)}.`
      : `between ${formatTime(totals.firstEventTime)} and ${formatTime(totals.lastEventTime)}.`,
  );
  lines.push('');

  // One block per kind of failure (signature), largest first: a storm of one failure reads as one
  // block with a count, not as ten identical ones.
  const groups = failureKinds(input, events);
  const ungrouped = input.overflow?.ungrouped ?? 0;
  // With one kind of failure its console link moves into "What to do next", said once.
  const single = groups.length === 1;
  groups.slice(0, emailGroups).forEach((group, i) => {
    lines.push(...groupLines(group, i + 1, groups.length, !single));
    lines.push('');
  });
  if (groups.length > emailGroups || ungrouped > 0) {
    const rest = groups.slice(emailGroups);
    const count = rest.reduce((sum, g) => sum + g.count, 0) + ungrouped;
    // Kinds past the cap of a big file were counted together: how many kinds they are is not known.
    const kinds =
      ungrouped > 0 ? 'more kinds' : `${rest.length} other ${rest.length === 1 ? 'kind' : 'kinds'}`;
    lines.push(
      `... and ${count} more ${count === 1 ? 'failure' : 'failures'} of ${kinds} not shown. The JSON ` +
        'message lists failures in full as far as it can; every one is in the trailwatch table (failures index).',
    );
    lines.push('');
  }

  if (input.earlierSuppressed.length > 0 || input.suppressedInFile > 0) {
    lines.push('Suppressed (counted, not sent one by one)');
    for (const report of input.earlierSuppressed.slice(0, summaryLines)) {
      const since = report.since ? ` since the alert at ${clip(formatTime(report.since))}` : '';
      lines.push(
        `  ${report.count} identical ${report.count === 1 ? 'failure' : 'failures'} of ` +
          `${clip(report.signature.eventName)}: ${clip(report.signature.errorCode)}, by ` +
          `${clip(report.signature.principal)}${since}`,
      );
    }
    if (input.earlierSuppressed.length > summaryLines) {
      const rest = input.earlierSuppressed.slice(summaryLines).reduce((sum, r) => sum + r.count, 0);
      lines.push(`  ... and ${rest} more of ${input.earlierSuppressed.length - summaryLines} other kinds`);
    }
    if (input.suppressedInFile > 0) {
      lines.push(
        `  ${input.suppressedInFile} more ${input.suppressedInFile === 1 ? 'failure' : 'failures'} in this log file ` +
          `repeat failures alerted in the last ${input.windowMinutes} minutes; the next alert of each reports them`,
      );
    }
    lines.push('');
  }

  const top = groups[0]?.first;
  if (top) {
    const steps = nextStepLines(top, input.nextSteps);
    // The console link is the group's own when several kinds are listed.
    lines.push(
      ...(single ? steps : steps.filter((l) => !l.startsWith('  Console:'))).map((l, n) =>
        n === 0 && !single ? `${l} (about [1/${groups.length}])` : l,
      ),
    );
    lines.push('');
  }

  if (deliveryPathOf(input.source) === 'eventbridge') {
    lines.push(
      `Via:      EventBridge event ${input.source.key} (real time; the log file will not alert these calls again)`,
    );
  } else {
    lines.push(`Log file: ${describeObject(input.source)}`);
  }
  if (input.sentAt) {
    const after = secondsBetween(totals.firstEventTime, input.sentAt);
    lines.push(
      `Sent:     ${formatTime(input.sentAt.toISOString())}, ${formatDuration(after)} after the ${totals.count === 1 ? 'call' : 'first call'}`,
    );
  }
  lines.push('');
  lines.push(
    `trailwatch alerts each failed call once. Identical failures (same account, region, service, call, ` +
      `error code and caller) alert at most once per ${input.windowMinutes} minutes; the rest are counted.`,
  );
  return lines.map(cleanLine).join('\n');
}

function groupLines(group: FailureKind, index: number, total: number, withConsole: boolean): string[] {
  const event = group.first;
  const times = group.count === 1 ? '' : ` ${group.count} times`;
  const resource = event.resources[0];
  const consoleUrl = withConsole
    ? usableUrl(resourceConsoleUrl(event.service, event.region, resource))
    : undefined;
  const eventUrl = usableUrl(cloudTrailEventUrl(event.region, event.eventId));
  const code = event.errorCode ?? 'no error code';
  const otherResources = new Set([event, ...group.listed].map((e) => resourceLabel(e))).size - 1;
  const lines = [
    `[${index}/${total}] ${clip(event.eventName)} failed${times}: ${clip(code)}`,
    `  Message:  ${clip(event.errorMessage ?? '(no error message)', TEXT_MESSAGE_CHARS)}`,
    `  When:     ${formatTime(event.eventTime)}${
      group.count > 1 ? `, last at ${formatTime(group.lastEventTime)}` : ''
    }`,
    `  Caller:   ${clip(describePrincipal(event.principal))}`,
  ];
  const from = [event.sourceIp, event.userAgent ? `(${event.userAgent})` : undefined]
    .filter(Boolean)
    .join(' ');
  // "Source", not "From": an email already has a From header right above.
  if (from) lines.push(`  Source:   ${clip(from)}`);
  lines.push(
    `  Resource: ${resource ? clip(resourceLabel(event)) : 'none named in the call'}` +
      (otherResources > 0 ? ` (and ${otherResources} other${otherResources === 1 ? '' : 's'})` : ''),
  );
  if (consoleUrl) lines.push(`  Console:  ${consoleUrl}`);
  const first = group.count > 1 ? ' (the first one)' : '';
  if (eventUrl) lines.push(`  Event:    ${eventUrl}${first}`);
  else lines.push(`  Event ID: ${clip(event.eventId)}${first}`);
  return lines;
}

function resourceLabel(event: NormalizedEvent): string {
  const resource = event.resources[0];
  return resource ? `${resource.type} ${resource.id}` : '';
}

/** "johndoe (IAMUser arn:aws:iam::123456789012:user/johndoe)". */
function describePrincipal(principal: Principal): string {
  const name =
    principal.userName ?? lastSegment(principal.arn) ?? principal.invokedBy ?? principal.principalId;
  const identity = [principal.type, principal.arn ?? principal.invokedBy].filter(Boolean).join(' ');
  return name ? `${name} (${identity})` : identity;
}

function usableUrl(url: string | undefined): string | undefined {
  return url !== undefined && url.length <= TEXT_URL_CHARS ? url : undefined;
}

function formatTime(iso: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?Z$/.exec(iso);
  return match ? `${match[1]} ${match[2]} UTC` : clip(iso);
}

function lastSegment(arn: string | undefined): string | undefined {
  if (!arn) return undefined;
  const segment = arn.split(/[/:]/).pop();
  return segment ? segment : undefined;
}

// One line per field whatever the input: an error message with newlines must not break the layout.
function clip(value: string, max = TEXT_FIELD_CHARS): string {
  const flat = value.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return flat.length <= max ? flat : `${flat.slice(0, max - 3)}...`;
}

function cleanLine(line: string): string {
  return line.replace(/\s+$/, '');
}
