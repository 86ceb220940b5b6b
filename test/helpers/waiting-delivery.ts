import { AlertDelivery } from '../../lambdas/core/alert-delivery';
import type { AlertLedger, AlertPublisher } from '../../lambdas/core/alert-ports';

/**
 * A delivery whose clocks (wall and monotonic, one reading) move only while it sleeps, as it waits for
 * claims another invocation holds; `onSleep` sees each pause (a caller's remaining time shrinking with it).
 */
export function waitingDelivery(
  ledger: AlertLedger,
  publisher: AlertPublisher,
  startMs: number,
  onSleep: (ms: number) => void = () => undefined,
): { delivery: AlertDelivery; now: () => number } {
  let t = startMs;
  const delivery = new AlertDelivery({
    ledger,
    publisher,
    now: () => new Date(t),
    monotonicNow: () => t,
    sleep: async (ms) => {
      await new Promise((resolve) => setImmediate(resolve));
      t += ms;
      onSleep(ms);
    },
  });
  return { delivery, now: () => t };
}
