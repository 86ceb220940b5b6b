/**
 * A distributed backfill's progress from the engine's own counters: the backfill queue's approximate
 * depth (waiting, in flight), its dead-letter queue's depth, and what the enqueue sent (its
 * checkpoint's totals), read twice some seconds apart for the rate and the ETA.
 */
import { BACKFILL_BATCH_MAX_KEYS } from './backfill-batch';

/** One reading of the counters. */
export interface QueueReading {
  readonly at: Date;
  /** Messages waiting, delayed included. */
  readonly waiting: number;
  /** Messages received by the function and not yet deleted. */
  readonly inFlight: number;
  /** Messages in the dead-letter queue (absent when no DLQ was given). */
  readonly deadLettered?: number;
}

/** What the enqueue sent, from its checkpoint. */
export interface EnqueuedTotals {
  readonly messages: number;
  readonly keys: number;
}

/** The progress, in messages and (estimated) objects. */
export interface BackfillProgress {
  readonly remainingMessages: number;
  readonly inFlightMessages: number;
  readonly failedMessages?: number;
  /** Known with the enqueue's totals: sent minus remaining minus failed. */
  readonly doneMessages?: number;
  /** Keys per message: the enqueue's average when known, else the most a message holds. */
  readonly keysPerMessage: number;
  /** True when keysPerMessage is the enqueue's own average (objects are then estimates, not bounds). */
  readonly keysPerMessageKnown: boolean;
  /** Messages finished per second between the two readings (absent with one reading or no change). */
  readonly messagesPerSecond?: number;
  readonly etaSeconds?: number;
  /** Nothing left in the queue. */
  readonly drained: boolean;
}

/** Progress from one or two readings (the second the later one) and, when known, the enqueue's totals. */
export function backfillProgress(
  first: QueueReading,
  second: QueueReading | undefined,
  totals?: EnqueuedTotals,
): BackfillProgress {
  const last = second ?? first;
  const remaining = last.waiting + last.inFlight;
  const failed = last.deadLettered;
  const known = totals !== undefined && totals.messages > 0;
  const keysPerMessage = known ? totals.keys / totals.messages : BACKFILL_BATCH_MAX_KEYS;
  let messagesPerSecond: number | undefined;
  if (second) {
    const seconds = (second.at.getTime() - first.at.getTime()) / 1000;
    const before = first.waiting + first.inFlight + (first.deadLettered ?? 0);
    const after = second.waiting + second.inFlight + (second.deadLettered ?? 0);
    // Messages that left the queue for good (deleted by the function); dead-lettered ones stay counted.
    const finished = before - after;
    if (seconds > 0 && finished > 0) messagesPerSecond = finished / seconds;
  }
  return {
    remainingMessages: remaining,
    inFlightMessages: last.inFlight,
    ...(failed !== undefined ? { failedMessages: failed } : {}),
    ...(known ? { doneMessages: Math.max(0, totals.messages - remaining - (failed ?? 0)) } : {}),
    keysPerMessage,
    keysPerMessageKnown: known,
    ...(messagesPerSecond !== undefined
      ? { messagesPerSecond, etaSeconds: remaining / messagesPerSecond }
      : {}),
    drained: remaining === 0,
  };
}
