import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { RenderedAlert } from '../core/alert-document';
import { renderAlert } from '../core/alert-fit';
import type { NextStepsContext } from '../core/alert-next-steps';
import {
  fileId,
  groupByService,
  planServiceAlert,
  selectAlertable,
  signatureKey,
  signatureOf,
  type AlertSignature,
  type SignatureWindow,
} from '../core/alert-policy';
import { DEFAULT_ALERT_RULES, type AlertRules } from '../core/alert-rules';
import { TrailwatchError } from '../core/errors';
import type { NormalizedEvent } from '../core/normalized-event';
import type { AlertOutcome, AlertSink, LogObjectRef } from '../core/ports';
import type { ServiceName } from '../core/services';
import { AlertStateStore, messageRecordKey } from './alert-state-store';

/** SNS kept refusing an alert (or refused it for good); the file fails so the Lambda retries it. */
export class AlertPublishError extends TrailwatchError {}

/** Another invocation is publishing the same file's alert right now; retry the file later. */
export class AlertInProgressError extends TrailwatchError {}

/** The points of alertFile where a test can stop the process (see docs/alerts.md#exactly-once). */
export type AlertStep =
  'after-count-suppressed' | 'before-publish' | 'after-publish' | 'after-sent-record' | 'after-mark';

/** Options of SnsAlerter. */
// Publishing stops this long before the claim's lease ends (clock skew, the request's own latency).
const LEASE_SAFETY_MS = 5_000;

export interface SnsAlerterOptions {
  readonly topicArn: string;
  readonly stateTableName: string;
  readonly sns?: SNSClient;
  readonly dynamodb?: DynamoDBClient;
  /** Which failures alert; default every failure of every watched service. */
  readonly rules?: AlertRules;
  /** Noise-control window in minutes (default 60). */
  readonly windowMinutes?: number;
  /** The event table and runbook the emails' "What to do next" block points at. */
  readonly nextSteps?: NextStepsContext;
  readonly now?: () => Date;
  /** Publish attempts per message, on top of the SDK's own retries (default 4). */
  readonly publishAttempts?: number;
  /** First backoff pause in ms, doubled per attempt with jitter (default 200). */
  readonly backoffBaseMs?: number;
  /** Longest backoff pause in ms (default 5000). */
  readonly backoffMaxMs?: number;
  /** Pause implementation; tests inject one that records instead of waiting. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1); default Math.random. */
  readonly random?: () => number;
  /**
   * How long a publishing claim keeps concurrent duplicates of the same file away (default 60 s; Lambda's
   * first asynchronous retry comes a minute or more after a crash). Publish attempts stop, and an attempt
   * in flight is aborted, 5 s before the claim runs out, so a duplicate that takes over an expired claim
   * never publishes alongside a slow publish of this one.
   */
  readonly leaseSeconds?: number;
  /** How long alerted/suppressed markers are kept (default 365 days). */
  readonly markerRetentionDays?: number;
  /** Upper bound of one publish in bytes (default SNS's 256 KiB minus 1 KiB). */
  readonly maxPublishBytes?: number;
  /** Test seam: called at each step; a hook that throws stops alertFile there, like a crash. */
  readonly onStep?: (
    step: AlertStep,
    context: { service: ServiceName; source: LogObjectRef },
  ) => void | Promise<void>;
}

interface Tally {
  messagesPublished: number;
  eventsAlerted: number;
  eventsSuppressed: number;
  eventsAlreadyAlerted: number;
  eventsIgnored: number;
  byService: Partial<Record<ServiceName, number>>;
}

/**
 * Publishes one SNS message per log file and service with new alertable failures (docs/alerts.md).
 * Order per service: claim → count suppressed → publish → record "sent" → mark events → open windows.
 * Nothing is marked alerted before SNS accepted the message, so a crash or a failing publish loses no
 * alert; everything after the publish is idempotent, so a retry finishes the bookkeeping without
 * publishing again, except in the instant between the publish and the "sent" record.
 */
export class SnsAlerter implements AlertSink {
  private readonly topicArn: string;
  private readonly sns: SNSClient;
  private readonly store: AlertStateStore;
  private readonly rules: AlertRules;
  private readonly windowMinutes: number;
  private readonly nextSteps: NextStepsContext | undefined;
  private readonly now: () => Date;
  private readonly publishAttempts: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly leaseMs: number;
  private readonly maxPublishBytes: number | undefined;
  private readonly onStep: SnsAlerterOptions['onStep'];

