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
 * of a gated method it waits for its moments (claims of a file's overflow chunks pass untouched). With `splitAfter`, its first claim of held events (an owner
 * that is not a file's overflow owner) writes the first half of the ids, fires `<who>.firstHalf`, waits
 * for those moments, then writes the second half: the two copies of one file whose claim writes
 * interleave (docs/alerts.md).
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
        const [ids, claim] = args as [readonly string[], { owner: string }];
        // A big file's overflow chunks, claimed while it is read, are neither gated nor moments.
        if (method === 'claimEvents' && claim.owner.startsWith('file#')) return call(...args);
        const gate = gates[method];
        if (gate && !called.has(method)) await moments.reached(...gate);
        called.add(method);
        try {
          if (method === 'claimEvents' && split && ids.length > 1) {
            split = false;
            const half = Math.ceil(ids.length / 2);
            const first = (await call(ids.slice(0, half), claim)) as EventClaims;
            moments.fire(`${who}.firstHalf`);
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

/** The two copies of the file: A splits its first claim around B's. */
export type Who = 'A' | 'B';

/** How the loser (the copy that does not get the message record) finds the winner there. */
export type Timing = 'publishing' | 'sent before the read' | 'sent at the claim';

/** Every winner with every timing. */
export const SPLIT_CASES: ReadonlyArray<readonly [Who, Timing]> = (['A', 'B'] as const).flatMap((winner) =>
  (['publishing', 'sent before the read', 'sent at the claim'] as const).map(
    (timing) => [winner, timing] as const,
  ),
);

/**
 * What copy A's split claim waits for between its halves: B's claim (or B's end, if it stopped before);
 * B's first claim waits for A's first half (splitGates).
 */
export const SPLIT_AFTER: readonly string[] = ['B.claimEvents', 'B.ended'];

/**
 * Each copy's gates: what the loser waits for, and what the winner waits for so that the loser finds it
 * as `timing` says: still publishing (the winner records `sent` only after the loser's claim), `sent` when
 * the loser reads the record, or `sent` between the loser's read (its read of the windows follows it) and
 * its claim. The moment `<who>.ended` (fired by the test when a copy's run settles) ends any wait.
 */
export function splitGates(winner: Who, timing: Timing): Record<Who, Gates> {
  const loser: Who = winner === 'A' ? 'B' : 'A';
  const gates: Record<Who, Gates> = { A: {}, B: {} };
  if (timing === 'publishing') {
    gates[loser] = { claimMessage: [`${winner}.claimMessage`, `${winner}.ended`] };
    gates[winner] = { markMessageSent: [`${loser}.claimMessage`, `${loser}.ended`] };
  } else if (timing === 'sent before the read') {
    gates[loser] = { messageRecord: [`${winner}.markMessageSent`, `${winner}.ended`] };
  } else {
    gates[loser] = { claimMessage: [`${winner}.markMessageSent`, `${winner}.ended`] };
    gates[winner] = { markMessageSent: [`${loser}.windows`, `${loser}.ended`] };
  }
  gates.B = { ...gates.B, claimEvents: ['A.firstHalf', 'A.ended'] };
  return gates;
}
