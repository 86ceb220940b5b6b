/**
 * A second thread for `trailwatch parse` costs about 0.1-0.3 s of CPU (a V8 isolate that loads the
 * normalizers, batches copied and posted, a second heap) and 20-35 MB of peak memory; it gains only when
 * turning records into lines is a large share of the work. Measured on the bench's 400 MB files: at 5% of
 * the records watched it added 0.3 s of CPU and gained no wall time; at 50% it took 1 s of the main
 * thread's 1.7 s.
 */

/** Kept records' bytes before a second thread is worth starting (about 16 MB of a file at 50%). */
export const SECOND_THREAD_MIN_KEPT_BYTES = 8 * 1024 * 1024;
/** The share of the decompressed bytes the kept records must make up for a second thread to pay. */
export const SECOND_THREAD_MIN_SHARE = 0.15;

/** Decompressed bytes read before deciding that a second thread will not pay (see secondThreadCouldPay). */
export const SECOND_THREAD_DECIDE_BYTES = 32 * 1024 * 1024;

/**
 * False once enough of the data is read to say a second thread will not pay: the caller then parses on one
 * thread for good, which costs less than keeping the records' bytes for a thread that never starts.
 */
export function secondThreadCouldPay(keptBytes: number, decodedBytes: number): boolean {
  return decodedBytes < SECOND_THREAD_DECIDE_BYTES || secondThreadPays(keptBytes, decodedBytes);
}

/** True when the records kept so far make a second thread pay (see the figures above). */
export function secondThreadPays(keptBytes: number, decodedBytes: number): boolean {
  return keptBytes >= SECOND_THREAD_MIN_KEPT_BYTES && keptBytes >= SECOND_THREAD_MIN_SHARE * decodedBytes;
}