  constructor(options: SnsAlerterOptions) {
    this.topicArn = options.topicArn;
    this.sns = options.sns ?? new SNSClient({});
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.store = new AlertStateStore({
      tableName: options.stateTableName,
      client: options.dynamodb ?? new DynamoDBClient({}),
      sleep: this.sleep,
      ...(options.markerRetentionDays !== undefined
        ? { markerRetentionDays: options.markerRetentionDays }
        : {}),
    });
    this.rules = options.rules ?? DEFAULT_ALERT_RULES;
    this.windowMinutes = options.windowMinutes ?? 60;
    this.nextSteps = options.nextSteps;
    this.now = options.now ?? (() => new Date());
    this.publishAttempts = Math.max(1, options.publishAttempts ?? 4);
    this.backoffBaseMs = options.backoffBaseMs ?? 200;
    this.backoffMaxMs = options.backoffMaxMs ?? 5_000;
    this.random = options.random ?? Math.random;
    this.leaseMs = (options.leaseSeconds ?? 60) * 1000;
    this.maxPublishBytes = options.maxPublishBytes;
    this.onStep = options.onStep;
  }

  /** Alerts on the new failures of one log file; throws when publishing keeps failing (nothing is marked then). */
  async alertFile(failures: readonly NormalizedEvent[], source: LogObjectRef): Promise<AlertOutcome> {
    const tally: Tally = {
      messagesPublished: 0,
      eventsAlerted: 0,
      eventsSuppressed: 0,
      eventsAlreadyAlerted: 0,
      eventsIgnored: 0,
      byService: {},
    };
    const { alertable, ignored } = selectAlertable(failures, this.rules);
    tally.eventsIgnored = ignored.length;
    if (alertable.length === 0) return tally;

    // One event per eventId: CloudTrail can repeat a record, and a repeat is not a second failure.
    const unique = [...new Map(alertable.map((e) => [e.eventId, e])).values()];
    tally.eventsAlreadyAlerted += alertable.length - unique.length;
    const markers = await this.store.eventMarkers(unique.map((e) => e.eventId));
    const fresh = unique.filter((e) => !markers.has(e.eventId));
    tally.eventsAlreadyAlerted += unique.length - fresh.length;

    for (const [service, events] of groupByService(fresh)) {
      // Identified by every alertable failure of the service in the file (already alerted or not), so
      // a retry of the same content finds its message record and new content gets a new one.
      const ids = unique.filter((e) => e.service === service).map((e) => e.eventId);
      await this.alertService(service, events, source, fileId(source, ids), tally);
    }
    return tally;
  }

  private async alertService(
    service: ServiceName,
    events: NormalizedEvent[],
    source: LogObjectRef,
    fid: string,
    tally: Tally,
  ): Promise<void> {
    const messageKey = messageRecordKey(fid, service);
    const existing = await this.store.messageRecord(messageKey);
    if (existing?.state === 'sent') {
      // A previous attempt published this file's alert and stopped before marking every event.
      await this.finishSent(messageKey, existing.sentAt ?? this.now().getTime(), events);
      tally.eventsAlreadyAlerted += events.length;
      return;
    }

    const nowMs = this.now().getTime();
    const signatures = new Map<string, AlertSignature>(
      events.map((e) => [signatureKey(signatureOf(e)), signatureOf(e)]),
    );
    const windows = await this.store.windows([...signatures.keys()]);
    const plan = planServiceAlert(service, events, windows, nowMs, this.windowMinutes);

    const owner = randomUUID();
    let publishDeadline = Number.POSITIVE_INFINITY;
    if (plan.alert.length > 0) {
      const claim = await this.store.claimMessage(messageKey, {
        owner,
        nowMs,
        leaseUntil: nowMs + this.leaseMs,
        source,
        service,
      });
      // Measured on the monotonic clock from the moment the claim was taken (the injected `now` may be fake).
      publishDeadline = performance.now() + this.leaseMs - LEASE_SAFETY_MS;
      if (!claim.claimed) {
        if (claim.record.state === 'sent') {
          await this.finishSent(messageKey, claim.record.sentAt ?? nowMs, events);
          tally.eventsAlreadyAlerted += events.length;
          return;
        }
        throw new AlertInProgressError(
          `alert for s3://${source.bucket}/${source.key} (${service}) is being published by another invocation ` +
            `until ${new Date(claim.record.leaseUntil).toISOString()}; retry the file later`,
        );
      }
    }

    // Suppressed failures are counted before publishing: the count does not depend on this message.
    const suppressedIds: string[] = [];
    for (const [key, suppressedEvents] of plan.suppressed) {
      const first = suppressedEvents[0] as NormalizedEvent;
      await this.store.countSuppressed(key, signatureOf(first), {
        fileId: fid,
        count: suppressedEvents.length,
        nowMs,
      });
      suppressedIds.push(...suppressedEvents.map((e) => e.eventId));
    }
    if (suppressedIds.length > 0) {
      await this.step('after-count-suppressed', service, source);
      await this.store.markEvents(suppressedIds, 'suppressed', { nowMs });
    }
    tally.eventsSuppressed += suppressedIds.length;
    if (plan.alert.length === 0) return;

    const rendered = renderAlert(
      {
        service,
        source,
        events: plan.alert,
        suppressedInFile: suppressedIds.length,
        earlierSuppressed: plan.earlierSuppressed,
        windowMinutes: this.windowMinutes,
        ...(this.nextSteps ? { nextSteps: this.nextSteps } : {}),
      },
      this.maxPublishBytes !== undefined ? { maxPublishBytes: this.maxPublishBytes } : {},
    );
    await this.step('before-publish', service, source);
    let messageId: string;
    try {
      messageId = await this.publish(rendered, service, source, publishDeadline);
    } catch (err) {
      // The publish error is what the operator must see; if the release fails too, the lease expiring
      // frees the claim anyway (the retry then waits at most leaseSeconds).
      await this.store.releaseClaim(messageKey, owner).catch(() => undefined);
      throw err;
    }
    await this.step('after-publish', service, source);
    const sentAt = this.now().getTime();
    await this.store.markMessageSent(messageKey, { messageId, sentAt, eventCount: plan.alert.length });
    await this.step('after-sent-record', service, source);
    await this.store.markEvents(
      plan.alert.map((e) => e.eventId),
      'alerted',
      { nowMs: sentAt, messageKey },
    );
    await this.openWindows(plan.alertedSignatures, windows, sentAt, messageKey);
    await this.step('after-mark', service, source);

    tally.messagesPublished += 1;
    tally.eventsAlerted += plan.alert.length;
    tally.byService[service] = (tally.byService[service] ?? 0) + plan.alert.length;
  }

