/**
 * The chat form of an alert: a custom notification of Amazon Q Developer in chat applications (AWS
 * Chatbot), which delivers only this format from an SNS topic to Slack and Microsoft Teams channels.
 * Built from the same input as the email; docs/alerts.md#chat shows a real one.
 */
import * as z from 'zod';
import type { AlertMessageInput, RenderedAlert } from './alert-document';
import { signatureOf, sortOldestFirst } from './alert-policy';
import { eventSignatureKey, failureKinds, failureTotals, type FailureKind } from './alert-summary';
import { nextStepLines, type NextStepsContext } from './alert-next-steps';
import { cloudTrailEventUrl } from './console-links';
import type { NormalizedEvent, Principal } from './normalized-event';
import { describeObject } from './object-ref';
import { SERVICES } from './services';

// The chat service's documented limits (characters): title 250, description 8,000, each next step
// 350, each keyword 75. The counts of next steps, keywords and related resources, and the lengths of
// the metadata fields, are trailwatch's own bounds (the format names none), chosen so a channel stays
// readable and the message stays a few kilobytes whatever the input.
/** Longest title the chat service accepts. */
export const CHAT_TITLE_CHARS = 250;
/** Longest description the chat service accepts. */
export const CHAT_DESCRIPTION_CHARS = 8000;
/** Longest next step the chat service accepts. */
export const CHAT_NEXT_STEP_CHARS = 350;
/** Longest keyword the chat service accepts. */
export const CHAT_KEYWORD_CHARS = 75;
const MAX_NEXT_STEPS = 5;
const MAX_KEYWORDS = 5;
const MAX_RELATED = 10;
const METADATA_CHARS = 256;
const LOG_FILE_CHARS = 1024;
/** Kinds of failure listed in the description beside the first one. */
const OTHER_KINDS = 5;
const ERROR_MESSAGE_CHARS = 600;
const FIELD_CHARS = 300;

/** The notification type custom actions can attach to (`[A-Za-z0-9-]`, as the chat service requires). */
export const CHAT_EVENT_TYPE = 'TrailwatchFailedCalls';

const chars = (max: number) => z.string().min(1).max(max);

/** A custom notification as the chat service reads it from the SNS message body. */
export const ChatNotificationSchema = z.strictObject({
  version: z.literal('1.0'),
  source: z.literal('custom'),
  content: z.strictObject({
    textType: z.literal('client-markdown'),
    title: chars(CHAT_TITLE_CHARS),
    description: chars(CHAT_DESCRIPTION_CHARS),
    nextSteps: z.array(chars(CHAT_NEXT_STEP_CHARS)).max(MAX_NEXT_STEPS),
    keywords: z.array(chars(CHAT_KEYWORD_CHARS)).max(MAX_KEYWORDS),
  }),
  metadata: z.strictObject({
    threadId: z.string().regex(/^trailwatch-[0-9a-f]{32}$/),
    summary: chars(CHAT_TITLE_CHARS),
    eventType: z.literal(CHAT_EVENT_TYPE),
    relatedResources: z.array(chars(METADATA_CHARS)).max(MAX_RELATED),
    additionalContext: z.record(z.string(), z.string().max(LOG_FILE_CHARS)),
  }),
});
/** A custom notification (type from its schema). */
export type ChatNotification = z.infer<typeof ChatNotificationSchema>;

/**
 * The thread of a failure in the channel: one per noise-control signature (account, region, service,
 * call, error code, caller), so every alert of the same failure lands in the same thread.
 */
export function chatThreadId(event: NormalizedEvent): string {
  return `trailwatch-${eventSignatureKey(event).replace(/^sig#/, '')}`;
}

