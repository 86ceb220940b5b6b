import type { LogObjectRef } from '@trailwatch/client/contract';
import type { NormalizedEvent } from './normalized-event';
import type { ServiceName } from './services';

// Where a batch of events came from: the S3 object of one CloudTrail log file (part of the table contract).
export type { LogObjectRef };

/** Stores normalized events idempotently (implemented by the DynamoDB event store adapter). */
export interface EventSink {
  /** Writes the events; writing the same events again must leave the store unchanged. Throws on failure. */
  putEvents(events: readonly NormalizedEvent[], source: LogObjectRef): Promise<void>;
}

/** Stores one event unless it is stored already (the EventBridge path; the log file's copy wins). */
export interface SingleEventSink {
  /** Writes the event's item when no item has its key; true when written. Throws on failure. */
  putEventIfAbsent(event: NormalizedEvent, source: LogObjectRef): Promise<boolean>;
}

/** What alerting did for one log file. */
export interface AlertOutcome {
  /** SNS messages published (one per service with alertable failures). */
  readonly messagesPublished: number;
  /** Failed events included in a published alert. */
  readonly eventsAlerted: number;
  /** Failed events not sent one by one because the same failure was alerted within the window. */
  readonly eventsSuppressed: number;
  /** Failed events already alerted by an earlier run of the same file (retries, duplicates). */
  readonly eventsAlreadyAlerted: number;
  /** Failed events that the rules say not to alert on (ignored codes, names, principals, services). */
  readonly eventsIgnored: number;
  /** Per service: events alerted. */
  readonly byService: Partial<Record<ServiceName, number>>;
  /** Per message published: seconds from its first call to its publish (the AlertLatency metric). */
  readonly secondsAfterFirstCall?: readonly number[];
}

/** An AlertOutcome being counted: every field present and writable. */
export type AlertTally = {
  -readonly [K in Exclude<keyof AlertOutcome, 'secondsAfterFirstCall'>]: AlertOutcome[K];
} & {
  secondsAfterFirstCall: number[];
};

/** An AlertOutcome with nothing done yet (every count 0), to be added to as alerting proceeds. */
export function emptyAlertOutcome(): AlertTally {
  return {
    messagesPublished: 0,
    eventsAlerted: 0,
    eventsSuppressed: 0,
    eventsAlreadyAlerted: 0,
    eventsIgnored: 0,
    byService: {},
    secondsAfterFirstCall: [],
  };
}

/** How long alertFile may take. */
export interface AlertFileOptions {
  /**
   * Milliseconds the caller has left (the Lambda's `getRemainingTimeInMillis`): the alert step stops with
   * OutOfTimeError before claiming, waiting or publishing when less than TIME_RESERVE_MS is left, and no
   * publish may still be in flight at the reserve. Omit for no limit.
   */
  readonly remainingMs?: () => number;
}

/** Sends alerts for the failed events of one log file (implemented by the SNS alert adapter). */
export interface AlertSink {
  /** Called once per file, after every event of the file is stored. Throws when publishing keeps failing. */
  alertFile(
    failures: readonly NormalizedEvent[],
    source: LogObjectRef,
    options?: AlertFileOptions,
  ): Promise<AlertOutcome>;
}

/** Why an object was not processed (it is not a CloudTrail log file this pipeline reads). */
export type ObjectSkipReason =
  'digest' | 'insight' | 'empty-object' | 'folder' | 'not-a-log-key' | 'foreign-bucket' | 'foreign-account';

/** What processing one S3 object did: the per-object summary the Lambda returns and the CLI prints. */
export interface ObjectSummary {
  readonly bucket: string;
  readonly key: string;
  readonly status: 'processed' | 'skipped';
  readonly skipReason?: ObjectSkipReason;
  /** Compressed bytes read from the object. */
  readonly bytesRead: number;
  /** Records in the file's `Records` array. */
  readonly recordsRead: number;
  /** Records skipped by reason (invalid record, missing field, bad time, ...). */
  readonly recordsSkipped: Readonly<Record<string, number>>;
  /** Events stored per service. */
  readonly eventsStored: Partial<Record<ServiceName, number>>;
  /** Failed calls among the stored events. */
  readonly failedCalls: number;
  readonly alerts?: AlertOutcome;
  readonly durationMs: number;
}

/** Processes one CloudTrail log object end to end: read, normalize, store, alert. */
export interface ObjectProcessor {
  /** Throws (with bucket and key in the message) on a file-level error; never for a record-level one. */
  processObject(ref: LogObjectRef & { readonly size?: number }): Promise<ObjectSummary>;
}
