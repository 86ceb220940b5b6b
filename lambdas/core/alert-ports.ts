import { createHash } from 'node:crypto';
import type { RenderedAlert } from './alert-document';
import type { AlertSignature, SignatureWindow } from './alert-policy';
import type { LogObjectRef } from './ports';
import { TrailwatchError } from './errors';
import type { ServiceName } from './services';

/**
 * The publisher cannot tell whether the channel accepted the message (the request may have reached
 * it: a lost answer, a timeout after sending, a server error). Never retried blindly: the protocol
 * records it on the message before anyone publishes again (docs/alerts.md#ambiguous-publishes).
 */
export class PublishOutcomeUnknownError extends TrailwatchError {}

/** What the ledger says about one failed event: alerted in a message, or counted as suppressed. */
export type EventMarkerState = 'alerted' | 'suppressed';

/** The record of one (log file, service) alert message. */
export interface MessageRecord {
  readonly key: string;
  /**
   * `publishing`: claimed, publish may or may not have happened; `uncertain`: a publish ended without
   * knowing whether it was accepted (recorded, claim ended); `sent`: the publisher accepted it.
   */
  readonly state: 'publishing' | 'uncertain' | 'sent';
  readonly owner: string;
  /** Epoch ms after which another invocation may take over a `publishing` claim. */
  readonly leaseUntil: number;
  readonly messageId?: string;
  /** Epoch ms when the publisher accepted the message. */
  readonly sentAt?: number;
  /** Publishes of this message whose outcome was unknown: each may have delivered one more copy. */
  readonly uncertainPublishes?: number;
  /**
   * A sent topic message's held failures, as carriedDigest values: only these read as alerted by it (two
   * copies of one file can split its claims). Undefined on records written before records listed them.
   */
  readonly carried?: ReadonlySet<string>;
  /** A sent record's failures counted in its message (held and overflow); absent on other records. */
  readonly eventCount?: number;
  /** The log file whose alert claimed the message (absent on records that predate it). */
  readonly source?: LogObjectRef;
}

/** Result of AlertLedger.claimMessage. */
export type ClaimResult =
  { readonly claimed: true } | { readonly claimed: false; readonly record: MessageRecord };

/** What a claim records: who holds it, until when, and for which file and service. */
export interface MessageClaim {
  readonly owner: string;
  readonly nowMs: number;
  readonly leaseUntil: number;
  readonly source: LogObjectRef;
  readonly service: ServiceName;
}

/** What a claim on failed events records: who holds them, until when, and the message they go out in. */
export interface EventClaim {
  readonly owner: string;
  readonly nowMs: number;
  readonly leaseUntil: number;
  /** The message record the claimed events are to be alerted (or counted) in. */
  readonly messageKey: string;
}

/** Result of AlertLedger.claimEvents: every asked eventId is in exactly one of the three. */
export interface EventClaims {
  /**
   * Now held by this owner: unclaimed, already this owner's, or taken over from an expired claim. A
   * taken-over claim names the message its earlier owner meant them for (`previousMessageKey`) and that
   * owner (`previousOwner`), so the protocol can tell whether that message went out with them.
   */
  readonly claimed: ReadonlyMap<string, PreviousClaim>;
  /** Already alerted or suppressed (final markers). */
  readonly final: ReadonlyMap<string, EventMarkerState>;
  /** Claimed by another owner whose lease has not run out: the epoch ms it runs to. */
  readonly held: ReadonlyMap<string, number>;
  /**
   * The message each held claim names: a claim whose message was sent reads as alerted (a big file's
   * overflow claims are never replaced by markers; docs/alerts.md#overflow).
   */
  readonly heldFor: ReadonlyMap<string, string>;
  /**
   * The owner of each held claim: a file's overflow claims (`file#<fileId>`) are counted by whichever copy
   * of the file publishes their message; an invocation's only if that message's record lists them.
   */
  readonly heldBy: ReadonlyMap<string, string>;
}

/** EventClaims holding just `claimed` (none final, none held elsewhere): a delivery of claims already made. */
export function claimsOf(claimed: ReadonlyMap<string, PreviousClaim> = new Map()): EventClaims {
  return { claimed, final: new Map(), held: new Map(), heldFor: new Map(), heldBy: new Map() };
}

/** What an event's claim replaced: the message and owner of the earlier claim, when there was one. */
export interface PreviousClaim {
  readonly previousMessageKey?: string;
  readonly previousOwner?: string;
  /**
   * The claims the earlier claim had itself taken over (its owner stopped before it settled them), oldest
   * first: a message one of them names may have gone out with the event (docs/alerts.md, the crash table).
   */
  readonly earlier?: readonly EarlierClaim[];
}

/** A claim an event's claim took over: the message it named and its owner. Kept on every takeover after it. */
export interface EarlierClaim {
  readonly messageKey: string;
  readonly owner?: string;
}

/**
 * What a takeover of an event's claim keeps of the claims before it: the ones that claim had kept, and
 * that claim itself (each message once).
 */
export function earlierClaims(
  kept: readonly EarlierClaim[] | undefined,
  replaced: EarlierClaim | undefined,
): EarlierClaim[] {
  const all = [...(kept ?? []), ...(replaced ? [replaced] : [])];
  return all.filter((c, i) => all.findIndex((d) => d.messageKey === c.messageKey) === i);
}

/** One signature's suppressed failures in one file. */
export interface SuppressedCount {
  readonly signatureKey: string;
  readonly signature: AlertSignature;
  readonly count: number;
}

