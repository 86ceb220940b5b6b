import { randomUUID } from 'node:crypto';
import { renderAlert } from './alert-fit';
import type { NextStepsContext } from './alert-next-steps';
import {
  fileId,
  groupByService,
  planServiceAlert,
  selectAlertable,
  signatureKey,
  signatureOf,
  type AlertSignature,
  type SignatureWindow,
} from './alert-policy';
import { renderChatAlert } from './alert-chat';
import {
  messageRecordKey,
  PublishOutcomeUnknownError,
  type AlertChannel,
  type AlertLedger,
  type AlertPublisher,
  type EventClaims,
  type MessageRecord,
  type SuppressedCount,
} from './alert-ports';
import { DEFAULT_ALERT_RULES, type AlertRules } from './alert-rules';
import { TrailwatchError } from './errors';
import type { NormalizedEvent } from './normalized-event';
import { describeObject } from './object-ref';
import { OutOfTimeError, TIME_RESERVE_MS } from './out-of-time';
import {
  emptyAlertOutcome,
  type AlertFileOptions,
  type AlertOutcome,
  type AlertTally,
  type AlertSink,
  type LogObjectRef,
} from './ports';
import type { ServiceName } from './services';

/** Another invocation is publishing the same file's alert right now; retry the file later. */
export class AlertInProgressError extends TrailwatchError {}

// Publishing stops this long before the claim's lease ends (clock skew, the request's own latency).
const LEASE_SAFETY_MS = 5_000;
/** Events whose claims the plain lease covers (a second or two of requests at most). */
export const LEASE_COVERS_EVENTS = 1_000;
/**
 * Lease added per event claimed past LEASE_COVERS_EVENTS: time for the claims themselves (150,000 events
 * get 5 more minutes; DynamoDB takes a fraction of that at 64 requests in flight, dynalite about 1.5 ms each).
 */
export const LEASE_MS_PER_EVENT = 2;

