import { createHash } from 'node:crypto';
import type { AlertRules, IgnoreRule } from './alert-rules';
import type { NormalizedEvent, Principal } from './normalized-event';
import { SERVICE_NAMES, type ServiceName } from './services';

/**
 * What makes two failures "the same" for noise control: same account, region, service, call,
 * error code and caller. The caller is the principal's ARN, or for an assumed role the role (see principalKey).
 */
export interface AlertSignature {
  readonly accountId: string;
  readonly region: string;
  readonly service: ServiceName;
  readonly eventName: string;
  readonly errorCode: string;
  readonly principal: string;
}

/** The suppression state of one signature, as read from the alert state table. */
export interface SignatureWindow {
  /** When the last alert that carried this signature was published (epoch ms). */
  readonly lastAlertedAt?: number;
  /** Failures of this signature counted as suppressed, ever (monotonic). */
  readonly suppressedTotal: number;
  /** The suppressedTotal that the last alert already reported. */
  readonly reportedTotal: number;
}

/** Suppressed failures of one signature that the next alert reports. */
export interface SuppressedReport {
  readonly signature: AlertSignature;
  /** Failures counted, not sent, since the previous alert of this signature. */
  readonly count: number;
  /** When the previous alert of this signature was sent (ISO-8601), if known. */
  readonly since?: string;
  /** The window's suppressedTotal once this report is sent (stored as its new reportedTotal). */
  readonly reportedTotal: number;
}

/** What to do with one service's new (never alerted) failures of one file. */
export interface ServiceAlertPlan {
  readonly service: ServiceName;
  /** Failures to publish, oldest first. Empty when every one is suppressed. */
  readonly alert: readonly NormalizedEvent[];
  /** Failures not sent because their signature was alerted within the window, by signature key. */
  readonly suppressed: ReadonlyMap<string, readonly NormalizedEvent[]>;
  /** Earlier suppressions of the signatures in `alert`, to report in the message. */
  readonly earlierSuppressed: readonly SuppressedReport[];
  /** Signature key of every alerted event's signature → the signature. */
  readonly alertedSignatures: ReadonlyMap<string, AlertSignature>;
}

/** Partition of a file's failures by the rules. */
export interface RuleSelection {
  readonly alertable: NormalizedEvent[];
  readonly ignored: NormalizedEvent[];
}

/** Failed events the rules let through (`alertable`) and those they ignore. */
export function selectAlertable(failures: readonly NormalizedEvent[], rules: AlertRules): RuleSelection {
  const alertable: NormalizedEvent[] = [];
  const ignored: NormalizedEvent[] = [];
  const matchers = compileRules(rules);
  for (const event of failures) {
    // The pipeline passes failures only, but a success that slipped in must never page anyone.
    if (!event.failed || matchers.ignores(event)) ignored.push(event);
    else alertable.push(event);
  }
  return { alertable, ignored };
}

/** The caller as noise control sees it: the ARN, else the session issuer, principal id, invoking service, type. */
export function principalKey(principal: Principal): string {
  // An assumed-role ARN ends in the session name, which pollers and schedulers change on every run
  // (task ids, execution names): the role that issued the session is the stable caller.
  if (principal.type === 'AssumedRole' && principal.sessionIssuerArn) return principal.sessionIssuerArn;
  return (
    principal.arn ??
    principal.sessionIssuerArn ??
    principal.principalId ??
    principal.invokedBy ??
    principal.type
  );
}

/** The noise-control signature of a failed event. */
export function signatureOf(event: NormalizedEvent): AlertSignature {
  return {
    accountId: event.accountId ?? 'unknown',
    region: event.region ?? 'unknown',
    service: event.service,
    eventName: event.eventName,
    errorCode: event.errorCode ?? 'unknown',
    principal: principalKey(event.principal),
  };
}

/** Stable key of a signature: `sig#` + 32 hex digits of SHA-256 (ARNs make raw keys long). */
export function signatureKey(signature: AlertSignature): string {
  const parts = [
    signature.accountId,
    signature.region,
    signature.service,
    signature.eventName,
    signature.errorCode,
    signature.principal,
  ];
  // JSON keeps field boundaries unambiguous whatever characters the values hold.
  return `sig#${createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32)}`;
}

/** Short stable id of a log file, used to make per-file state writes idempotent. */
export function fileId(
  source: { readonly bucket: string; readonly key: string },
  eventIds: readonly string[] = [],
): string {
  // The failures' ids are part of the identity: an object overwritten with other content (a re-upload,
  // `trailwatch ingest` of an edited file) is another file, and its new failures must alert.
  return createHash('sha256')
    .update(JSON.stringify([source.bucket, source.key, [...new Set(eventIds)].sort()]))
    .digest('hex')
    .slice(0, 32);
}

/** Events grouped by service, in the stable SERVICE_NAMES order, each group sorted oldest first. */
export function groupByService(events: readonly NormalizedEvent[]): Map<ServiceName, NormalizedEvent[]> {
  const groups = new Map<ServiceName, NormalizedEvent[]>();
  for (const service of SERVICE_NAMES) {
    const ofService = events.filter((e) => e.service === service);
    if (ofService.length > 0) groups.set(service, sortOldestFirst(ofService));
  }
  return groups;
}

