import { randomUUID } from 'node:crypto';
import { renderAlert } from './alert-fit';
import type { NextStepsContext } from './alert-next-steps';
import {
  compileRules,
  fileId,
  planServiceAlert,
  signatureKey,
  sortOldestFirst,
  signatureOf,
  windowActive,
  type AlertSignature,
  type SignatureWindow,
  type SuppressedReport,
} from './alert-policy';
import { renderChatAlert } from './alert-chat';
import {
  FULL_FAILURES_PER_SERVICE,
  MAX_CHUNKS_QUEUED,
  ServiceOverflow,
  type ChunkEntry,
  type OverflowKind,
} from './alert-overflow';
import {
  carriedDigest,
  claimsOf,
  messageFileId,
  messageRecordKey,
  PublishOutcomeUnknownError,
  type AlertChannel,
  type AlertLedger,
  type AlertPublisher,
  type EarlierClaim,
  type EventClaims,
  type MessageRecord,
  type PreviousClaim,
  type SuppressedCount,
} from './alert-ports';
import { DEFAULT_ALERT_RULES, type AlertRules } from './alert-rules';
import { TrailwatchError } from './errors';
import type { NormalizedEvent } from './normalized-event';
import { describeObject } from './object-ref';
import { OutOfTimeError, TIME_RESERVE_MS } from './out-of-time';
import {
  alertFailures,
  emptyAlertOutcome,
  type AlertFileOptions,
  type AlertHoldings,
  type AlertOutcome,
  type AlertTally,
  type AlertSink,
  type FileAlerts,
  type LogObjectRef,
} from './ports';
import { SERVICE_NAMES, type ServiceName } from './services';

/** Another invocation is publishing the same file's alert right now; retry the file later. */
export class AlertInProgressError extends TrailwatchError {}

// Publishing stops this long before the claim's lease ends (clock skew, the request's own latency).
const LEASE_SAFETY_MS = 5_000;
/**
 * How far an overflow claim's lease runs past the caller's remaining time (docs/alerts.md#overflow):
 * the invocation cannot outlive it, so no other file takes the events over while it may still publish.
 */
export const OVERFLOW_LEASE_MARGIN_MS = 60_000;
/** An overflow claim's lease when the caller has no deadline (the CLI, local mode). */
export const OVERFLOW_LEASE_MAX_MS = 15 * 60_000;
/**
 * messageId of a message record that settles a service's overflow when nothing was published (every
 * failure suppressed): its claims then read as done, not as held (docs/alerts.md#overflow).
 */
export const NOTHING_PUBLISHED = 'none: every failure suppressed';

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
  /** Full overflow chunks per service that may wait to be claimed while the file is read on (default MAX_CHUNKS_QUEUED). */
  readonly overflowChunksQueued?: number;
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

/** What one message left: the claimed events it did not carry, and until when a duplicate holds its claim. */
interface Delivered {
  /** Claimed by this owner, not in the message (a duplicate of the file has it): they need one of their own. */
  readonly notCarried: NormalizedEvent[];
  /** Set when another invocation is publishing the message, and so its overflow: the end of its claim. */
  readonly overflowBusyUntil?: number;
  /**
   * Events the message carried on the alert topic, released: its other channels wait until this owner
   * holds all it carried (or another owner has sent them), then go out under the same name.
   */
  readonly resumeWaits?: NormalizedEvent[];
}

