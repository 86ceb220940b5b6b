import { TrailwatchError } from './errors';

/**
 * Time kept in hand before each step that writes (a batch of events, the alert step and its claims and
 * publishes). A function killed at its timeout logs only "Task timed out", and one killed while alerting
 * leaves claims for the retry to wait out; with this reserve it stops first and says where it stood.
 */
export const TIME_RESERVE_MS = 10_000;

/** The caller's time ran out before the file was done; the message says how far it got. */
export class OutOfTimeError extends TrailwatchError {}
