import type { NextStepsContext } from './alert-next-steps';
import type { SuppressedReport } from './alert-policy';
import type { NormalizedEvent } from './normalized-event';
import type { LogObjectRef } from './ports';
import type { ServiceName } from './services';

/** Version of the JSON document; bumped only on incompatible changes (fields may be added within one). */
export const ALERT_DOCUMENT_VERSION = '1';

/** Everything one alert message says: one service's new failures from one log file. */
export interface AlertMessageInput {
  readonly service: ServiceName;
  readonly source: LogObjectRef;
  /** The failures this message alerts on (any order; rendered oldest first). */
  readonly events: readonly NormalizedEvent[];
  /** Failures of this file and service not listed because their signature alerted within the window. */
  readonly suppressedInFile: number;
  /** Failures suppressed since the previous alert of the signatures in this message. */
  readonly earlierSuppressed: readonly SuppressedReport[];
  /** The noise-control window, for the explanation in the text. */
  readonly windowMinutes: number;
  /** When the message is handed to the publisher; gives the document's `delivery` and the text's "Sent" line. */
  readonly sentAt?: Date;
  /** The event table and runbook the "What to do next" block points at. */
  readonly nextSteps?: NextStepsContext;
  /**
   * Failures this message alerts on beyond `events`: a big file's failures past the ones held whole,
   * settled while it was read and kept as counts (docs/alerts.md#overflow). Absent: none.
   */
  readonly overflow?: AlertOverflow;
}

/** One kind of failure (signature) of a message's overflow: its first failure and how many there were. */
export interface OverflowGroup {
  /** The first failure of the kind (held slim): the group's example in the text and the summary. */
  readonly example: NormalizedEvent;
  /** Failures of the kind in the overflow, the example included. */
  readonly count: number;
  /** The newest of them. */
  readonly lastEventTime: string;
}

/** Failures a message alerts on and does not hold: counts per kind, and the kinds past the cap counted together. */
export interface AlertOverflow {
  readonly groups: readonly OverflowGroup[];
  /** Failures of kinds not kept (past the cap on kinds per service): counted, not grouped. */
  readonly ungrouped: number;
  /** The oldest and newest of every overflow failure, grouped or not. */
  readonly firstEventTime: string;
  readonly lastEventTime: string;
}

/** How the alert was delivered: by which path, when, and how long after the calls it reports. */
export interface AlertDelivery {
  /** `eventbridge`: the real-time path, seconds after the call; `s3`: from the log file, minutes after. */
  readonly path: 'eventbridge' | 's3';
  /** When trailwatch handed the message to SNS (ISO 8601, milliseconds). */
  readonly sentAt: string;
  /** Seconds from the first (oldest) call in the message to sentAt: the alert's worst delay. */
  readonly secondsAfterFirstCall: number;
  /** Seconds from the last (newest) call in the message to sentAt. */
  readonly secondsAfterLastCall: number;
}

/** A message attribute in the shape of the SDK's MessageAttributeValue (the core cannot import it). */
export interface AlertAttribute {
  readonly DataType: 'String' | 'String.Array' | 'Number';
  readonly StringValue: string;
}

/** A group of identical failures (one signature) in the document. */
export interface AlertGroup {
  readonly eventName: string;
  readonly errorCode: string;
  readonly principal: string;
  readonly count: number;
}

/** Suppressed failures of one signature reported by the document. */
export interface AlertSuppressedEntry {
  readonly eventName: string;
  readonly errorCode: string;
  readonly principal: string;
  readonly count: number;
  readonly since?: string;
}

/** The versioned JSON document sent to sqs, lambda, https and email-json subscribers (docs/alerts.md). */
export interface AlertDocument {
  readonly version: typeof ALERT_DOCUMENT_VERSION;
  readonly type: 'trailwatch.failed-calls';
  readonly service: ServiceName;
  readonly accountId: string;
  readonly region: string;
  /** The log file; for the EventBridge path bucket `eventbridge:` and the EventBridge event's id as key. */
  readonly source: { readonly bucket: string; readonly key: string };
  /** Path and latency; in every message trailwatch publishes (added within version 1, see CHANGELOG.md). */
  readonly delivery?: AlertDelivery;
  /** Failures this message alerts on. */
  readonly failureCount: number;
  /** Events in `events`. */
  readonly included: number;
  /** failureCount − included: alerted, counted, not listed (they are in the event table). */
  readonly omitted: number;
  readonly firstEventTime: string;
  readonly lastEventTime: string;
  /** Distinct error codes, sorted; at most 50. */
  readonly errorCodes: string[];
  readonly errorCodesOmitted: number;
  /** Failures by (eventName, errorCode, principal), largest first; at most 50 groups. */
  readonly groups: AlertGroup[];
  readonly groupsOmitted: number;
  /**
   * Failures counted in failureCount whose kind a big file had too many of to keep (docs/alerts.md#overflow);
   * present only when there are any (added within version 1, see CHANGELOG.md).
   */
  readonly ungroupedFailures?: number;
  readonly suppressed: {
    readonly windowMinutes: number;
    /** Failures of this file not listed: their signature alerted within the window. */
    readonly inThisFile: number;
    /** Failures suppressed since the previous alert of the signatures in this message, all of them. */
    readonly earlierTotal: number;
    /** The same by signature, largest first; at most 50 entries. */
    readonly earlier: AlertSuppressedEntry[];
  };
  /** eventIds of included events whose requestParameters and responseElements were dropped to fit. */
  readonly trimmed: string[];
  readonly events: NormalizedEvent[];
}

/** A ready-to-publish alert. */
export interface RenderedAlert {
  readonly subject: string;
  /** The `MessageStructure: json` body: `{"default", "email", "sqs", "lambda", "https", "email-json"}`. */
  readonly message: string;
  readonly messageAttributes: Record<string, AlertAttribute>;
  readonly text: string;
  readonly document: AlertDocument;
  /** Bytes SNS counts against its limit (message + subject + attribute names, types and values). */
  readonly publishBytes: number;
}