/** One service's failures of a file being read: the first ones held whole, the rest its overflow. */
interface ServiceFailures {
  readonly held: Map<string, NormalizedEvent>;
  overflow?: ServiceOverflow;
  /** The overflow chunks taken and being claimed, one after another: the last one's end. */
  settling?: Promise<void>;
  /** Why a chunk's claims failed, once one did. */
  failed?: { readonly error: unknown };
  /** The end of each chunk taken and not yet waited for, oldest first. */
  readonly queue: Promise<void>[];
}

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
  private readonly chunksQueued: number;
  /**
   * Per file's tally: held failures left to the message another invocation sent on the alert topic only
   * (its file's retry sends them to the chat topic); reported as held elsewhere.
   */
  private readonly leftToTheirMessage = new WeakMap<Tally, number>();

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
    this.chunksQueued = Math.max(1, options.overflowChunksQueued ?? MAX_CHUNKS_QUEUED);
  }

  /** Alerts on the new failures of one log file held in a list: begin, add each, finish. */
  async alertFile(
    failures: readonly NormalizedEvent[],
    source: LogObjectRef,
    options: AlertFileOptions = {},
  ): Promise<AlertOutcome> {
    return alertFailures(this, failures, source, options);
  }

  /**
   * Starts one file's alerts (docs/alerts.md#overflow). Per service the first FULL_FAILURES_PER_SERVICE
   * alertable failures are held whole and go through the protocol at finish; every later one joins a
   * chunk that is claimed for the service's message as soon as it is full, then dropped, leaving counts
   * per kind. So what a file's alert holds does not grow with its failed calls.
   */
  begin(source: LogObjectRef, options: AlertFileOptions = {}): FileAlerts {
    const tally: Tally = emptyAlertOutcome();
    const time = this.timeCheck(source, options.remainingMs);
    const rules = compileRules(this.rules);
    const services = new Map<ServiceName, ServiceFailures>();
    let finished = false;
    const add = async (event: NormalizedEvent): Promise<void> => {
      if (finished) throw new RangeError('add after finish');
      // The pipeline passes failures only, but a success that slipped in must never page anyone.
      if (!event.failed || rules.ignores(event)) {
        tally.eventsIgnored += 1;
        return;
      }
      let failures = services.get(event.service);
      if (!failures) {
        failures = { held: new Map(), queue: [] };
        services.set(event.service, failures);
      }
      // One event per eventId: CloudTrail can repeat a record, and a repeat is not a second failure.
      if (failures.held.has(event.eventId)) {
        tally.eventsAlreadyAlerted += 1;
        return;
      }
      if (failures.held.size < FULL_FAILURES_PER_SERVICE && !failures.overflow) {
        failures.held.set(event.eventId, event);
        return;
      }
      // The message is named from the held failures: the same content gives the same name on a retry.
      failures.overflow ??= new ServiceOverflow(fileId(source, [...failures.held.keys()]));
      if (failures.overflow.add(event)) {
        // A chunk that could not be claimed fails the file now, not after the rest of it is read.
        if (failures.failed) throw failures.failed.error;
        // Claimed in the background, chunk after chunk, while the file is read on: a slow table must
        // not stall the read (the S3 stream times out after 30 s of silence). Past MAX_CHUNKS_QUEUED
        // chunks waiting the read waits for them, so what is held stays bounded.
        const chunk = failures.overflow.takeChunk();
        const overflow = failures.overflow;
        const settling = (failures.settling ?? Promise.resolve()).then(() =>
          this.settleChunk(event.service, overflow, chunk, time),
        );
        const record = failures;
        settling.catch((error: unknown) => (record.failed ??= { error })); // awaited at the cap or the finish
        failures.settling = settling;
        failures.queue.push(settling);
        // Waits for the oldest chunk only: the read goes on as soon as the queue is below the cap.
        while (failures.queue.length > this.chunksQueued) await failures.queue.shift();
      }
    };
    const finish = async (): Promise<AlertOutcome> => {
      if (finished) throw new RangeError('finish called twice');
      finished = true;
      let heldElsewhere = 0;
      for (const [service, failures] of services) {
        await failures.settling;
        const overflow = failures.overflow;
        if (overflow) await this.settleChunk(service, overflow, overflow.takeChunk(), time);
      }
      const held = [...services.values()].flatMap((f) => [...f.held.values()]);
      const markers =
        held.length > 0 ? await this.ledger.eventMarkers(held.map((e) => e.eventId)) : new Map();
      for (const service of SERVICE_NAMES) {
        const failures = services.get(service);
        if (!failures) continue;
        const fresh = [...failures.held.values()].filter((e) => !markers.has(e.eventId));
        tally.eventsAlreadyAlerted += failures.held.size - fresh.length;
        const overflow = failures.overflow;
        if (overflow) {
          tally.eventsAlreadyAlerted += overflow.alreadyAlerted;
          heldElsewhere += overflow.heldElsewhere;
        }
        if (fresh.length === 0 && (overflow?.claimed ?? 0) === 0) continue;
        // Identified by the service's held failures (already alerted or not), so a retry of the same
        // content finds its message record and new content gets a new one.
        const fid = overflow?.fileId ?? fileId(source, [...failures.held.keys()]);
        const settled = new Set([...failures.held.keys()].filter((id) => markers.has(id)));
        await this.alertService(service, sortOldestFirst(fresh), overflow, source, fid, settled, tally, time);
      }
      heldElsewhere += this.leftToTheirMessage.get(tally) ?? 0;
      return heldElsewhere > 0 ? { ...tally, eventsHeldElsewhere: heldElsewhere } : tally;
    };
    return {
      add,
      finish,
      get holdings(): AlertHoldings {
        const held: Partial<Record<ServiceName, number>> = {};
        const chunk: Partial<Record<ServiceName, number>> = {};
        const kinds: Partial<Record<ServiceName, number>> = {};
        for (const [service, failures] of services) {
          held[service] = failures.held.size;
          chunk[service] = failures.overflow?.holdings.chunk ?? 0;
          kinds[service] = failures.overflow?.holdings.kinds ?? 0;
        }
        return { held, chunk, kinds };
      },
    };
  }

  // Claims one chunk of a service's overflow for its message, owned by the file (so its retry in
  // another invocation takes them back at once), and counts what came of each claim; the ids are dropped.
  private async settleChunk(
    service: ServiceName,
    overflow: ServiceOverflow,
    chunk: readonly ChunkEntry[],
    time: TimeCheck,
  ): Promise<void> {
    if (chunk.length === 0) return;
    try {
      await this.claimChunk(service, overflow, chunk, time);
    } finally {
      overflow.settled(chunk);
    }
  }

  private async claimChunk(
    service: ServiceName,
    overflow: ServiceOverflow,
    chunk: readonly ChunkEntry[],
    time: TimeCheck,
  ): Promise<void> {
    time.check(`claiming ${chunk.length} more ${service} failures`);
    const messageKey = messageRecordKey(overflow.fileId, service);
    const nowMs = this.now().getTime();
    const left = time.left();
    const leaseUntil =
      nowMs + (Number.isFinite(left) ? left + OVERFLOW_LEASE_MARGIN_MS : OVERFLOW_LEASE_MAX_MS);
    overflow.leaseUntil ??= leaseUntil;
    const claims = await this.ledger.claimEvents(
      chunk.map((e) => e.eventId),
      { owner: overflowOwner(overflow.fileId), nowMs, leaseUntil, messageKey },
    );
    // Claims that name another message count as alerted when that message was sent with them.
    const others = new Set<string>();
    for (const [, taken] of claims.claimed) {
      for (const earlier of takenMessages(taken, messageKey)) others.add(earlier.messageKey);
    }
    for (const key of claims.heldFor.values()) others.add(key);
    const sent = await this.sentMessages(others);
    // Sent on the alert topic and not yet on every channel (its file stopped between the publishes): what
    // that message counted it owes the chat topic, and only its file can send that again.
    const topicOnly = new Map<string, MessageRecord>();
    for (const key of this.channels.length > 1 ? others : []) {
      if (sent.has(key)) continue;
      const topic = await this.ledger.messageRecord(key);
      if (topic?.state === 'sent') topicOnly.set(key, topic);
    }
    const leftToThem = new Map<string, string[]>();
    const takenSent = new Map<string, string[]>();
    const seen = new Set<string>();
    for (const entry of chunk) {
      if (seen.has(entry.eventId)) continue;
      seen.add(entry.eventId);
      const id = entry.eventId;
      const taken = claims.claimed.get(id);
      if (taken) {
        const earlier = takenMessages(taken, messageKey);
        const sentIn = earlier.find((c) => sentWith(sent.get(c.messageKey), id, c.owner))?.messageKey;
        const owedBy = earlier.find((c) => sentWith(topicOnly.get(c.messageKey), id, c.owner))?.messageKey;
        if (sentIn !== undefined) {
          takenSent.set(sentIn, [...(takenSent.get(sentIn) ?? []), id]);
          overflow.alreadyAlerted += 1;
        } else if (owedBy !== undefined) {
          leftToThem.set(owedBy, [...(leftToThem.get(owedBy) ?? []), id]);
          overflow.heldElsewhere += 1;
        } else overflow.countClaimed(entry);
      } else if (claims.final.has(id)) {
        overflow.alreadyAlerted += 1;
      } else if (sentWith(sent.get(claims.heldFor.get(id) ?? ''), id, claims.heldBy.get(id))) {
        overflow.alreadyAlerted += 1;
      } else {
        // Held for a message not sent yet, or by an invocation whose sent message did not carry it (it
        // sends it in a message of its own): that file's to alert.
        overflow.heldElsewhere += 1;
      }
    }
    // Taken over from a claimant whose message went out: alerted, only its marker was missing.
    for (const [key, ids] of takenSent) {
      await this.ledger.markEvents(ids, 'alerted', { nowMs, messageKey: key });
    }
    // Given back to the message that counted them on the alert topic, released: its file's retry takes
    // them back and counts them on the chat topic.
    for (const [key, ids] of leftToThem) {
      const owner = overflowOwner(overflow.fileId);
      await this.ledger.claimEvents(ids, { owner, nowMs, leaseUntil, messageKey: key });
      await this.ledger.releaseEvents(ids, owner);
    }
  }

  // The topic records of the given messages that are sent on every channel (a chat publish still under
  // way is not done yet), read one by one (a chunk names few distinct messages).
  private async sentMessages(keys: ReadonlySet<string>): Promise<Map<string, MessageRecord>> {
    const sent = new Map<string, MessageRecord>();
    for (const key of keys) {
      let topic: MessageRecord | undefined;
      for (const { channel } of this.channels) {
        const record = await this.ledger.messageRecord(channel === 'topic' ? key : `${key}#${channel}`);
        if (record?.state !== 'sent') {
          topic = undefined;
          break;
        }
        topic ??= record;
      }
      if (topic) sent.set(key, topic);
    }
    return sent;
  }

  // Claims the service's events, delivers the ones it got, and waits for the ones another invocation
  // holds (without holding up its own meanwhile, so two files waiting on each other cannot deadlock).
  // Claimed events a message could not carry (a duplicate of the file that split the claims had it)
  // go out at once in a message of their own. The overflow goes out in the first message, or, when
  // this invocation got none of the held events at first (a duplicate of the file holds them), once
  // every held event is settled; while a duplicate is publishing the file's message, which carries
  // the overflow, it waits for that message as for a claim.
  private async alertService(
    service: ServiceName,
    events: NormalizedEvent[],
    overflow: ServiceOverflow | undefined,
    source: LogObjectRef,
    firstFid: string,
    settled: Set<string>,
    tally: Tally,
    time: TimeCheck,
  ): Promise<void> {
    const owner = this.newOwner();
    let pending = events;
    let fid = firstFid;
    let waitedMs = 0;
    let unsettled = overflow !== undefined && overflow.claimed > 0 ? overflow : undefined;
    const wait = async (count: number, until: number): Promise<void> => {
      if (waitedMs >= this.claimWaitMs) {
        throw new AlertInProgressError(
          `alert for ${describeObject(source)} (${service}) is being published by another invocation ` +
            `until ${new Date(until).toISOString()}; retry the file later`,
        );
      }
      const pause = Math.min(this.claimPollMs, this.claimWaitMs - waitedMs);
      time.check(`waiting for ${count} ${service} failures another invocation holds`, pause);
      await this.sleep(pause);
      waitedMs += pause;
    };
    while (pending.length > 0) {
      time.check(`claiming ${pending.length} ${service} failures`);
      const clock = this.claimClock(time, overflow);
      const messageKey = messageRecordKey(fid, service);
      const claims = await this.ledger.claimEvents(
        pending.map((e) => e.eventId),
        { owner, nowMs: clock.nowMs, leaseUntil: clock.leaseUntil, messageKey },
      );
      tally.eventsAlreadyAlerted += claims.final.size;
      // Held for a message that was sent with them (or a big file's overflow claim for a sent message): alerted.
      const sent = await this.sentMessages(new Set(claims.heldFor.values()));
      const done = (id: string): boolean =>
        sentWith(sent.get(claims.heldFor.get(id) ?? ''), id, claims.heldBy.get(id));
      const heldSent = pending.filter((e) => claims.held.has(e.eventId) && done(e.eventId));
      tally.eventsAlreadyAlerted += heldSent.length;
      for (const id of claims.final.keys()) settled.add(id);
      for (const e of heldSent) settled.add(e.eventId);
      const mine = pending.filter((e) => claims.claimed.has(e.eventId));
      let own: NormalizedEvent[] = [];
      let resumeWaits: NormalizedEvent[] = [];
      if (mine.length > 0) {
        const withOverflow = fid === firstFid ? unsettled : undefined;
        try {
          const delivered = await this.deliver(
            service,
            mine,
            withOverflow,
            claims,
            source,
            fid,
            owner,
            clock,
            tally,
            time,
            settled,
          );
          resumeWaits = delivered.resumeWaits ?? [];
          if (withOverflow && delivered.overflowBusyUntil === undefined && resumeWaits.length === 0) {
            unsettled = undefined;
          }
          own = delivered.notCarried;
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

      const waiting = pending.filter((e) => claims.held.has(e.eventId) && !done(e.eventId));
      pending = [...own, ...waiting, ...resumeWaits];
      if (pending.length === 0) break;
      if (resumeWaits.length > 0) {
        // The message this name is for went out on the alert topic; its other channels wait for the rest
        // of what it carried, under the same name (the released claims still name it).
        await wait(pending.length, clock.leaseUntil);
        continue;
      }
      // The rest goes out in a message of its own (the first one, if any, holds only what it carried).
      const next = fileId(
        source,
        pending.map((e) => e.eventId),
      );
      // Only others' claims are waited for: this invocation's own go out at once, under the new name.
      if (own.length === 0 || next === fid) {
        await wait(pending.length, Math.max(0, ...waiting.map((e) => claims.held.get(e.eventId) ?? 0)));
      }
      fid = next;
    }
    while (unsettled) {
      time.check(`alerting ${unsettled.claimed} more ${service} failures`);
      const clock = this.claimClock(time, overflow);
      const none = claimsOf();
      const delivered = await this.deliver(
        service,
        [],
        unsettled,
        none,
        source,
        firstFid,
        owner,
        clock,
        tally,
        time,
      );
      if (delivered.overflowBusyUntil === undefined) break;
      await wait(unsettled.claimed, delivered.overflowBusyUntil);
    }
  }

  // Both clocks read at one instant: the lease ends at nowMs + lease on the wall clock, and publishing
  // stops LEASE_SAFETY_MS before the same moment on the monotonic clock, whatever happens in between, or
  // earlier when the caller's time ends first (half the reserve before it: the records need the rest).
  // An overflow's claims bound it too: they were taken earlier, with the lease of their own.
  private claimClock(time: TimeCheck, overflow: ServiceOverflow | undefined): ClaimClock {
    const nowMs = this.now().getTime();
    const monotonic = this.monotonicNow();
    const left = time.left();
    const overflowLeft =
      overflow?.leaseUntil !== undefined ? overflow.leaseUntil - nowMs : Number.POSITIVE_INFINITY;
    return {
      nowMs,
      leaseUntil: nowMs + this.leaseMs,
      publishDeadline: Math.min(
        monotonic + this.leaseMs - LEASE_SAFETY_MS,
        monotonic + left - TIME_RESERVE_MS / 2,
        monotonic + overflowLeft - LEASE_SAFETY_MS,
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

  // One message of a service: claimed, counted, published, recorded, marked. Returns the claimed events
  // it could not carry (another invocation of the same file, a duplicate notification that split the
  // claims, has this message: they go out in a message of their own), and, when that invocation is still
  // publishing the message the overflow goes out in, until when its claim runs.
  private async deliver(
    service: ServiceName,
    claimedEvents: NormalizedEvent[],
    overflow: ServiceOverflow | undefined,
    claims: EventClaims,
    source: LogObjectRef,
    fid: string,
    owner: string,
    clock: ClaimClock,
    tally: Tally,
    time: TimeCheck,
    settled: ReadonlySet<string> = new Set(),
  ): Promise<Delivered> {
    // One message record per channel; the topic's names the message (event claims, markers, windows).
    const keys = this.channels.map((c) => messageRecordKey(fid, service, c.channel));
    const messageKey = keys[0] as string;
    // The overflow claimed for this message, by kind; none of it has ids left to mark.
    const overflowKinds = overflow?.claimedKinds() ?? new Map<string, OverflowKind>();
    const overflowCount = overflow?.claimed ?? 0;
    // Events taken over from a claimant that died: if the message it meant them for was sent with them
    // (its topic record), they were alerted, and only its bookkeeping is missing.
    const fresh: NormalizedEvent[] = [];
    const previousRecords = new Map<string, MessageRecord | undefined>();
    const byPrevious = new Map<string, NormalizedEvent[]>();
    for (const e of claimedEvents) {
      // The claim it replaced, and the ones that one had taken over: its owner may have stopped right
      // after its takeover, before it settled them, so a message sent with them may be further back.
      let previous: string | undefined;
      for (const earlier of takenMessages(claims.claimed.get(e.eventId), messageKey)) {
        if (!previousRecords.has(earlier.messageKey)) {
          previousRecords.set(earlier.messageKey, await this.ledger.messageRecord(earlier.messageKey));
        }
        if (sentWith(previousRecords.get(earlier.messageKey), e.eventId, earlier.owner)) {
          previous = earlier.messageKey;
          break;
        }
      }
      if (previous === undefined) fresh.push(e);
      else byPrevious.set(previous, [...(byPrevious.get(previous) ?? []), e]);
    }
    for (const [previousKey, previousEvents] of byPrevious) {
      const record = previousRecords.get(previousKey) as MessageRecord;
      if ((await this.sentMessages(new Set([previousKey]))).has(previousKey)) {
        await this.finishSent(previousKey, record.sentAt ?? clock.nowMs, previousEvents);
        tally.eventsAlreadyAlerted += previousEvents.length;
        continue;
      }
      // Sent on the alert topic with them, not yet on every channel (the process stopped between the two
      // publishes): that message still owes them to the chat topic, and only that message may carry them
      // there, so the claims name it again (a stop from here on leaves them naming it, as before).
      const ids = previousEvents.map((e) => e.eventId);
      await this.ledger.claimEvents(ids, {
        owner,
        nowMs: clock.nowMs,
        leaseUntil: clock.leaseUntil,
        messageKey: previousKey,
      });
      const previousFid = messageFileId(previousKey, service);
      if (previousFid !== undefined && carriesExactly(record, previousEvents)) {
        // These are everything that message carried: its other channels can be sent from them (as the
        // file's own retry would resume it), under its records, so none of them goes out twice.
        const resumedClaims = claimsOf(new Map(ids.map((id) => [id, { previousMessageKey: previousKey }])));
        const delivered = await this.deliver(
          service,
          previousEvents,
          undefined,
          resumedClaims,
          record.source ?? source,
          previousFid,
          owner,
          clock,
          tally,
          time,
        );
        if (delivered.notCarried.length > 0) throw new RangeError('a resumed message left events out');
        // Another owner is sending that chat half (it holds everything the message carried): they are its.
        const waits = delivered.resumeWaits?.length ?? 0;
        if (waits > 0) this.leftToTheirMessage.set(tally, (this.leftToTheirMessage.get(tally) ?? 0) + waits);
        continue;
      }
      // That message carried more than these (or an overflow): only its own file can send the rest of it,
      // so these are left to it, released and naming it, and its retry resumes it with them.
      await this.ledger.releaseEvents(ids, owner);
      this.leftToTheirMessage.set(tally, (this.leftToTheirMessage.get(tally) ?? 0) + ids.length);
    }
    if (fresh.length === 0 && overflowCount === 0) return { notCarried: [] };

    const records: Array<MessageRecord | undefined> = [];
    for (const key of keys) records.push(await this.ledger.messageRecord(key));
    const topic = records[0];
    let events = fresh;
    let notCarried: NormalizedEvent[] = [];
    if (topic?.state === 'sent') {
      // This message went out (a previous attempt published it and stopped before marking every event, or
      // a duplicate of the file published it): with the held events its record lists, and the overflow,
      // whose claims name it. Any other event this owner holds was not in it.
      events = fresh.filter((e) => sentWith(topic, e.eventId, undefined));
      notCarried = fresh.filter((e) => !sentWith(topic, e.eventId, undefined));
      if (records.every((r) => r?.state === 'sent')) {
        if (events.length > 0) await this.finishSent(messageKey, topic.sentAt ?? clock.nowMs, events);
        tally.eventsAlreadyAlerted += events.length + overflowCount;
        return { notCarried };
      }
      if (events.length === 0 && overflowCount === 0) return { notCarried };
      // Its other channels carry what it carried, all of it at once: while another owner holds some of
      // those events (it took them over and is giving them back, or a copy of this retry has them), these
      // are released and wait for them, so no chat message goes out without them.
      if (events.length > 0 && !carriedAllOf(topic, events, settled)) {
        await this.ledger.releaseEvents(
          events.map((e) => e.eventId),
          owner,
        );
        return { notCarried, resumeWaits: events };
      }
    }

    const nowMs = clock.nowMs;
    const windows = await this.ledger.windows([
      ...new Set([...signaturesOf(events).keys(), ...overflowKinds.keys()]),
    ]);
    let plan = planServiceAlert(service, events, windows, nowMs, this.windowMinutes);
    // The overflow follows the same plan per kind; kinds past the cap (ungrouped) always alert.
    let alertedKinds = [...overflowKinds].filter(
      ([key]) => !windowActive(windows.get(key), nowMs, this.windowMinutes),
    );
    let suppressedKinds = [...overflowKinds].filter(([key]) =>
      windowActive(windows.get(key), nowMs, this.windowMinutes),
    );
    // A channel published before the process stopped: the suppressed failures were marked before that
    // publish, so every failure it carried and still unmarked is one that message alerted, and the other
    // channels must say the same (even if another file's alert has opened a window since).
    const resumed = topic?.state === 'sent';
    if (resumed) {
      plan = { ...plan, alert: events, suppressed: new Map(), alertedSignatures: signaturesOf(events) };
      alertedKinds = [...overflowKinds];
      suppressedKinds = [];
    }
    const overflowSuppressed = suppressedKinds.reduce((sum, [, kind]) => sum + kind.count, 0);
    const overflowAlerted = overflowCount - overflowSuppressed;
    const alertCount = plan.alert.length + overflowAlerted;
    const pending = this.channels
      .map((channel, i) => ({ ...channel, key: keys[i] as string }))
      .filter((_, i) => records[i]?.state !== 'sent');
    const alertIds = plan.alert.map((e) => e.eventId);

    // The message is claimed before anything is counted or published, also when nothing will be
    // published: one owner at a time counts this file's suppressed failures (once per file id) and
    // settles the message, so two copies that split the claims each have their part counted.
    if (alertCount > 0) time.check(`publishing the ${service} alert`);
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
      for (const taken of pending.slice(0, i)) {
        await this.ledger.releaseClaim(taken.key, owner).catch(() => undefined);
      }
      if (resumed) {
        // The topic's message went out with the overflow and a duplicate of the file is publishing the
        // chat's: wait for it, as for a claim.
        if (events.length === 0) return { notCarried, overflowBusyUntil: claim.record.leaseUntil };
        // Another owner is sending the chat half (it finishes a message whose claims it took over): it
        // marks these too once it is sent, or its lease runs out; these wait, released, meanwhile.
        await this.ledger.releaseEvents(alertIds, owner);
        return { notCarried, resumeWaits: events };
      }
      // Another invocation of the same file (a duplicate notification) has this message. It carries the
      // events that invocation claimed, never these while this owner holds them: only ones it carried
      // before their claims ran out and this owner took them over, which its sent record lists.
      const other = claim.record;
      // (Only the topic's record lists what its message carried; a chat record is never sent before it.)
      if (other.state !== 'sent' || i > 0) {
        return { notCarried: [...notCarried, ...events], overflowBusyUntil: other.leaseUntil };
      }
      const carried = events.filter((e) => sentWith(other, e.eventId, undefined));
      if (carried.length > 0 && !(await this.sentMessages(new Set([messageKey]))).has(messageKey)) {
        // Sent on the alert topic since this owner read the records, not yet on the chat topic: the
        // ones it carried go with its chat half (the next round resumes it), the rest in one of their own.
        await this.ledger.releaseEvents(
          carried.map((e) => e.eventId),
          owner,
        );
        return {
          notCarried: [...notCarried, ...events.filter((e) => !sentWith(other, e.eventId, undefined))],
          resumeWaits: carried,
        };
      }
      if (carried.length > 0) await this.finishSent(messageKey, other.sentAt ?? nowMs, carried);
      tally.eventsAlreadyAlerted += carried.length + overflowCount;
      return {
        notCarried: [...notCarried, ...events.filter((e) => !sentWith(other, e.eventId, undefined))],
      };
    }

    // Suppressed failures are counted before publishing: the count does not depend on this message.
    const suppressedIds: string[] = [];
    const counted = new Map<string, SuppressedCount>();
    for (const [key, suppressedEvents] of plan.suppressed) {
      const first = suppressedEvents[0] as NormalizedEvent;
      counted.set(key, { signatureKey: key, signature: signatureOf(first), count: suppressedEvents.length });
      suppressedIds.push(...suppressedEvents.map((e) => e.eventId));
    }
    for (const [key, kind] of suppressedKinds) {
      const count = (counted.get(key)?.count ?? 0) + kind.count;
      counted.set(key, { signatureKey: key, signature: kind.signature, count });
    }
    const counts = [...counted.values()];
    if (counts.length > 0) await this.ledger.countSuppressed(counts, { fileId: fid, nowMs });
    if (suppressedIds.length > 0) await this.ledger.markEvents(suppressedIds, 'suppressed', { nowMs });
    tally.eventsSuppressed += suppressedIds.length + overflowSuppressed;
    if (alertCount === 0) {
      // Nothing to publish: a record that settles the message (carrying none of the held events) ends
      // the claim, so a duplicate of the file sends what it holds in a message of its own, and overflow
      // claims naming it read as done, not holding other files' copies of the events until their lease ends.
      for (const channel of pending) {
        await this.ledger.markMessageSent(channel.key, {
          messageId: NOTHING_PUBLISHED,
          sentAt: nowMs,
          eventCount: 0,
          ...(channel.channel === 'topic' ? { carried: [] } : {}),
        });
      }
      return { notCarried };
    }

    const input = {
      service,
      source,
      events: plan.alert,
      suppressedInFile: suppressedIds.length + overflowSuppressed,
      earlierSuppressed: earlierReports(plan, alertedKinds, windows),
      windowMinutes: this.windowMinutes,
      // The render is the last step before the publish: its time is when the alert is sent.
      sentAt: this.now(),
      ...(this.nextSteps ? { nextSteps: this.nextSteps } : {}),
      ...(overflow && overflowAlerted > 0
        ? { overflow: overflow.toAlertOverflow(alertedKinds.map(([, kind]) => kind)) }
        : {}),
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
        // The overflow's claims are the file's own: its retry takes them back at once.
        await this.ledger.releaseEvents(alertIds, owner).catch(() => undefined);
        throw err;
      }
      const at = this.now().getTime();
      await this.ledger.markMessageSent(channel.key, {
        messageId,
        sentAt: at,
        eventCount: alertCount,
        // What the message carried: only these of the held events read as alerted by it.
        ...(channel.channel === 'topic' ? { carried: alertIds.map(carriedDigest) } : {}),
      });
      sentAt ??= at;
    }
    const alertedAt = sentAt ?? nowMs;
    await this.ledger.markEvents(alertIds, 'alerted', { nowMs: alertedAt, messageKey });
    const alertedSignatures = new Map(plan.alertedSignatures);
    for (const [key, kind] of alertedKinds) alertedSignatures.set(key, kind.signature);
    await this.openWindows(alertedSignatures, windows, alertedAt, messageKey);

    if (resumed) {
      tally.eventsAlreadyAlerted += alertCount;
      return { notCarried };
    }
    tally.messagesPublished += 1;
    if (rendered.document.delivery) {
      tally.secondsAfterFirstCall.push(rendered.document.delivery.secondsAfterFirstCall);
    }
    tally.eventsAlerted += alertCount;
    tally.byService[service] = (tally.byService[service] ?? 0) + alertCount;
    return { notCarried };
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

const OVERFLOW_OWNER_PREFIX = 'file#';

/** The owner of a file's overflow claims: derived from the file, so its retry recognises them at once. */
export function overflowOwner(fileIdValue: string): string {
  return `${OVERFLOW_OWNER_PREFIX}${fileIdValue}`;
}

/**
 * Whether a sent message counted this failure, given the owner of the claim that named the message: a
 * file's overflow claim always (every copy of the file claims the same overflow, and whichever publishes
 * counts it), a held failure only if the record lists it, or, on a record written before records listed
 * them, always (as then). A record not sent counted nothing.
 */
function sentWith(record: MessageRecord | undefined, eventId: string, owner: string | undefined): boolean {
  if (record?.state !== 'sent') return false;
  if (owner?.startsWith(OVERFLOW_OWNER_PREFIX) === true) return true;
  return record.carried === undefined || record.carried.has(carriedDigest(eventId));
}

/**
 * The messages a taken-over claim may have gone out in, newest first, other than this one: the claim it
 * replaced and the ones that claim had kept (an owner that stopped right after its own takeover).
 */
function takenMessages(taken: PreviousClaim | undefined, messageKey: string): EarlierClaim[] {
  const previous: EarlierClaim[] =
    taken?.previousMessageKey !== undefined
      ? [
          {
            messageKey: taken.previousMessageKey,
            ...(taken.previousOwner !== undefined ? { owner: taken.previousOwner } : {}),
          },
        ]
      : [];
  return [...previous, ...[...(taken?.earlier ?? [])].reverse()].filter((c) => c.messageKey !== messageKey);
}

/** Whether a sent topic record's held failures are all among these events or the settled ids (or it lists none). */
function carriedAllOf(
  record: MessageRecord,
  events: readonly NormalizedEvent[],
  settled: ReadonlySet<string>,
): boolean {
  const listed = record.carried;
  if (listed === undefined) return true;
  const digests = new Set([...events.map((e) => e.eventId), ...settled].map(carriedDigest));
  return [...listed].every((d) => digests.has(d));
}

/**
 * Whether a sent topic record lists exactly these held failures and counted nothing else (no overflow):
 * then its other channels can be sent from them alone.
 */
function carriesExactly(record: MessageRecord, events: readonly NormalizedEvent[]): boolean {
  const listed = record.carried;
  if (listed === undefined || record.eventCount !== listed.size) return false;
  const digests = new Set(events.map((e) => carriedDigest(e.eventId)));
  return [...listed].every((d) => digests.has(d));
}

// The plan's earlier suppressions, plus those of the overflow's alerted kinds the held part lacks.
function earlierReports(
  plan: {
    readonly earlierSuppressed: readonly SuppressedReport[];
    readonly alertedSignatures: ReadonlyMap<string, AlertSignature>;
  },
  alertedKinds: ReadonlyArray<readonly [string, OverflowKind]>,
  windows: ReadonlyMap<string, SignatureWindow>,
): SuppressedReport[] {
  const reports = [...plan.earlierSuppressed];
  for (const [key, kind] of alertedKinds) {
    if (plan.alertedSignatures.has(key)) continue;
    const window = windows.get(key);
    const count = window ? window.suppressedTotal - window.reportedTotal : 0;
    if (!window || count <= 0) continue;
    reports.push({
      signature: kind.signature,
      count,
      ...(window.lastAlertedAt !== undefined ? { since: new Date(window.lastAlertedAt).toISOString() } : {}),
      reportedTotal: window.suppressedTotal,
    });
  }
  return reports;
}

function signaturesOf(events: readonly NormalizedEvent[]): Map<string, AlertSignature> {
  return new Map(events.map((e) => [signatureKey(signatureOf(e)), signatureOf(e)]));
}
