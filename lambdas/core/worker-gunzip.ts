import { Worker } from 'node:worker_threads';
import { InflateError } from './in-place-gunzip';

/** Output slots the worker fills ahead of the caller: it inflates into one while the caller scans another. */
const SLOTS = 4;
/**
 * Compressed input goes through shared slots as well (a source chunk is copied into one or more), so that
 * neither thread allocates per chunk: sending each chunk as a message of its own made the worker hold tens
 * of MB of received buffers between its rare garbage collections (peak RSS 144 MB against 84 MB in place).
 */
const IN_SLOTS = 8;
const IN_SLOT_SIZE = 128 * 1024;

// Indexes into the shared control words.
const FREE = 0; // output slots the worker may fill
const STOP = 1; // 1: the caller stopped; the worker stops at its next step

/** What the worker posts. */
type WorkerMessage =
  | { readonly t: 'out'; readonly slot: number; readonly n: number }
  | { readonly t: 'took' }
  | { readonly t: 'done' }
  | { readonly t: 'error'; readonly message: string; readonly errno: number; readonly code?: string };

/**
 * The worker, as source text (evaluated, so that it runs the same from the TypeScript sources, the compiled
 * CLI and the function's bundle). It inflates each chunk it is sent with the zlib handle's synchronous
 * write (as InPlaceGunzip does) straight into the shared output slots, and blocks on the control words
 * while every slot is taken. gunzipChunks starts it only where InPlaceGunzip finds that handle.
 */
const WORKER_SOURCE = `'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const zlib = require('node:zlib');
const { ring, control, slots, slotSize, inRing, inSlotSize } = workerData;
const bytes = new Uint8Array(ring);
const inBytes = new Uint8Array(inRing);
const ctl = new Int32Array(control);
const gunzip = zlib.createGunzip();
const handle = gunzip._handle;
const state = gunzip._writeState;
let failure;
handle.onerror = (message, errno, code) => { failure = { t: 'error', message, errno, code }; };
let slot = 0;
let stopped = false;
function inflate(input, flush) {
  let offset = 0;
  let length = input.length;
  for (;;) {
    while (Atomics.load(ctl, ${FREE}) === 0 && Atomics.load(ctl, ${STOP}) === 0) Atomics.wait(ctl, ${FREE}, 0);
    if (Atomics.load(ctl, ${STOP}) !== 0) return false;
    handle.writeSync(flush, input, offset, length, bytes, slot * slotSize, slotSize);
    if (failure !== undefined) { parentPort.postMessage(failure); return false; }
    const outLeft = state[0];
    const inLeft = state[1];
    offset += length - inLeft;
    length = inLeft;
    const have = slotSize - outLeft;
    if (have > 0) {
      Atomics.sub(ctl, ${FREE}, 1);
      parentPort.postMessage({ t: 'out', slot, n: have });
      slot = (slot + 1) % slots;
    }
    if (outLeft !== 0) return true;
  }
}
parentPort.on('message', (m) => {
  if (stopped) return;
  if (m.t === 'in') {
    const at = m.slot * inSlotSize;
    if (inflate(inBytes.subarray(at, at + m.n), zlib.constants.Z_NO_FLUSH)) parentPort.postMessage({ t: 'took' });
    else stopped = true;
  } else if (m.t === 'end') {
    stopped = true;
    if (inflate(new Uint8Array(0), zlib.constants.Z_FINISH)) parentPort.postMessage({ t: 'done' });
  }
  // Stopped (the end, an error, the caller gone): it waits to be terminated, so that its last message
  // always arrives before it exits.
});
`;

/**
 * Gunzip on a worker thread, overlapping the caller's work on the chunks: the worker inflates into a ring of
 * SLOTS shared buffers while the caller scans the one it was handed. Same contract as gunzipChunks: each
 * chunk is valid until the caller asks for the next one; zlib errors are InflateError (the caller maps them
 * like the in-place engine's); errors of the source pass through unchanged. Starting the worker costs about
 * 30 ms of CPU and 10-15 MB: worth it for large files on a machine with a core to spare.
 */
