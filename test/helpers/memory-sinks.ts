import type { NormalizedEvent } from '../../lambdas/core/normalized-event';
import type {
  AlertFileOptions,
  AlertOutcome,
  AlertSink,
  EventSink,
  FileAlerts,
  LogObjectRef,
} from '../../lambdas/core/ports';

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

/** An AlertSink that collects a file's failures in a list and hands them to `alertFile` at finish (tests only: unbounded). */
export function listAlertSink(
  alertFile: (
    failures: readonly NormalizedEvent[],
    source: LogObjectRef,
    options: AlertFileOptions,
  ) => Promise<AlertOutcome>,
): AlertSink {
  return {
    begin(source: LogObjectRef, options: AlertFileOptions = {}): FileAlerts {
      const failures: NormalizedEvent[] = [];
      return {
        add: async (event) => {
          failures.push(event);
        },
        finish: () => alertFile(failures, source, options),
        get holdings() {
          return { held: { glue: failures.length }, chunk: {}, kinds: {} };
        },
      };
    },
  };
}

/** An in-memory AlertSink that records each file's failures at finish; `fail` makes every finish throw (the topic is down). */
export class MemoryAlertSink implements AlertSink {
  readonly calls: Array<{ failures: NormalizedEvent[]; source: LogObjectRef }> = [];
  private readonly sink: AlertSink;
  constructor(private readonly fail = false) {
    this.sink = listAlertSink(async (failures, source) => {
      if (this.fail) throw new Error('topic unavailable');
      this.calls.push({ failures: [...failures], source });
      return allAlerted(failures);
    });
  }
  begin(source: LogObjectRef, options?: AlertFileOptions): FileAlerts {
    return this.sink.begin(source, options);
  }
}