/** Options of AlertDelivery: the two ports and the noise-control settings. */
export interface AlertDeliveryOptions {
  readonly ledger: AlertLedger;
  readonly publisher: AlertPublisher;
  /**
   * The chat topic's publisher (docs/alerts.md#chat): each alert also goes there in the chat service's
   * custom notification format, exactly once too (its own message record). Default: none.
   */
  readonly chatPublisher?: AlertPublisher;
  /** Which failures alert; default every failure of every watched service. */
  readonly rules?: AlertRules;
  /** Noise-control window in minutes (default 60). */
  readonly windowMinutes?: number;
  /** The event table and runbook the emails' "What to do next" block points at. */
  readonly nextSteps?: NextStepsContext;
  /** Wall clock for the ledger's timestamps; tests move it. */
  readonly now?: () => Date;
  /** Monotonic clock in ms for the publish deadline; default performance.now. */
  readonly monotonicNow?: () => number;
  /**
   * How long a publishing claim keeps concurrent duplicates of the same file away (default 60 s; Lambda's
   * first asynchronous retry comes a minute or more after a crash). The publish deadline is 5 s before
   * the claim runs out, so a duplicate that takes over an expired claim never publishes alongside a
   * slow publish of this one.
   */
  readonly leaseSeconds?: number;
  /** Upper bound of one publish in bytes (default SNS's 256 KiB minus 1 KiB). */
  readonly maxPublishBytes?: number;
  /** Claim owner ids; default random UUIDs. */
  readonly newOwner?: () => string;
  /**
   * How long, in total, to wait for failed events another invocation has claimed (default 65 s: past
   * a dead claimant's lease, so this invocation then takes the events over and alerts them itself).
   * Only when the claims outlast it does alertFile throw AlertInProgressError.
   */
  readonly claimWaitSeconds?: number;
  /** Pause between looks at claims held by another invocation (default 1 s). */
  readonly claimPollMs?: number;
  /** How to pause; tests move their clocks in it. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The caller's remaining time: `check` throws OutOfTimeError when less than the reserve (plus needMs) is left. */
interface TimeCheck {
  left(): number;
  check(before: string, needMs?: number): void;
}

/** One reading of both clocks, taken just before the claims: the lease and the publish deadline both count from it. */
interface ClaimClock {
  readonly nowMs: number;
  readonly leaseUntil: number;
  /** On the monotonic clock: the lease's end less the safety margin. */
  readonly publishDeadline: number;
}

type Tally = AlertTally;

/**
 * The exactly-once alert protocol (docs/alerts.md#exactly-once): one message per log file and
 * service with new alertable failures. Order per service: claim the events → claim the message →
 * count suppressed → publish → record "sent" → mark events → open windows. Nothing is marked
 * alerted before the publisher accepted the message, so a crash or a failing publish loses no
 * alert; everything after the publish is idempotent, so a retry finishes the bookkeeping without
 * publishing again, except in the instant between the publish and the "sent" record. Events
 * another invocation holds are waited for, not failed on: that invocation alerts them, or its
 * lease runs out and this one takes them over.
 */
export class AlertDelivery implements AlertSink {
  private readonly ledger: AlertLedger;
  private readonly channels: ReadonlyArray<{ channel: AlertChannel; publisher: AlertPublisher }>;
  private readonly rules: AlertRules;
  private readonly windowMinutes: number;
  private readonly nextSteps: NextStepsContext | undefined;
  private readonly now: () => Date;
  private readonly monotonicNow: () => number;
  private readonly leaseMs: number;
  private readonly maxPublishBytes: number | undefined;
  private readonly newOwner: () => string;
  private readonly claimWaitMs: number;
  private readonly claimPollMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: AlertDeliveryOptions) {
    this.ledger = options.ledger;
    this.channels = [
      { channel: 'topic', publisher: options.publisher },
      ...(options.chatPublisher ? [{ channel: 'chat' as const, publisher: options.chatPublisher }] : []),
    ];
    this.rules = options.rules ?? DEFAULT_ALERT_RULES;
    this.windowMinutes = options.windowMinutes ?? 60;
    this.nextSteps = options.nextSteps;
    this.now = options.now ?? (() => new Date());
    this.monotonicNow = options.monotonicNow ?? (() => performance.now());
    this.leaseMs = (options.leaseSeconds ?? 60) * 1000;
    this.maxPublishBytes = options.maxPublishBytes;
    this.newOwner = options.newOwner ?? randomUUID;
    this.claimWaitMs = (options.claimWaitSeconds ?? this.leaseMs / 1000 + 5) * 1000;
    this.claimPollMs = options.claimPollMs ?? 1_000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Alerts on the new failures of one log file; throws when publishing keeps failing (nothing is marked then). */
  async alertFile(
    failures: readonly NormalizedEvent[],
    source: LogObjectRef,
    options: AlertFileOptions = {},
  ): Promise<AlertOutcome> {
    const tally: Tally = emptyAlertOutcome();
    const time = this.timeCheck(source, options.remainingMs);
    const { alertable, ignored } = selectAlertable(failures, this.rules);
    tally.eventsIgnored = ignored.length;
    if (alertable.length === 0) return tally;

    // One event per eventId: CloudTrail can repeat a record, and a repeat is not a second failure.
    const unique = [...new Map(alertable.map((e) => [e.eventId, e])).values()];
    tally.eventsAlreadyAlerted += alertable.length - unique.length;
    const markers = await this.ledger.eventMarkers(unique.map((e) => e.eventId));
    const fresh = unique.filter((e) => !markers.has(e.eventId));
    tally.eventsAlreadyAlerted += unique.length - fresh.length;

    for (const [service, events] of groupByService(fresh)) {
      // Identified by every alertable failure of the service in the file (already alerted or not), so
      // a retry of the same content finds its message record and new content gets a new one.
      const ids = unique.filter((e) => e.service === service).map((e) => e.eventId);
      await this.alertService(service, events, source, fileId(source, ids), tally, time);
    }
    return tally;
  }

  // Claims the service's events, delivers the ones it got, and waits for the ones another invocation
  // holds (without holding up its own meanwhile, so two files waiting on each other cannot deadlock).
  private async alertService(
    service: ServiceName,
    events: NormalizedEvent[],
    source: LogObjectRef,
    firstFid: string,
    tally: Tally,
    time: TimeCheck,
  ): Promise<void> {
    const owner = this.newOwner();
    let pending = events;
    let fid = firstFid;
    let waitedMs = 0;
    for (;;) {
      time.check(`claiming ${pending.length} ${service} failures`);
      const clock = this.claimClock(time, pending.length);
      const messageKey = messageRecordKey(fid, service);
      const claims = await this.ledger.claimEvents(
        pending.map((e) => e.eventId),
        { owner, nowMs: clock.nowMs, leaseUntil: clock.leaseUntil, messageKey },
      );
      tally.eventsAlreadyAlerted += claims.final.size;
      const mine = pending.filter((e) => claims.claimed.has(e.eventId));
      if (mine.length > 0) {
        try {
          await this.deliver(service, mine, claims, source, fid, owner, clock, tally, time);
        } catch (err) {
          // Whatever failed, this invocation stops working on these now: its retry (or another file)
          // need not wait out the lease. The event claims keep naming the message, so a taker still
          // finds it sent if it was; a publishing claim is the duplicate window docs/alerts.md names.
          await this.ledger.releaseClaim(messageKey, owner).catch(() => undefined);
          await this.ledger
            .releaseEvents(
              mine.map((e) => e.eventId),
              owner,
            )
            .catch(() => undefined);
          throw err;
        }
      }

      pending = pending.filter((e) => claims.held.has(e.eventId));
      if (pending.length === 0) return;
      if (waitedMs >= this.claimWaitMs) {
        const until = Math.max(...claims.held.values());
        throw new AlertInProgressError(
          `alert for ${describeObject(source)} (${service}) is being published by another invocation ` +
            `until ${new Date(until).toISOString()}; retry the file later`,
        );
      }
      const pause = Math.min(this.claimPollMs, this.claimWaitMs - waitedMs);
      time.check(`waiting for ${pending.length} ${service} failures another invocation holds`, pause);
      await this.sleep(pause);
      waitedMs += pause;
      // The rest goes out in a message of its own (the first one, if any, holds only what was claimed).
      fid = fileId(
        source,
        pending.map((e) => e.eventId),
      );
    }
  }

  // Both clocks read at one instant: the lease ends at nowMs + lease on the wall clock, and publishing
  // stops LEASE_SAFETY_MS before the same moment on the monotonic clock, whatever happens in between, or
  // earlier when the caller's time ends first (half the reserve before it: the records need the rest).
  // The lease also covers the claims themselves, which for tens of thousands of events take a while:
  // without that, a big file's lease could run out before its publish, on every attempt.
  private claimClock(time: TimeCheck, events: number): ClaimClock {
    const nowMs = this.now().getTime();
    const monotonic = this.monotonicNow();
    const left = time.left();
    const leaseMs = this.leaseMs + Math.max(0, events - LEASE_COVERS_EVENTS) * LEASE_MS_PER_EVENT;
    return {
      nowMs,
      leaseUntil: nowMs + leaseMs,
      publishDeadline: Math.min(
        monotonic + leaseMs - LEASE_SAFETY_MS,
        monotonic + left - TIME_RESERVE_MS / 2,
      ),
    };
  }

  // The caller's remaining time, checked before each step that claims, waits or publishes.
  private timeCheck(source: LogObjectRef, remainingMs: (() => number) | undefined): TimeCheck {
    const left = (): number => remainingMs?.() ?? Number.POSITIVE_INFINITY;
    return {
      left,
      check(before, needMs = 0) {
        const ms = left();
        if (ms - needMs >= TIME_RESERVE_MS) return;
        throw new OutOfTimeError(
          `out of time: ${(Math.max(0, ms) / 1000).toFixed(1)} s left before ${before} for ` +
            `${describeObject(source)}; its claims are released for the retry`,
        );
      },
    };
  }

  private async deliver(
    service: ServiceName,
    claimedEvents: NormalizedEvent[],
    claims: EventClaims,
    source: LogObjectRef,
    fid: string,
    owner: string,
    clock: ClaimClock,
    tally: Tally,
    time: TimeCheck,
  ): Promise<void> {
    // One message record per channel; the topic's names the message (event claims, markers, windows).
    const keys = this.channels.map((c) => messageRecordKey(fid, service, c.channel));
    const messageKey = keys[0] as string;
    // Events taken over from a claimant that died: if the message it meant them for was sent (its
    // topic record), they were alerted, and only its bookkeeping is missing.
    let events = claimedEvents;
    const byPrevious = new Map<string, NormalizedEvent[]>();
    for (const e of events) {
      const previous = claims.claimed.get(e.eventId)?.previousMessageKey;
      if (previous !== undefined && previous !== messageKey) {
        byPrevious.set(previous, [...(byPrevious.get(previous) ?? []), e]);
      }
    }
    for (const [previousKey, previousEvents] of byPrevious) {
      const record = await this.ledger.messageRecord(previousKey);
      if (record?.state !== 'sent') continue;
      await this.finishSent(previousKey, record.sentAt ?? clock.nowMs, previousEvents);
      tally.eventsAlreadyAlerted += previousEvents.length;
      const done = new Set(previousEvents.map((e) => e.eventId));
      events = events.filter((e) => !done.has(e.eventId));
    }
    if (events.length === 0) return;

    const records: Array<MessageRecord | undefined> = [];
    for (const key of keys) records.push(await this.ledger.messageRecord(key));
    if (records.every((r) => r?.state === 'sent')) {
      // A previous attempt published this file's alert and stopped before marking every event.
      await this.finishSent(messageKey, records[0]?.sentAt ?? clock.nowMs, events);
      tally.eventsAlreadyAlerted += events.length;
      return;
    }

    const nowMs = clock.nowMs;
    const windows = await this.ledger.windows([...signaturesOf(events).keys()]);
    let plan = planServiceAlert(service, events, windows, nowMs, this.windowMinutes);
    // A channel published before the process stopped: the suppressed failures were marked before that
    // publish, so every failure still unmarked is one that message alerted, and the other channels
    // must say the same (even if another file's alert has opened a window since).
    const resumed = records.some((r) => r?.state === 'sent');
    if (resumed) {
      plan = { ...plan, alert: events, suppressed: new Map(), alertedSignatures: signaturesOf(events) };
    }
    const pending = this.channels
      .map((channel, i) => ({ ...channel, key: keys[i] as string }))
      .filter((_, i) => records[i]?.state !== 'sent');
    const alertIds = plan.alert.map((e) => e.eventId);

    if (plan.alert.length > 0) {
      time.check(`publishing the ${service} alert`);
      for (const [i, channel] of pending.entries()) {
        const claim = await this.ledger.claimMessage(channel.key, {
          owner,
          nowMs,
          leaseUntil: clock.leaseUntil,
          source,
          service,
        });
        // A record naming this owner is this claim (a ledger that retried a write whose answer was lost).
        if (claim.claimed || claim.record.owner === owner) continue;
        // Another invocation of the same file got here first: leave the channels to it.
        for (const taken of pending.slice(0, i)) {
          await this.ledger.releaseClaim(taken.key, owner).catch(() => undefined);
        }
        if (claim.record.state === 'sent' && pending.length === 1 && !resumed) {
          await this.finishSent(messageKey, claim.record.sentAt ?? nowMs, events);
          tally.eventsAlreadyAlerted += events.length;
          return;
        }
        // Unreachable while this owner holds the events; kept so a broken ledger fails loudly.
        await this.ledger.releaseEvents(alertIds, owner).catch(() => undefined);
        throw new AlertInProgressError(
          `alert for ${describeObject(source)} (${service}) is being published by another invocation ` +
            `until ${new Date(claim.record.leaseUntil).toISOString()}; retry the file later`,
        );
      }
    }

    // Suppressed failures are counted before publishing: the count does not depend on this message.
    const suppressedIds: string[] = [];
    const counts: SuppressedCount[] = [];
    for (const [key, suppressedEvents] of plan.suppressed) {
      const first = suppressedEvents[0] as NormalizedEvent;
      counts.push({ signatureKey: key, signature: signatureOf(first), count: suppressedEvents.length });
      suppressedIds.push(...suppressedEvents.map((e) => e.eventId));
    }
    if (counts.length > 0) await this.ledger.countSuppressed(counts, { fileId: fid, nowMs });
    if (suppressedIds.length > 0) await this.ledger.markEvents(suppressedIds, 'suppressed', { nowMs });
    tally.eventsSuppressed += suppressedIds.length;
    if (plan.alert.length === 0) return;

    const input = {
      service,
      source,
      events: plan.alert,
      suppressedInFile: suppressedIds.length,
      earlierSuppressed: plan.earlierSuppressed,
      windowMinutes: this.windowMinutes,
      // The render is the last step before the publish: its time is when the alert is sent.
      sentAt: this.now(),
      ...(this.nextSteps ? { nextSteps: this.nextSteps } : {}),
    };
    const rendered = renderAlert(
      input,
      this.maxPublishBytes !== undefined ? { maxPublishBytes: this.maxPublishBytes } : {},
    );
    // The topic's message first, then the chat's, each recorded `sent` the moment it was accepted, so
    // a retry publishes only what was not sent.
    let sentAt = records[0]?.sentAt;
    for (const [i, channel] of pending.entries()) {
      const message = channel.channel === 'chat' ? renderChatAlert(rendered, input) : rendered;
      let messageId: string;
      try {
        messageId = await channel.publisher.publish(message, clock.publishDeadline);
      } catch (err) {
        // The publish error is what the operator must see; if a release fails too, the lease expiring
        // frees the claims anyway (the retry then waits at most leaseSeconds).
        const unsent = pending.slice(i);
        if (err instanceof PublishOutcomeUnknownError) {
          // Recorded on this channel's message before anyone publishes it again, so every copy its
          // receivers may get is accounted for; the file fails, and its retry (or a replay) publishes
          // this channel (and the ones after it) once more, never a channel already sent.
          await this.ledger.recordUncertainPublish(channel.key, { owner, atMs: this.now().getTime() });
        }
        for (const rest of unsent) {
          await this.ledger.releaseClaim(rest.key, owner).catch(() => undefined);
        }
        // The events keep naming the topic's message, so the retry finds what was sent and resumes.
        await this.ledger.releaseEvents(alertIds, owner).catch(() => undefined);
        throw err;
      }
      const at = this.now().getTime();
      await this.ledger.markMessageSent(channel.key, {
        messageId,
        sentAt: at,
        eventCount: plan.alert.length,
      });
      sentAt ??= at;
    }
    const alertedAt = sentAt ?? nowMs;
    await this.ledger.markEvents(alertIds, 'alerted', { nowMs: alertedAt, messageKey });
    await this.openWindows(plan.alertedSignatures, windows, alertedAt, messageKey);

    if (resumed) {
      tally.eventsAlreadyAlerted += plan.alert.length;
      return;
    }
    tally.messagesPublished += 1;
    if (rendered.document.delivery) {
      tally.secondsAfterFirstCall.push(rendered.document.delivery.secondsAfterFirstCall);
    }
    tally.eventsAlerted += plan.alert.length;
    tally.byService[service] = (tally.byService[service] ?? 0) + plan.alert.length;
  }

  /** Completes the bookkeeping of a message a previous attempt published: marks and windows, no publish. */
  private async finishSent(
    messageKey: string,
    sentAt: number,
    events: readonly NormalizedEvent[],
  ): Promise<void> {
    await this.ledger.markEvents(
      events.map((e) => e.eventId),
      'alerted',
      { nowMs: sentAt, messageKey },
    );
    const signatures = signaturesOf(events);
    const windows = await this.ledger.windows([...signatures.keys()]);
    await this.openWindows(signatures, windows, sentAt, messageKey);
  }

  private async openWindows(
    signatures: ReadonlyMap<string, AlertSignature>,
    windows: ReadonlyMap<string, SignatureWindow>,
    sentAt: number,
    messageKey: string,
  ): Promise<void> {
    if (signatures.size === 0) return;
    // The message reported every suppression counted up to the read; later ones wait for the next alert.
    const alerted = [...signatures].map(([key, signature]) => ({
      signatureKey: key,
      signature,
      reportedTotal: windows.get(key)?.suppressedTotal ?? 0,
    }));
    await this.ledger.recordAlerted(alerted, { sentAt, messageKey });
  }
}

function signaturesOf(events: readonly NormalizedEvent[]): Map<string, AlertSignature> {
  return new Map(events.map((e) => [signatureKey(signatureOf(e)), signatureOf(e)]));
}
