import { readApiCallEvent, type ApiCallSkipReason } from '../core/api-call-event';
import { TrailwatchError } from '../core/errors';
import { alertFailures, type AlertOutcome, type AlertSink, type SingleEventSink } from '../core/ports';
import type { ServiceName } from '../core/services';

/** What handling one EventBridge event did: the event stored (or found), alerted, or why it was skipped. */
export interface ApiCallSummary {
  /** The EventBridge event's id (absent when the event had none). */
  readonly id?: string;
  readonly status: 'processed' | 'skipped';
  readonly skipReason?: ApiCallSkipReason;
  readonly eventId?: string;
  readonly service?: ServiceName;
  readonly failed?: boolean;
  /** False when the log file's copy was stored first (the item is left as it is). */
  readonly stored?: boolean;
  readonly alerts?: AlertOutcome;
  readonly durationMs: number;
}

/** What the real-time app reports while it works: one call per EventBridge event. */
export interface ApiCallObserver {
  eventProcessed(summary: ApiCallSummary): void;
  eventSkipped(summary: ApiCallSummary, message: string): void;
  eventFailed(id: string, error: Error): void;
}

/** An observer that reports nothing (tests, library use). */
export const SILENT_API_CALL_OBSERVER: ApiCallObserver = {
  eventProcessed: () => undefined,
  eventSkipped: () => undefined,
  eventFailed: () => undefined,
};

/** Storing or alerting one EventBridge event failed: the invocation fails, so Lambda retries it. */
export class ApiCallFailedError extends TrailwatchError {}

/** What the real-time handler needs: the same store and alert delivery as the log files. */
export interface ApiCallDeps {
  readonly sink: SingleEventSink;
  readonly alerts?: AlertSink;
  readonly observer?: ApiCallObserver;
  readonly now?: () => number;
}

/**
 * Handles one "AWS API Call via CloudTrail" event: normalizes the record it carries, stores it
 * (unless the log file's copy is there) and alerts it when it failed, through the same exactly-once
 * protocol as the log files, so whichever path comes second alerts nothing. An event that is not
 * such a call, or whose record cannot be normalized, is skipped with its reason (retrying would not
 * change it); a store or alert failure throws.
 */
export async function handleApiCallEvent(raw: unknown, deps: ApiCallDeps): Promise<ApiCallSummary> {
  const now = deps.now ?? Date.now;
  const observer = deps.observer ?? SILENT_API_CALL_OBSERVER;
  const started = now();
  const read = readApiCallEvent(raw);
  if (!read.ok) {
    const summary: ApiCallSummary = {
      ...(read.id !== undefined ? { id: read.id } : {}),
      status: 'skipped',
      skipReason: read.reason,
      durationMs: now() - started,
    };
    observer.eventSkipped(summary, read.message);
    return summary;
  }
  const { event, source } = read;
  try {
    const stored = await deps.sink.putEventIfAbsent(event, source);
    const alerts =
      event.failed && deps.alerts ? await alertFailures(deps.alerts, [event], source) : undefined;
    const summary: ApiCallSummary = {
      id: source.key,
      status: 'processed',
      eventId: event.eventId,
      service: event.service,
      failed: event.failed,
      stored,
      ...(alerts ? { alerts } : {}),
      durationMs: now() - started,
    };
    observer.eventProcessed(summary);
    return summary;
  } catch (err) {
    const error = new ApiCallFailedError(
      `EventBridge event ${source.key} (${event.service} ${event.eventName}, eventId ${event.eventId}): ${(err as Error).message}`,
      { cause: err },
    );
    observer.eventFailed(source.key, error);
    throw error;
  }
}
