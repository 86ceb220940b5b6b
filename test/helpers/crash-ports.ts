import type { AlertLedger, AlertPublisher } from '../../lambdas/core/alert-ports';

/** The "process" died: thrown by every port call from the crash point on. */
export class Crash extends Error {}

/** How a run that may be stopped ended: `finished`, `crashed` (at the crash point), or `failed: <error>`. */
export function howItEnded(run: Promise<unknown>): Promise<string> {
  return run.then(
    () => 'finished',
    (err: unknown) => (err instanceof Crash ? 'crashed' : `failed: ${String(err)}`),
  );
}

/** A call of one of the alert protocol's ports. */
export type PortCall = keyof AlertLedger | 'publish' | 'publishChat';

/**
 * Where to stop: before or after the nth (0-based) call of the given port operation, or in its middle:
 * a batch call (its first argument a list of two or more) does the first half of its items, then the
 * process dies (as a Lambda killed while some of a batch's parallel requests had landed).
 */
export interface CrashPoint {
  readonly call: PortCall;
  readonly phase: 'before' | 'middle' | 'after';
  readonly nth?: number;
}

/**
 * Wraps a ledger and a publisher (and a chat publisher, if given; real or in memory) so the process stops at one point: that call
 * and every port call after it throw Crash, as if the Lambda had been killed there (the protocol's
 * clean-up of a failed publish fails too, as it would). Records the calls made.
 */
export function crashAt(
  ledger: AlertLedger,
  publisher: AlertPublisher,
  point: CrashPoint | undefined,
  chatPublisher?: AlertPublisher,
): { ledger: AlertLedger; publisher: AlertPublisher; chatPublisher?: AlertPublisher; calls: PortCall[] } {
  const calls: PortCall[] = [];
  let dead = false;
  const counts = new Map<PortCall, number>();
  // `run(half)`: the call, with only the first half of its batch when `half`.
  const guard = async <T>(call: PortCall, run: (half: boolean) => Promise<T>): Promise<T> => {
    if (dead) throw new Crash(`dead before ${call}`);
    const n = counts.get(call) ?? 0;
    counts.set(call, n + 1);
    const here = point !== undefined && point.call === call && (point.nth ?? 0) === n;
    if (here && point.phase === 'before') {
      dead = true;
      throw new Crash(`stopped before ${call} #${n}`);
    }
    calls.push(call);
    if (here && point.phase === 'middle') {
      dead = true;
      await run(true);
      throw new Crash(`stopped in the middle of ${call} #${n}`);
    }
    const result = await run(false);
    if (here && point.phase === 'after') {
      dead = true;
      throw new Crash(`stopped after ${call} #${n}`);
    }
    return result;
  };
  const wrapped = new Proxy(ledger, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        guard(name as PortCall, (half) => {
          const [first, ...rest] = args;
          const given =
            half && Array.isArray(first) ? [first.slice(0, Math.ceil(first.length / 2)), ...rest] : args;
          return (value as (...a: unknown[]) => Promise<unknown>).apply(target, given);
        });
    },
  });
  return {
    ledger: wrapped,
    publisher: {
      publish: (message, deadline) => guard('publish', () => publisher.publish(message, deadline)),
    },
    ...(chatPublisher
      ? {
          chatPublisher: {
            publish: (message, deadline) =>
              guard('publishChat', () => chatPublisher.publish(message, deadline)),
          },
        }
      : {}),
    calls,
  };
}
