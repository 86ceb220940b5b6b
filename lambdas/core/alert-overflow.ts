import type { AlertOverflow, OverflowGroup } from './alert-document';
import { signatureKey, signatureOf, type AlertSignature } from './alert-policy';
import { ownString, slimFailure } from './slim-failure';
import type { NormalizedEvent } from './normalized-event';

/**
 * Failures per service a file's alert holds whole and lists (docs/alerts.md#overflow). An alert carries
 * at most what fits in 255 KiB (a few hundred events at best), so payloads past these are never sent;
 * the failures past them are the overflow, claimed in chunks while the file is read and kept as counts.
 */
export const FULL_FAILURES_PER_SERVICE = 1_000;

/** Overflow failures of a service claimed together (one claimEvents call), then dropped. */
export const OVERFLOW_CHUNK_EVENTS = 200;

/**
 * Full chunks of a service that may wait to be claimed while the file is read on; past it the read
 * waits for them. With OVERFLOW_CHUNK_EVENTS, at most 4,000 ids per service (about 400 KB).
 */
export const MAX_CHUNKS_QUEUED = 20;

/**
 * Kinds of failure (signatures) per service whose overflow is counted on its own, each with one slim
 * example; failures of further kinds are counted together (`ungrouped`), so the counts stay bounded too.
 */
export const MAX_OVERFLOW_KINDS = 1_000;

/** One overflow kind, counted: its signature, first failure (slim) and the claimed failures of it. */
export interface OverflowKind {
  readonly signature: AlertSignature;
  readonly example: NormalizedEvent;
  count: number;
  firstEventTime: string;
  lastEventTime: string;
}

/** A failure waiting in the chunk: what its claim and its count need, nothing of its record. */
export interface ChunkEntry {
  readonly eventId: string;
  readonly eventTime: string;
  /** Its kind's signature key, or undefined when its kind is past MAX_OVERFLOW_KINDS. */
  readonly kind: string | undefined;
}

/** What one service's overflow holds, counted. */
export interface OverflowHoldings {
  /** Failures waiting in the chunk or to be claimed (at most (MAX_CHUNKS_QUEUED + 2) × OVERFLOW_CHUNK_EVENTS). */
  readonly chunk: number;
  /** Kinds kept, each with one slim example (at most MAX_OVERFLOW_KINDS). */
  readonly kinds: number;
}

/**
 * The failures of one service past the ones a file's alert holds whole (docs/alerts.md#overflow):
 * a chunk of ids waiting to be claimed, and per kind the count of those claimed for this file's
 * message. Nothing else of a failure is kept once its chunk is settled.
 */
export class ServiceOverflow {
  /** Claimed for this file's message, per kind. */
  readonly kinds = new Map<string, OverflowKind>();
  /** Claimed for this file's message, of kinds past the cap. */
  ungrouped = 0;
  private ungroupedFirst = '';
  private ungroupedLast = '';
  /** Final, or claimed for a message that was sent (another file's, or an earlier attempt's of a message of its own). */
  alreadyAlerted = 0;
  /** Claimed by another file whose message was not sent yet: that file alerts them (docs/alerts.md#overflow). */
  heldElsewhere = 0;
  /** Epoch ms the first chunk's claims run to (every later chunk's run longer): the publish must end before. */
  leaseUntil: number | undefined;
  private chunk: ChunkEntry[] = [];
  private inFlight = 0;

  constructor(
    /** The fileId the service's message is named from (its held failures'), known when the overflow starts. */
    readonly fileId: string,
    private readonly chunkEvents = OVERFLOW_CHUNK_EVENTS,
    private readonly maxKinds = MAX_OVERFLOW_KINDS,
  ) {}

  /** Adds one failure to the chunk; true when the chunk is full and must be settled. */
  add(event: NormalizedEvent): boolean {
    const signature = signatureOf(event);
    const key = signatureKey(signature);
    let kind: string | undefined = key;
    if (!this.kinds.has(key)) {
      if (this.kinds.size < this.maxKinds) {
        // Its example is this first failure of the kind; counts come when its claim is known.
        this.kinds.set(key, {
          signature,
          example: slimFailure(event),
          count: 0,
          firstEventTime: '',
          lastEventTime: '',
        });
      } else kind = undefined;
    }
    this.chunk.push({ eventId: ownString(event.eventId), eventTime: ownString(event.eventTime), kind });
    return this.chunk.length >= this.chunkEvents;
  }

  /** Takes the waiting chunk (empty afterwards); it counts as held until `settled`. */
  takeChunk(): ChunkEntry[] {
    const chunk = this.chunk;
    this.chunk = [];
    this.inFlight += chunk.length;
    return chunk;
  }

  /** The chunk taken is settled: its ids are dropped. */
  settled(chunk: readonly ChunkEntry[]): void {
    this.inFlight -= chunk.length;
  }

  /** Counts one failure claimed for this file's message. */
  countClaimed(entry: ChunkEntry): void {
    const kind = entry.kind === undefined ? undefined : this.kinds.get(entry.kind);
    if (kind === undefined) {
      this.ungrouped += 1;
      this.ungroupedFirst = earliest(this.ungroupedFirst, entry.eventTime);
      this.ungroupedLast = latest(this.ungroupedLast, entry.eventTime);
      return;
    }
    kind.count += 1;
    kind.firstEventTime = earliest(kind.firstEventTime, entry.eventTime);
    kind.lastEventTime = latest(kind.lastEventTime, entry.eventTime);
  }

  /** Failures claimed for this file's message. */
  get claimed(): number {
    let n = this.ungrouped;
    for (const kind of this.kinds.values()) n += kind.count;
    return n;
  }

  /** Kinds with claimed failures, by signature key. */
  claimedKinds(): Map<string, OverflowKind> {
    return new Map([...this.kinds].filter(([, kind]) => kind.count > 0));
  }

  /** What is held, counted. */
  get holdings(): OverflowHoldings {
    return { chunk: this.chunk.length + this.inFlight, kinds: this.kinds.size };
  }

  /** The message's view of the given kinds (and the ungrouped failures, which are never suppressed). */
  toAlertOverflow(kinds: Iterable<OverflowKind>): AlertOverflow {
    const groups: OverflowGroup[] = [];
    let first = this.ungrouped > 0 ? this.ungroupedFirst : '';
    let last = this.ungrouped > 0 ? this.ungroupedLast : '';
    for (const kind of kinds) {
      groups.push({ example: kind.example, count: kind.count, lastEventTime: kind.lastEventTime });
      first = earliest(first, kind.firstEventTime);
      last = latest(last, kind.lastEventTime);
    }
    return { groups, ungrouped: this.ungrouped, firstEventTime: first, lastEventTime: last };
  }
}

function earliest(a: string, b: string): string {
  return a === '' || b < a ? b : a;
}

function latest(a: string, b: string): string {
  return b > a ? b : a;
}