/** Sorts by eventTime, then eventId, so messages and plans are deterministic across retries. */
export function sortOldestFirst(events: readonly NormalizedEvent[]): NormalizedEvent[] {
  return [...events].sort((a, b) =>
    a.eventTime === b.eventTime ? compare(a.eventId, b.eventId) : compare(a.eventTime, b.eventTime),
  );
}

/** True while a signature alerted at `lastAlertedAt` must not be alerted again one by one. */
export function windowActive(
  window: SignatureWindow | undefined,
  nowMs: number,
  windowMinutes: number,
): boolean {
  if (window?.lastAlertedAt === undefined) return false;
  return nowMs - window.lastAlertedAt < windowMinutes * 60_000;
}

/**
 * Decides, for one service's new failures of one file, which are published and which are suppressed.
 * The window is measured on the processing clock (when the previous alert was sent), not on event
 * times, so late or out-of-order CloudTrail files cannot reopen it. All failures of a signature whose
 * window is closed go into this message together: they are one message already, not one by one.
 */
export function planServiceAlert(
  service: ServiceName,
  events: readonly NormalizedEvent[],
  windows: ReadonlyMap<string, SignatureWindow>,
  nowMs: number,
  windowMinutes: number,
): ServiceAlertPlan {
  const alert: NormalizedEvent[] = [];
  const suppressed = new Map<string, NormalizedEvent[]>();
  const alertedSignatures = new Map<string, AlertSignature>();
  for (const event of sortOldestFirst(events)) {
    const signature = signatureOf(event);
    const key = signatureKey(signature);
    if (windowActive(windows.get(key), nowMs, windowMinutes)) {
      const list = suppressed.get(key) ?? [];
      list.push(event);
      suppressed.set(key, list);
    } else {
      alert.push(event);
      alertedSignatures.set(key, signature);
    }
  }
  const earlierSuppressed: SuppressedReport[] = [];
  for (const [key, signature] of alertedSignatures) {
    const window = windows.get(key);
    const count = window ? window.suppressedTotal - window.reportedTotal : 0;
    if (window && count > 0) {
      earlierSuppressed.push({
        signature,
        count,
        ...(window.lastAlertedAt !== undefined
          ? { since: new Date(window.lastAlertedAt).toISOString() }
          : {}),
        reportedTotal: window.suppressedTotal,
      });
    }
  }
  return { service, alert, suppressed, earlierSuppressed, alertedSignatures };
}

/** Rules compiled once, to be asked about one event at a time. */
export interface CompiledRules {
  /** True when the rules say not to alert on the event. */
  ignores(event: NormalizedEvent): boolean;
}

/** Compiles the rules' patterns once (a file's failures are matched one by one as they are read). */
export function compileRules(rules: AlertRules): CompiledRules {
  const services = new Set<string>(rules.services);
  const codes = rules.ignoreErrorCodes.map(toMatcher);
  const names = rules.ignoreEventNames.map(toMatcher);
  const principals = rules.ignorePrincipals.map(toMatcher);
  const combined = rules.ignore.map(compileIgnoreRule);
  return {
    ignores(event) {
      if (!services.has(event.service)) return true;
      if (event.errorCode !== undefined && codes.some((m) => m(event.errorCode as string))) return true;
      if (names.some((m) => m(event.eventName))) return true;
      if (principals.some((m) => principalMatches(event.principal, m))) return true;
      return combined.some((rule) => rule(event));
    },
  };
}

function compileIgnoreRule(rule: IgnoreRule): (event: NormalizedEvent) => boolean {
  const list = (value: string | string[] | undefined) =>
    value === undefined ? undefined : (Array.isArray(value) ? value : [value]).map(toMatcher);
  const services = rule.service === undefined ? undefined : new Set<string>([rule.service].flat());
  const eventName = list(rule.eventName);
  const errorCode = list(rule.errorCode);
  const principal = list(rule.principal);
  const accountId = list(rule.accountId);
  const region = list(rule.region);
  const field = (matchers: Matcher[] | undefined, value: string | undefined) =>
    matchers === undefined || (value !== undefined && matchers.some((m) => m(value)));
  return (event) =>
    (services === undefined || services.has(event.service)) &&
    field(eventName, event.eventName) &&
    field(errorCode, event.errorCode) &&
    field(accountId, event.accountId) &&
    field(region, event.region) &&
    (principal === undefined || principal.some((m) => principalMatches(event.principal, m)));
}

type Matcher = (value: string) => boolean;

function toMatcher(pattern: string): Matcher {
  if (!pattern.includes('*')) return (value) => value === pattern;
  const regex = new RegExp(`^${pattern.split('*').map(escapeRegex).join('.*')}$`, 's');
  return (value) => regex.test(value);
}

function principalMatches(principal: Principal, matcher: Matcher): boolean {
  return [
    principal.arn,
    principal.sessionIssuerArn,
    principal.userName,
    principal.principalId,
    principal.invokedBy,
  ].some((value) => value !== undefined && matcher(value));
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