  /** Completes the bookkeeping of a message a previous attempt published: marks and windows, no publish. */
  private async finishSent(
    messageKey: string,
    sentAt: number,
    events: readonly NormalizedEvent[],
  ): Promise<void> {
    await this.store.markEvents(
      events.map((e) => e.eventId),
      'alerted',
      { nowMs: sentAt, messageKey },
    );
    const signatures = new Map<string, AlertSignature>(
      events.map((e) => [signatureKey(signatureOf(e)), signatureOf(e)]),
    );
    const windows = await this.store.windows([...signatures.keys()]);
    await this.openWindows(signatures, windows, sentAt, messageKey);
  }

  private async openWindows(
    signatures: ReadonlyMap<string, AlertSignature>,
    windows: ReadonlyMap<string, SignatureWindow>,
    sentAt: number,
    messageKey: string,
  ): Promise<void> {
    for (const [key, signature] of signatures) {
      // The message reported every suppression counted up to the read; later ones wait for the next alert.
      const reportedTotal = windows.get(key)?.suppressedTotal ?? 0;
      await this.store.recordAlerted(key, signature, { sentAt, reportedTotal, messageKey });
    }
  }

  private async publish(
    rendered: RenderedAlert,
    service: ServiceName,
    source: LogObjectRef,
    deadline: number,
  ): Promise<string> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.publishAttempts; attempt++) {
      if (attempt > 1) await this.sleep(this.backoffMs(attempt - 1));
      const remainingMs = deadline - performance.now();
      if (remainingMs <= 0) {
        lastError ??= new Error('no time left within the publishing claim');
        break;
      }
      try {
        const out = await this.sns.send(
          new PublishCommand({
            TopicArn: this.topicArn,
            Subject: rendered.subject,
            Message: rendered.message,
            MessageStructure: 'json',
            MessageAttributes: rendered.messageAttributes,
          }),
          Number.isFinite(remainingMs) ? { abortSignal: AbortSignal.timeout(Math.ceil(remainingMs)) } : {},
        );
        return out.MessageId ?? '';
      } catch (err) {
        lastError = err;
        if (!isRetryable(err)) break;
      }
    }
    const reason = lastError instanceof Error ? `${lastError.name}: ${lastError.message}` : String(lastError);
    throw new AlertPublishError(
      `cannot publish the ${service} alert for s3://${source.bucket}/${source.key} to ${this.topicArn}: ${reason}`,
      { cause: lastError },
    );
  }

  // Exponential backoff with "equal jitter": half fixed, half random, so retries of many files spread out.
  private backoffMs(retry: number): number {
    const ceiling = Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** (retry - 1));
    return Math.round(ceiling / 2 + (ceiling / 2) * this.random());
  }

  private async step(step: AlertStep, service: ServiceName, source: LogObjectRef): Promise<void> {
    if (this.onStep) await this.onStep(step, { service, source });
  }
}

/** Server faults, throttling and network errors are worth retrying; a rejected request (4xx) is not. */
function isRetryable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as {
    $fault?: string;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: number };
    name?: string;
  };
  if (e.$retryable) return true;
  if (e.$fault === 'server') return true;
  if (e.name !== undefined && /Throttl|TooManyRequests|RequestLimitExceeded/i.test(e.name)) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500 || status === 429;
  // No HTTP status at all: the request never got an answer (reset, timeout, DNS).
  return e.$fault === undefined;
}
