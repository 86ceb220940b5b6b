import type { NormalizedEvent, Principal } from './normalized-event';
import type { ServiceName } from './services';

/**
 * Failures per service kept whole for the alert. An alert carries at most what fits in 255 KiB (a
 * few hundred events at best), so payloads past these are never sent; they stay in the event table.
 */
export const FULL_FAILURES_PER_SERVICE = 1_000;

// The email text clips error messages at 600 characters; a slim failure keeps no more than that.
const SLIM_ERROR_MESSAGE_CHARS = 600;

/**
 * Distinct values (principals, user agents, error messages, ...) a collector shares between its slim
 * failures. Past it, new values are kept per failure: the table itself stays bounded.
 */
export const MAX_SHARED_VALUES = 20_000;

const NO_RESOURCES: NormalizedEvent['resources'] = Object.freeze(
  [],
) as unknown as NormalizedEvent['resources'];

/** What a collector holds, counted: the test of its bounds and the bench's view of it. */
export interface CollectorHoldings {
  /** Failures held whole (at most FULL_FAILURES_PER_SERVICE per service). */
  readonly whole: number;
  /** Failures held slim. */
  readonly slim: number;
  /** Values shared between slim failures (at most MAX_SHARED_VALUES). */
  readonly sharedValues: number;
}

/**
 * Collects a file's failed calls for the alert with bounded memory: the first
 * FULL_FAILURES_PER_SERVICE of each service whole, every later one slim (no requestParameters,
 * responseElements or resources; error message clipped). A slim failure keeps everything the alert
 * protocol decides on (eventId, signature, time) and the summary counts, so each is still claimed,
 * marked and alerted (or suppressed) once; only its payloads are left out of the message. Its
 * repeated values (caller's role and account, user agent, error, region, ...) are one copy shared by
 * every slim failure, and its own ones (eventId, time, request id, the session's ARN) are copied out of the record they were read
 * from, so a slim failure holds a few hundred bytes and nothing of its record.
 */
export class FailureCollector {
  private readonly kept: NormalizedEvent[] = [];
  private readonly perService = new Map<ServiceName, number>();
  private readonly shared = new Map<string, string>();
  private whole = 0;

  constructor(private readonly fullPerService = FULL_FAILURES_PER_SERVICE) {}

  /** Adds one failed call. */
  add(event: NormalizedEvent): void {
    const n = this.perService.get(event.service) ?? 0;
    this.perService.set(event.service, n + 1);
    if (n < this.fullPerService) {
      this.whole++;
      this.kept.push(event);
    } else {
      this.kept.push(this.slim(event));
    }
  }

  /** Failures collected, in the order added. */
  get failures(): readonly NormalizedEvent[] {
    return this.kept;
  }

  /** What is held, counted. */
  get holdings(): CollectorHoldings {
    return { whole: this.whole, slim: this.kept.length - this.whole, sharedValues: this.shared.size };
  }

  // Every field built in one object literal (no `delete`, which would turn it into a far larger
  // dictionary-mode object), in the order the normalizer writes them.
  private slim(event: NormalizedEvent): NormalizedEvent {
    const message = event.errorMessage;
    const slim: NormalizedEvent = {
      service: event.service,
      eventSource: this.share(event.eventSource),
      eventName: this.share(event.eventName),
      eventTime: own(event.eventTime),
      eventId: own(event.eventId),
      ...(event.requestId !== undefined ? { requestId: own(event.requestId) } : {}),
      ...(event.eventType !== undefined ? { eventType: this.share(event.eventType) } : {}),
      ...(event.eventVersion !== undefined ? { eventVersion: this.share(event.eventVersion) } : {}),
      ...(event.readOnly !== undefined ? { readOnly: event.readOnly } : {}),
      ...(event.accountId !== undefined ? { accountId: this.share(event.accountId) } : {}),
      ...(event.region !== undefined ? { region: this.share(event.region) } : {}),
      principal: this.sharePrincipal(event.principal),
      ...(event.sourceIp !== undefined ? { sourceIp: this.share(event.sourceIp) } : {}),
      ...(event.userAgent !== undefined ? { userAgent: this.share(event.userAgent) } : {}),
      failed: event.failed,
      ...(event.errorCode !== undefined ? { errorCode: this.share(event.errorCode) } : {}),
      ...(message !== undefined
        ? {
            errorMessage: this.share(
              message.length > SLIM_ERROR_MESSAGE_CHARS
                ? message.slice(0, SLIM_ERROR_MESSAGE_CHARS)
                : message,
            ),
          }
        : {}),
      resources: NO_RESOURCES,
    };
    return slim;
  }

  private share(value: string): string {
    const known = this.shared.get(value);
    if (known !== undefined) return known;
    const copy = own(value);
    if (this.shared.size < MAX_SHARED_VALUES) this.shared.set(copy, copy);
    return copy;
  }

  // A principal's own values (its ARN and id carry the session) copied, the rest shared.
  private sharePrincipal(principal: Principal): Principal {
    return {
      type: this.share(principal.type),
      ...(principal.arn !== undefined ? { arn: own(principal.arn) } : {}),
      ...(principal.accountId !== undefined ? { accountId: this.share(principal.accountId) } : {}),
      ...(principal.principalId !== undefined ? { principalId: own(principal.principalId) } : {}),
      ...(principal.userName !== undefined ? { userName: this.share(principal.userName) } : {}),
      ...(principal.sessionIssuerArn !== undefined
        ? { sessionIssuerArn: this.share(principal.sessionIssuerArn) }
        : {}),
      ...(principal.invokedBy !== undefined ? { invokedBy: this.share(principal.invokedBy) } : {}),
    };
  }
}

// A copy of the string that does not point into the (much larger) text it may have been cut from.
function own(value: string): string {
  return value.length < 13 ? value : Buffer.from(value, 'utf8').toString('utf8');
}