/** One signature an alert carried, and the suppressions that alert reported for it. */
export interface AlertedWindow {
  readonly signatureKey: string;
  readonly signature: AlertSignature;
  readonly reportedTotal: number;
}

/**
 * The alert protocol's state (docs/alerts.md#state), as the persistence layer of an idempotency
 * handler: per-eventId markers, per-(file, service) message records with a publishing lease, and
 * per-signature suppression windows. Every operation is a single conditional write or an
 * idempotent overwrite, so each step of the protocol can be repeated after a crash.
 */
export interface AlertLedger {
  /** Markers of the given events that exist (strongly consistent), by eventId. */
  eventMarkers(eventIds: readonly string[]): Promise<Map<string, EventMarkerState>>;
  /** Suppression windows of the given signature keys (absent keys have never alerted). */
  windows(signatureKeys: readonly string[]): Promise<Map<string, SignatureWindow>>;
  /**
   * Claims failed events for one message, each under its own condition: an event is claimed when
   * it has no marker, or its claim is this owner's (a retried write after a lost answer finds its own
   * token) or has expired. One event is so alerted once whichever files carry it. A takeover of another
   * owner's claim keeps that claim (message and owner) and the ones it had kept, beside its own message
   * (`earlierClaims`), so a later claimant still finds a message sent with the event; a claim the owner
   * writes again over its own keeps none.
   */
  claimEvents(eventIds: readonly string[], claim: EventClaim): Promise<EventClaims>;
  /**
   * Ends the owner's own claims on events now (lease set to 0) while keeping the message they name,
   * so the next claimant can publish at once and still sees which message they were meant for.
   */
  releaseEvents(eventIds: readonly string[], owner: string): Promise<void>;
  /** The message record of one (file, service), if any (strongly consistent). */
  messageRecord(key: string): Promise<MessageRecord | undefined>;
  /** Takes (or, for the same owner, renews) the right to publish unless the message was sent or another owner holds an unexpired claim. */
  claimMessage(key: string, claim: MessageClaim): Promise<ClaimResult>;
  /** Deletes the owner's own unsent claim (someone else's, or a sent record, is left alone). */
  releaseClaim(key: string, owner: string): Promise<void>;
  /**
   * Records a publish whose outcome is unknown: state `uncertain`, one more `uncertainPublishes`,
   * the claim ended (lease 0). A `sent` record is left alone.
   */
  recordUncertainPublish(key: string, details: { owner: string; atMs: number }): Promise<void>;
  /**
   * Records that the publisher accepted the message: the write that closes the duplicate window. The
   * topic's record lists the held failures it carried (`carried`, carriedDigest values; empty when it
   * carried none); the chat's, whose message follows the topic's, lists none.
   */
  markMessageSent(
    key: string,
    sent: { messageId: string; sentAt: number; eventCount: number; carried?: readonly string[] },
  ): Promise<void>;
  /** Writes final markers for events, replacing their claims (overwrites are harmless: the same event gets the same state). */
  markEvents(
    eventIds: readonly string[],
    state: EventMarkerState,
    details: { nowMs: number; messageKey?: string },
  ): Promise<void>;
  /**
   * Adds one file's suppressed failures to their signatures' windows, once per file and signature (the
   * signatures' updates may run in parallel); returns the signature keys counted now (not already counted).
   */
  countSuppressed(
    counts: readonly SuppressedCount[],
    update: { fileId: string; nowMs: number },
  ): Promise<ReadonlySet<string>>;
  /**
   * Opens a new window for each signature an alert carried (in parallel); lastAlertedAt only moves
   * forward, the counted files start empty.
   */
  recordAlerted(
    windows: readonly AlertedWindow[],
    alerted: { sentAt: number; messageKey: string },
  ): Promise<void>;
}

/** Delivers one rendered alert to its channel (SNS in production). */
export interface AlertPublisher {
  /**
   * Publishes the message and returns the channel's message id. `deadlineMs` is on the monotonic
   * clock (`performance.now()`): no attempt may still be in flight after it. Throws when the message
   * was not accepted, and PublishOutcomeUnknownError (after no retry) when it may have been.
   */
  publish(message: RenderedAlert, deadlineMs: number): Promise<string>;
}

/** A channel an alert goes to, each with its own message record: the alert topic, and the chat topic. */
export type AlertChannel = 'topic' | 'chat';

/** Key of the message record of one log file (by fileId), service and channel (the topic's has no suffix). */
export function messageRecordKey(
  fileIdValue: string,
  service: ServiceName,
  channel: AlertChannel = 'topic',
): string {
  return `msg#${fileIdValue}#${service}${channel === 'topic' ? '' : `#${channel}`}`;
}

/** The fileId a topic message record's key names, or undefined when the key is not one of the service's. */
export function messageFileId(key: string, service: ServiceName): string | undefined {
  const prefix = 'msg#';
  const suffix = `#${service}`;
  if (!key.startsWith(prefix) || !key.endsWith(suffix)) return undefined;
  const fid = key.slice(prefix.length, key.length - suffix.length);
  return fid === '' || fid.includes('#') ? undefined : fid;
}

/**
 * What a sent message record keeps of one held failure it carried: 12 characters (72 bits) of its
 * eventId's SHA-256, so 1,000 of them take about 12 KB of the record whatever the ids' length
 * (docs/alerts.md#exactly-once-per-failed-event).
 */
export function carriedDigest(eventId: string): string {
  return createHash('sha256').update(eventId).digest('base64url').slice(0, 12);
}
