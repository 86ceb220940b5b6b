import type { NormalizedEvent } from './normalized-event';
import type { ServiceName } from './services';

/**
 * Failures per service kept whole for the alert. An alert carries at most what fits in 255 KiB (a
 * few hundred events at best), so payloads past these are never sent; they stay in the event table.
 */
export const FULL_FAILURES_PER_SERVICE = 1_000;

// The email text clips error messages at 600 characters; a slim failure keeps no more than that.
const SLIM_ERROR_MESSAGE_CHARS = 600;

/**
 * Collects a file's failed calls for the alert with bounded memory: the first
 * FULL_FAILURES_PER_SERVICE of each service whole, every later one slim (no requestParameters,
 * responseElements or resources; error message clipped). A slim failure keeps everything the alert
 * protocol decides on (eventId, signature, time) and the summary counts, so each is still claimed,
 * marked and alerted (or suppressed) once; only its payloads are left out of the message.
 */
export class FailureCollector {
  private readonly kept: NormalizedEvent[] = [];
  private readonly perService = new Map<ServiceName, number>();

  constructor(private readonly fullPerService = FULL_FAILURES_PER_SERVICE) {}

  /** Adds one failed call. */
  add(event: NormalizedEvent): void {
    const n = this.perService.get(event.service) ?? 0;
    this.perService.set(event.service, n + 1);
    this.kept.push(n < this.fullPerService ? event : slim(event));
  }

  /** Failures collected, in the order added. */
  get failures(): readonly NormalizedEvent[] {
    return this.kept;
  }
}

function slim(event: NormalizedEvent): NormalizedEvent {
  const rest: NormalizedEvent = { ...event, resources: [] };
  delete rest.requestParameters;
  delete rest.responseElements;
  const message = rest.errorMessage;
  if (typeof message === 'string' && message.length > SLIM_ERROR_MESSAGE_CHARS) {
    rest.errorMessage = message.slice(0, SLIM_ERROR_MESSAGE_CHARS);
  }
  return rest;
}
