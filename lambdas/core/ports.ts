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
  /**
   * A big file's overflow failures another file had claimed for its own message, not sent yet: that
   * file alerts them (docs/alerts.md#overflow). Present only when there are any.
   */
  readonly eventsHeldElsewhere?: number;
  /** Per service: events alerted. */
  readonly byService: Partial<Record<ServiceName, number>>;
  /** Per message published: seconds from its first call to its publish (the AlertLatency metric). */
  readonly secondsAfterFirstCall?: readonly number[];
}

/** An AlertOutcome being counted: every field present and writable. */
export type AlertTally = {
  -readonly [
    K in Exclude<keyof AlertOutcome, 'secondsAfterFirstCall' | 'eventsHeldElsewhere'>
  ]: AlertOutcome[K];
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

/** What a file's alert holds while it is built, counted: the bound's test and the bench's view of it. */
export interface AlertHoldings {
  /** Failures held whole, per service (at most FULL_FAILURES_PER_SERVICE each). */
  readonly held: Partial<Record<ServiceName, number>>;
  /** Overflow failures waiting to be claimed, per service (at most one chunk each). */
  readonly chunk: Partial<Record<ServiceName, number>>;
  /** Overflow kinds kept with an example, per service (at most MAX_OVERFLOW_KINDS each). */
  readonly kinds: Partial<Record<ServiceName, number>>;
}

/** One file's alerts, built while the file is read: failures go in as they come, alerts go out at finish. */
export interface FileAlerts {
  /** Adds one failed call; may claim a chunk of the file's overflow before it resolves. Throws when that fails. */
  add(event: NormalizedEvent): Promise<void>;
  /** Publishes the file's alerts; called once, after every event of the file is stored. Throws when publishing keeps failing. */
  finish(): Promise<AlertOutcome>;
  /** What it holds now, counted. */
  readonly holdings: AlertHoldings;
}

/** Sends alerts for the failed events of log files (implemented by AlertDelivery over the ledger and SNS). */
export interface AlertSink {
  /** Starts one file's alerts. */
  begin(source: LogObjectRef, options?: AlertFileOptions): FileAlerts;
}

/** Alerts on a list of failures already at hand (one EventBridge call, a test): begin, add each, finish. */
export async function alertFailures(
  sink: AlertSink,
  failures: readonly NormalizedEvent[],
  source: LogObjectRef,
  options?: AlertFileOptions,
): Promise<AlertOutcome> {
  const file = sink.begin(source, options);
  for (const failure of failures) await file.add(failure);
  return file.finish();
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