/** The chat form of one alert message (the same input the email text is built from). */
export function buildChatNotification(input: AlertMessageInput): ChatNotification {
  const events = sortOldestFirst(input.events);
  const groups = failureKinds(input, events);
  if (groups.length === 0) throw new RangeError('buildChatNotification needs at least one event');
  const total = failureTotals(input, events).count;
  const top = groups[0] as FailureKind;
  const first = top.first;
  const name = SERVICES[input.service].displayName;
  // Each part is bounded so that the account and region ("where") survive hostile names.
  const where = `in ${short(first.accountId ?? 'unknown')} ${short(first.region ?? 'unknown')}`;
  const code = first.errorCode ?? 'no error code';

  // What failed where: the call and error when the message holds one kind, else the count.
  const title =
    groups.length === 1 && total === top.count
      ? `${name} ${short(first.eventName)} failed${times(top.count)}: ${short(code)} ${where}`
      : `${total} failed ${name} calls, ${groups.length}${total > sumOf(groups) ? '+' : ''} kinds, ${where}`;
  const summary = `${name} ${short(first.eventName)}: ${short(code)} by ${short(callerName(first.principal))} ${where}`;

  return {
    version: '1.0',
    source: 'custom',
    content: {
      textType: 'client-markdown',
      title: clip(title, CHAT_TITLE_CHARS),
      description: description(input, total, groups),
      nextSteps: nextSteps(first, input.nextSteps),
      keywords: [name, code, first.accountId ?? '', first.region ?? '']
        .map((k) => clip(plain(k), CHAT_KEYWORD_CHARS))
        .filter((k, i, all) => k !== '' && all.indexOf(k) === i),
    },
    metadata: {
      threadId: chatThreadId(first),
      summary: clip(summary, CHAT_TITLE_CHARS),
      eventType: CHAT_EVENT_TYPE,
      relatedResources: relatedResources(events.length > 0 ? events : groups.map((g) => g.first)),
      additionalContext: {
        service: input.service,
        accountId: clip(first.accountId ?? 'unknown', METADATA_CHARS),
        region: clip(first.region ?? 'unknown', METADATA_CHARS),
        eventName: clip(first.eventName, METADATA_CHARS),
        errorCode: clip(code, METADATA_CHARS),
        principal: clip(signatureOf(first).principal, METADATA_CHARS),
        failureCount: String(total),
        logFile: clip(describeObject(input.source), LOG_FILE_CHARS),
      },
    },
  };
}

/**
 * The alert as the chat topic's publish: the custom notification as the `default` body (the chat
 * service subscribes over HTTPS, which gets `default`), with the email's subject and attributes so
 * subscription filter policies work the same on both topics.
 */
export function renderChatAlert(rendered: RenderedAlert, input: AlertMessageInput): RenderedAlert {
  const notification = buildChatNotification(input);
  const message = JSON.stringify({ default: JSON.stringify(notification) });
  const attributeBytes = Object.entries(rendered.messageAttributes).reduce(
    (n, [key, value]) => n + utf8(key) + utf8(value.DataType) + utf8(value.StringValue),
    0,
  );
  return {
    ...rendered,
    message,
    publishBytes: utf8(message) + utf8(rendered.subject) + attributeBytes,
  };
}

function description(input: AlertMessageInput, total: number, groups: readonly FailureKind[]): string {
  const top = groups[0] as FailureKind;
  const first = top.first;
  const resource = first.resources[0];
  const lines = [
    `*Caller:* ${code(callerName(first.principal))} (${short(first.principal.type)} ${code(
      first.principal.arn ?? first.principal.invokedBy ?? first.principal.principalId ?? 'unknown',
    )})`,
    `*Error:* ${code(first.errorCode ?? 'no error code')}: ${code(
      first.errorMessage ?? '(no error message)',
      ERROR_MESSAGE_CHARS,
    )}`,
    `*Resource:* ${resource ? code(`${resource.type} ${resource.id}`) : 'none named in the call'}`,
    `*When:* ${formatTime(first.eventTime)}${top.count > 1 ? `, last at ${formatTime(top.lastEventTime)}` : ''}`,
  ];
  if (total > top.count) {
    lines.push('', `*Also in this file* (${total - top.count} more):`);
    for (const group of groups.slice(1, 1 + OTHER_KINDS)) {
      const e = group.first;
      lines.push(
        `• ${code(e.eventName)}: ${code(e.errorCode ?? 'no error code')} by ${code(callerName(e.principal))}${times(group.count)}`,
      );
    }
    const rest = groups.slice(1 + OTHER_KINDS);
    // A big file's kinds past the cap are counted together (docs/alerts.md#overflow).
    const ungrouped = total - sumOf(groups);
    if (rest.length > 0 || ungrouped > 0) {
      const n = sumOf(rest) + ungrouped;
      const kinds = ungrouped > 0 ? 'more kinds' : `${rest.length} other kinds`;
      lines.push(`• and ${n} more of ${kinds} (see the email or the table)`);
    }
  }
  const earlier = input.earlierSuppressed.reduce((sum, r) => sum + r.count, 0);
  if (earlier > 0 || input.suppressedInFile > 0) {
    const parts: string[] = [];
    const only = input.earlierSuppressed.length === 1 ? input.earlierSuppressed[0] : undefined;
    const since = only?.since !== undefined ? `the alert at ${formatTime(only.since)}` : 'the last alert';
    if (earlier > 0)
      parts.push(`${earlier} identical ${earlier === 1 ? 'failure' : 'failures'} since ${since}`);
    if (input.suppressedInFile > 0)
      parts.push(
        `${input.suppressedInFile} more in this file that repeat failures alerted in the last ${input.windowMinutes} minutes`,
      );
    lines.push('', `*Counted, not sent:* ${parts.join('; ')}.`);
  }
  lines.push('', `*Log file:* ${code(describeObject(input.source), FIELD_CHARS)}`);
  return clip(lines.join('\n'), CHAT_DESCRIPTION_CHARS);
}

