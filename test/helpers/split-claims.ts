import type { AlertLedger, EventClaims } from '../../lambdas/core/alert-ports';

/** Named moments of an interleaving: each fires once, and waiting for one ends when it has fired. */
export class Moments {
  private readonly moments = new Map<string, { promise: Promise<void>; resolve: () => void }>();

  /** Marks the moment reached (again: no effect). */
  fire(name: string): void {
    this.moment(name).resolve();
  }

  /** Ends when the first of the named moments has fired. */
  reached(...names: string[]): Promise<void> {
    return Promise.race(names.map((name) => this.moment(name).promise));
  }

  private moment(name: string) {
    let moment = this.moments.get(name);
    if (!moment) {
      let resolve = (): void => undefined;
      const promise = new Promise<void>((r) => (resolve = r));
      moment = { promise, resolve };
      this.moments.set(name, moment);
    }
    return moment;
  }
}

/** What one invocation's ledger waits for: before the first call of a method, the first of these moments. */
export type Gates = Partial<Record<keyof AlertLedger, readonly string[]>>;

/**
 * One invocation's view of a shared ledger (in memory or a real store) in a scripted interleaving:
 * after each call of a method (or its failure) the moment `<who>.<method>` fires; before the first call
 * of a gated method it waits for its moments. With `splitAfter`, its first claim of held events (an owner
 * that is not a file's overflow owner) writes the first half of the ids, waits for those moments, then
 * writes the second half: the two copies of one file whose claim writes interleave (docs/alerts.md).
 */
export function gatedLedger(
  ledger: AlertLedger,
  who: string,
  moments: Moments,
  gates: Gates = {},
  splitAfter?: readonly string[],
): AlertLedger {
  const called = new Set<string>();
  let split = splitAfter !== undefined;
  return new Proxy(ledger, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      const method = name as keyof AlertLedger;
      const call = (...args: unknown[]) =>
        (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      return async (...args: unknown[]) => {
        const gate = gates[method];
        if (gate && !called.has(method)) await moments.reached(...gate);
        called.add(method);
        try {
          const [ids, claim] = args as [readonly string[], { owner: string }];
          if (method === 'claimEvents' && split && !claim.owner.startsWith('file#') && ids.length > 1) {
            split = false;
            const half = Math.ceil(ids.length / 2);
            const first = (await call(ids.slice(0, half), claim)) as EventClaims;
            await moments.reached(...(splitAfter ?? []));
            const second = (await call(ids.slice(half), claim)) as EventClaims;
            return mergeClaims(first, second);
          }
          return await call(...args);
        } finally {
          moments.fire(`${who}.${method}`);
        }
      };
    },
  });
}

// Both halves' answers as one: every map of the answer, joined (whatever maps the ledger's answer has).
function mergeClaims(a: EventClaims, b: EventClaims): EventClaims {
  const joined: Record<string, ReadonlyMap<string, unknown>> = {};
  for (const [name, map] of Object.entries(a) as Array<[string, ReadonlyMap<string, unknown>]>) {
    const other = (b as unknown as Record<string, ReadonlyMap<string, unknown>>)[name] ?? new Map();
    joined[name] = new Map([...map, ...other]);
  }
  return joined as unknown as EventClaims;
}
