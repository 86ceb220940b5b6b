// The worker thread of `trailwatch parse` (built as dist/parse-worker.js; run through tsx from the
// sources): turns the batches of wanted records the main thread scanned into JSON lines, encoded here so
// that the main thread only writes them.
import { parentPort } from 'node:worker_threads';
import { linesOfBatch } from '../lambdas/core/event-lines';
import type { FromParseWorker, ToParseWorker } from './parse-worker-protocol';

/**
 * Longer texts go back as UTF-8 in memory of their own, transferred; shorter ones as strings (Buffer.from
 * takes short ones from its shared pool, which must not be transferred).
 */
const ENCODE_FROM_CHARS = 16 * 1024;

const port = parentPort;
if (!port) throw new Error('parse-worker.ts runs as a worker thread of `trailwatch parse`');

port.on('message', ({ batch }: ToParseWorker) => {
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
  if (lines.text.length >= ENCODE_FROM_CHARS) {
    const text = Buffer.from(lines.text, 'utf8');
    if (text.byteOffset === 0 && text.buffer.byteLength === text.length) {
      port.postMessage({ ...message, text }, [...transfer, text.buffer]);
      return;
    }
  }
  port.postMessage(message, transfer);
});
port.postMessage({ type: 'ready' } satisfies FromParseWorker);
