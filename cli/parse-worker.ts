// The worker thread of `trailwatch parse` (built as dist/parse-worker.js; run through tsx from the
// sources): turns the batches of wanted records the main thread scanned into JSON lines, as UTF-8, so
// that the main thread only writes them.
import { parentPort } from 'node:worker_threads';
import { lineBytesOfBatch } from '../lambdas/core/event-lines';
import type { FromParseWorker, ToParseWorker } from './parse-worker-protocol';

const port = parentPort;
if (!port) throw new Error('parse-worker.ts runs as a worker thread of `trailwatch parse`');

// Memory for the lines' UTF-8, handed back by the main thread once written: allocating a fresh buffer per
// batch (on this thread, freed on the other) fragments malloc's arenas, which showed as 20-30 MB of RSS.
const spares: ArrayBuffer[] = [];

port.on('message', ({ batch, spare }: ToParseWorker) => {
  for (const s of spare) if (spares.length < 8) spares.push(s.buffer);
  // The lines are written as UTF-8 straight into memory that is then transferred: no string of them all.
  const lines = lineBytesOfBatch(batch, spares.pop());
  const message: FromParseWorker = {
    type: 'lines',
    text: lines.text,
    eventsKept: lines.eventsKept,
    skipped: lines.skipped,
    ...(lines.invalid ? { invalid: lines.invalid } : {}),
    bytes: batch.bytes,
  };
  port.postMessage(message, [batch.bytes.buffer, lines.text.buffer]);
});
port.postMessage({ type: 'ready' } satisfies FromParseWorker);