export async function* gunzipInWorker(
  source: AsyncIterable<Uint8Array>,
  chunkSize: number,
): AsyncGenerator<Buffer, void, undefined> {
  const ring = new SharedArrayBuffer(SLOTS * chunkSize);
  const inRing = new SharedArrayBuffer(IN_SLOTS * IN_SLOT_SIZE);
  const inBytes = new Uint8Array(inRing);
  const control = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
  control[FREE] = SLOTS;
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    // The parent's flags (a TypeScript loader, --cpu-prof) would load or run in the worker too.
    execArgv: [],
    workerData: {
      ring,
      control: control.buffer,
      slots: SLOTS,
      slotSize: chunkSize,
      inRing,
      inSlotSize: IN_SLOT_SIZE,
    },
  });
  worker.unref();

  const inbox: WorkerMessage[] = [];
  let failure: { readonly error: unknown } | undefined;
  // The caller's loop and the feeder each wait for the worker; any message wakes both. The worker keeps the
  // process alive only while the caller's loop waits for it (the feeder waits only while the caller wants
  // chunks, or has dropped them): a caller that drops the chunks half-way without closing them leaves a
  // worker that does not hold the process open.
  let waiting: (() => void)[] = [];
  const notify = (): void => {
    const resolvers = waiting;
    waiting = [];
    worker.unref();
    for (const resolve of resolvers) resolve();
  };
  // Input slots sent and not yet inflated; the worker takes them in the order they were sent.
  let inFlight = 0;
  let stopped = false;
  worker.on('message', (m: WorkerMessage) => {
    if (m.t === 'took') inFlight--;
    else inbox.push(m);
    notify();
  });
  worker.on('error', (error) => {
    failure ??= { error };
    notify();
  });
  worker.on('exit', (code) => {
    if (!stopped) failure ??= { error: new Error(`the gunzip worker exited (code ${code}) before the end`) };
    notify();
  });
  const waitForWorker = (holdProcess: boolean): Promise<void> =>
    new Promise((resolve) => {
      if (holdProcess) worker.ref();
      waiting.push(resolve);
    });

  const feeding = (async (): Promise<void> => {
    try {
      let next = 0;
      for await (const chunk of source) {
        for (let at = 0; at < chunk.length; at += IN_SLOT_SIZE) {
          while (inFlight === IN_SLOTS && !stopped && failure === undefined) await waitForWorker(false);
          if (stopped || failure !== undefined) return;
          const piece = chunk.subarray(at, at + IN_SLOT_SIZE);
          inBytes.set(piece, next * IN_SLOT_SIZE);
          inFlight++;
          worker.postMessage({ t: 'in', slot: next, n: piece.length });
          next = (next + 1) % IN_SLOTS;
        }
      }
      if (!stopped) worker.postMessage({ t: 'end' });
    } catch (error) {
      failure ??= { error };
      notify();
    }
  })();

  let held = false;
  try {
    for (;;) {
      if (held) {
        held = false;
        Atomics.add(control, FREE, 1);
        Atomics.notify(control, FREE);
      }
      while (inbox.length === 0 && failure === undefined) await waitForWorker(true);
      const m = inbox.shift();
      if (m === undefined) throw failure!.error;
      if (m.t === 'done') break;
      if (m.t === 'error') throw new InflateError(m.message, m.errno, m.code ?? 'Z_ERRNO');
      if (m.t === 'out') {
        held = true;
        yield Buffer.from(ring, m.slot * chunkSize, m.n);
      }
    }
    stopped = true;
    await feeding;
  } finally {
    stopped = true;
    Atomics.store(control, STOP, 1);
    Atomics.notify(control, FREE);
    notify();
    await worker.terminate();
  }
}
