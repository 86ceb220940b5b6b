// The worker thread of `trailwatch parse` (built as dist/parse-worker.js; run through tsx from the
// sources): turns the batches of wanted records the main thread scanned into JSON lines, encoded here so
// that the main thread only writes them.
import { parentPort } from 'node:worker_threads';
import { linesOfBatch } from '../lambdas/core/event-lines';
import type { FromParseWorker, ToParseWorker } from './parse-worker-protocol';

/** Longer texts go back as UTF-8, transferred; shorter ones as strings (a copy costs less than a transfer). */
const ENCODE_FROM_CHARS = 16 * 1024;
/** The size of new memory for the lines: most batches' lines fit, so one buffer serves many. */
const SPARE_BYTES = 512 * 1024;

const port = parentPort;
if (!port) throw new Error('parse-worker.ts runs as a worker thread of `trailwatch parse`');

// Memory for the lines' UTF-8, handed back by the main thread once written: allocating a fresh buffer per
// batch (on this thread, freed on the other) fragments malloc's arenas, which showed as 20-30 MB of RSS.
const spares: Uint8Array<ArrayBuffer>[] = [];

/** The lines as UTF-8 in memory of their own that can be transferred, reusing a spare where one is large enough. */
function encode(text: string): Uint8Array<ArrayBuffer> {
  const length = Buffer.byteLength(text, 'utf8');
  let spare = spares.pop();
  while (spare && spare.buffer.byteLength < length) spare = spares.pop();
  const memory = spare ? spare.buffer : new ArrayBuffer(Math.max(length, SPARE_BYTES));
  const bytes = Buffer.from(memory, 0, length);
  bytes.write(text, 0, 'utf8');
  return new Uint8Array(memory, 0, length);
}

port.on('message', ({ batch, spare }: ToParseWorker) => {
  for (const s of spare) if (spares.length < 8) spares.push(s);
  const lines = linesOfBatch(batch);
  const message: FromParseWorker = {
    type: 'lines',
    text: lines.text,
    eventsKept: lines.eventsKept,
    skipped: lines.skipped,
    ...(lines.invalid ? { invalid: lines.invalid } : {}),
    bytes: batch.bytes,
  };
  const transfer: ArrayBuffer[] = [batch.bytes.buffer];
  if (lines.text.length < ENCODE_FROM_CHARS) {
    port.postMessage(message, transfer);
    return;
  }
  const text = encode(lines.text);
  port.postMessage({ ...message, text }, [...transfer, text.buffer]);
});
port.postMessage({ type: 'ready' } satisfies FromParseWorker);