// The email's "What to do next" block (alert-next-steps.ts), as chat next steps: links become chat
// links, commands inline code. A step that would be cut, or whose command holds a character the chat
// would read as markup, is left out (a cut link or a changed command does not work).
function nextSteps(event: NormalizedEvent, context: NextStepsContext | undefined): string[] {
  const lines = nextStepLines(event, context).slice(1);
  const links: string[] = [];
  const commands: string[] = [];
  const step = (list: string[], text: string | undefined) => {
    if (text !== undefined && text.length <= CHAT_NEXT_STEP_CHARS) list.push(text);
  };
  const link = (url: string, text: string) =>
    /^https?:\/\/[^\s<>|]+$/.test(url) ? `<${url}|${clip(plain(text), 80)}>` : undefined;
  const name = SERVICES[event.service].displayName;
  // The console page is the resource's exactly when the block has its history line.
  const resource = lines.map((l) => /^ {2}History of \S+ (.+):$/.exec(l)?.[1]).find((id) => id);
  for (const [i, line] of lines.entries()) {
    const label = /^ {2}(\S.*):$/.exec(line)?.[1];
    const command = /^ {4}(\S.*)$/.exec(lines[i + 1] ?? '')?.[1];
    if (label !== undefined && command !== undefined) {
      if (!/[`<>]/.test(command)) step(commands, `${plain(label)}: \`${command}\``);
      continue;
    }
    const consoleUrl = /^ {2}Console: +(\S+)$/.exec(line)?.[1];
    if (consoleUrl !== undefined) {
      const text = resource ? `Open ${resource} in the ${name} console` : `Open the ${name} console`;
      step(links, link(consoleUrl, text));
    }
    const runbook = /^ {2}Runbook: +(\S+)(.*)$/.exec(line);
    if (runbook?.[1] !== undefined) {
      const [target, rest = ''] = [runbook[1], runbook[2]];
      const section = target.replace(/^.*#/, '');
      step(
        links,
        /^https?:/.test(target)
          ? link(target, `Runbook: ${section}`)
          : `Runbook: \`${plain(target)}\`${plain(rest)}`,
      );
    }
  }
  const eventUrl = cloudTrailEventUrl(event.region, event.eventId);
  if (eventUrl !== undefined) step(links, link(eventUrl, 'This event in CloudTrail event history'));
  // Links first (one tap), then the queries; with more steps than a channel should show, the last
  // query (every failure that day) is the one left out.
  return [...links, ...commands].slice(0, MAX_NEXT_STEPS);
}

function relatedResources(events: readonly NormalizedEvent[]): string[] {
  const seen = new Set<string>();
  for (const event of events) {
    for (const resource of event.resources) {
      const value = resource.id.startsWith('arn:') ? resource.id : `${resource.type} ${resource.id}`;
      if (value.length <= METADATA_CHARS) seen.add(value);
      if (seen.size === MAX_RELATED) return [...seen];
    }
  }
  return [...seen];
}

function sumOf(groups: readonly FailureKind[]): number {
  return groups.reduce((sum, g) => sum + g.count, 0);
}

function callerName(principal: Principal): string {
  const last = principal.arn?.split(/[/:]/).pop();
  return (
    principal.userName ??
    (last || undefined) ??
    principal.invokedBy ??
    principal.principalId ??
    principal.type
  );
}

function times(n: number): string {
  return n === 1 ? '' : ` ${n} times`;
}

function formatTime(iso: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?Z$/.exec(iso);
  return match ? `${match[1]} ${match[2]} UTC` : code(iso);
}

// Text from the log file is data, never markup: one line, no angle brackets (Slack reads `<!channel>`
// as a mention and `<url|text>` as a link), and markdown characters only inside inline code.
function plain(value: string): string {
  return value
    .replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ')
    .replace(/</g, '‹')
    .replace(/>/g, '›')
    .replace(/[*_~`|]/g, "'");
}

function short(value: string): string {
  return clip(plain(value), 64);
}

function code(value: string, max = FIELD_CHARS): string {
  const flat = value
    .replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ')
    .replace(/</g, '‹')
    .replace(/>/g, '›')
    .replace(/`/g, "'")
    .trim();
  return `\`${clip(flat === '' ? '-' : flat, max)}\``;
}

/** At most `max` UTF-16 units (so at most `max` characters however they are counted), never half a pair. */
function clip(value: string, max: number): string {
  if (value.length <= max) return value;
  let end = max - 1;
  if (/[\ud800-\udbff]/.test(value.charAt(end - 1))) end -= 1;
  return `${value.slice(0, end)}…`;
}

function utf8(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
