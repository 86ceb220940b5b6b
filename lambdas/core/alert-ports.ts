import type { RenderedAlert } from './alert-document';
import type { AlertSignature, SignatureWindow } from './alert-policy';
import type { LogObjectRef } from './ports';
import type { ServiceName } from './services';

/** What the ledger says about one failed event: alerted in a message, or counted as suppressed. */
export type EventMarkerState = 'alerted' | 'suppressed';

/** The record of one (log file, service) alert message. */
export interface MessageRecord {
  readonly key: string;
  /** `publishing`: claimed, publish may or may not have happened; `sent`: the publisher accepted it. */
  readonly state: 'publishing' | 'sent';
  readonly owner: string;
  /** Epoch ms after which another invocation may take over a `publishing` claim. */
  readonly leaseUntil: number;
  readonly messageId?: string;
  /** Epoch ms when the publisher accepted the message. */
  readonly sentAt?: number;
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
  /** The message record of one (file, service), if any (strongly consistent). */
  messageRecord(key: string): Promise<MessageRecord | undefined>;
  /** Takes the right to publish unless the message was sent or another owner holds an unexpired claim. */
  claimMessage(key: string, claim: MessageClaim): Promise<ClaimResult>;
  /** Deletes the owner's own unsent claim (someone else's, or a sent record, is left alone). */
  releaseClaim(key: string, owner: string): Promise<void>;
  /** Records that the publisher accepted the message: the write that closes the duplicate window. */
  markMessageSent(
    key: string,
    sent: { messageId: string; sentAt: number; eventCount: number },
  ): Promise<void>;
  /** Writes markers for events (overwrites are harmless: the same event gets the same state). */
  markEvents(
    eventIds: readonly string[],
    state: EventMarkerState,
    details: { nowMs: number; messageKey?: string },
  ): Promise<void>;
  /** Adds one file's suppressed failures to a signature's window, once per file; false when already counted. */
  countSuppressed(
    signatureKey: string,
    signature: AlertSignature,
    update: { fileId: string; count: number; nowMs: number },
  ): Promise<boolean>;
  /** Opens a new window after an alert; lastAlertedAt only moves forward, the counted files start empty. */
  recordAlerted(
    signatureKey: string,
    signature: AlertSignature,
    alerted: { sentAt: number; reportedTotal: number; messageKey: string },
  ): Promise<void>;
}

/** Delivers one rendered alert to its channel (SNS in production). */
export interface AlertPublisher {
  /**
   * Publishes the message and returns the channel's message id. `deadlineMs` is on the monotonic
   * clock (`performance.now()`): no attempt may still be in flight after it. Throws when the message
   * was not accepted.
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
