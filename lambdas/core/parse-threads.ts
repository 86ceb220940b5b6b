/**
 * A second thread for `trailwatch parse` costs about 0.1-0.3 s of CPU (a V8 isolate that loads the
 * normalizers, batches copied and posted, a second heap) and 20-35 MB of peak memory; it gains only when
 * turning records into lines is a large share of the work. Measured on the bench's 400 MB files: at 5% of
 * the records watched it added 0.3 s of CPU and gained no wall time; at 50% it took 1 s of the main
 * thread's 1.7 s.
 */

/** The watched share of a file's sample from which a second thread pays (see twoThreadsLikelyPay). */
export const SECOND_THREAD_MIN_SHARE = 0.15;

/**
 * Compressed bytes from a file's start that `trailwatch parse` reads to guess its watched share before it
 * chooses how to read the file: about 1.8 MB of JSON at CloudTrail's usual 7x compression, well over a
 * thousand records, inflated and searched in about 3 ms (a 1 MB sample took 15-18 ms, before the worker
 * could start).
 */
export const SHARE_SAMPLE_BYTES = 256 * 1024;

const EVENT_SOURCE = /"eventSource"\s*:\s*"([^"\\]*)"/g;

/**
 * The share of the records in a sample of a log file's text (its start, possibly cut mid-record) whose
 * eventSource is one of `watched`: a guess, from the first megabytes, of whether a second thread will pay.
 * Undefined when the sample names no eventSource at all.
 */
export function watchedShareOfSample(text: string, watched: ReadonlySet<string>): number | undefined {
  let records = 0;
  let kept = 0;
  for (const match of text.matchAll(EVENT_SOURCE)) {
    records += 1;
    if (watched.has(match[1] as string)) kept += 1;
  }
  return records === 0 ? undefined : kept / records;
}

/**
 * Which way to read a large file, from its sample: on two threads (this one reading, inflating and
 * scanning; a worker turning records into lines) when the sample's watched share is high enough for the
 * worker to pay, else on one thread with the inflating moved to a worker (core/inflate-placement.ts). On
 * the bench's 400 MB files, quiet machine: at 5% share one thread with inflating off-thread took 0.61-0.65
 * s against 0.72-0.75 s for the two-thread path (which inflates in place); at 50% share the two-thread
 * path took 1.18-1.24 s against 1.62-1.75 s.
 */
export function twoThreadsLikelyPay(sampleShare: number | undefined): boolean {
  return sampleShare !== undefined && sampleShare >= SECOND_THREAD_MIN_SHARE;
}
