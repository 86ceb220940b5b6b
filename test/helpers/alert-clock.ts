import { AlertDelivery } from '../../lambdas/core/alert-delivery';
import type { AlertLedger, AlertPublisher } from '../../lambdas/core/alert-ports';
import type { LogObjectRef } from '../../lambdas/core/ports';

/** The moment the alert protocol tests start from (their failures are called minutes after it). */
export const T0 = Date.parse('2026-11-22T12:00:00Z');

/** `n` minutes after T0. */
export const minutes = (n: number): Date => new Date(T0 + n * 60_000);

/** The log file the tests' failures come from. */
export const LOG_FILE: LogObjectRef = {
  bucket: 'trail-bucket',
  key: 'AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/22/f.json.gz',
};

/** Another log file with the same calls (an organization trail's copy), for two files sharing failures. */
export const OTHER_LOG_FILE: LogObjectRef = {
  bucket: 'org-trail-bucket',
  key: 'AWSLogs/o-abc/123456789012/CloudTrail/us-east-1/2026/11/22/g.json.gz',
};

/**
 * A delivery whose clocks (wall and monotonic, one reading) move only while it sleeps, as it waits for
 * the claims another invocation holds.
 */
export function waitingDelivery(ledger: AlertLedger, publisher: AlertPublisher, start: Date): AlertDelivery {
  return waitingDeliveryWithClock(ledger, publisher, start.getTime()).delivery;
}

/**
 * {@link waitingDelivery} with its clock readable, from `startMs`; `onSleep` sees each pause (a caller's
 * remaining time shrinking with it); `chatPublisher` is the chat topic's, when the test has one.
 */
export function waitingDeliveryWithClock(
  ledger: AlertLedger,
  publisher: AlertPublisher,
  startMs: number,
  options: {
    readonly onSleep?: (ms: number) => void;
    readonly chatPublisher?: AlertPublisher | undefined;
  } = {},
): { delivery: AlertDelivery; now: () => number } {
  let t = startMs;
  const delivery = new AlertDelivery({
    ledger,
    publisher,
    ...(options.chatPublisher ? { chatPublisher: options.chatPublisher } : {}),
    now: () => new Date(t),
    monotonicNow: () => t,
    sleep: async (ms) => {
      await new Promise((resolve) => setImmediate(resolve));
      t += ms;
      options.onSleep?.(ms);
    },
  });
  return { delivery, now: () => t };
}
