import type { NormalizedEvent } from '../../lambdas/core/normalized-event';
import type { AlertOutcome, AlertSink, EventSink, LogObjectRef } from '../../lambdas/core/ports';

/** What an alert sink reports when it alerted every failure of a file in one message. */
export function allAlerted(failures: readonly NormalizedEvent[]): AlertOutcome {
  return {
    messagesPublished: 1,
    eventsAlerted: failures.length,
    eventsSuppressed: 0,
    eventsAlreadyAlerted: 0,
    eventsIgnored: 0,
    byService: {},
  };
}

/** An in-memory EventSink that records each putEvents batch; `failOnCall` (1-based) throws instead. */
export class MemoryEventSink implements EventSink {
  readonly batches: NormalizedEvent[][] = [];
  constructor(private readonly failOnCall?: number) {}
  async putEvents(events: readonly NormalizedEvent[]): Promise<void> {
    if (this.failOnCall === this.batches.length + 1) throw new Error('table unavailable');
    this.batches.push([...events]);
  }
}

/** An in-memory AlertSink that records each call; `fail` makes every call throw (the topic is down). */
export class MemoryAlertSink implements AlertSink {
  readonly calls: Array<{ failures: NormalizedEvent[]; source: LogObjectRef }> = [];
  constructor(private readonly fail = false) {}
  async alertFile(failures: readonly NormalizedEvent[], source: LogObjectRef): Promise<AlertOutcome> {
    if (this.fail) throw new Error('topic unavailable');
    this.calls.push({ failures: [...failures], source });
    return allAlerted(failures);
  }
}
