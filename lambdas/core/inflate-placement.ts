/**
 * Compressed size from which a gzip file is inflated on a worker thread. Starting the worker costs about
 * 30 ms of CPU (measured: 0.07 s against 0.04 s for a 0.55 MB file) and 10-15 MB of memory; inflating off
 * the scanning thread saves about 0.6 ms per decompressed MB (0.26 s of 0.46 s on 400 MB) where a second
 * core is free, so about 0.05 s on a 16 MB file (120 MB decompressed).
 */
export const OFF_THREAD_MIN_COMPRESSED_BYTES = 16 * 1024 * 1024;

/**
 * Whether inflating a gzip file of `compressedBytes` (undefined: not known) on a worker thread pays: only for
 * a large file, with at least `cpus` 2 (the CPUs this process may use at once: where the function shares one
 * vCPU, a second thread only competes with the scan).
 */
export function inflateOffThreadPays(compressedBytes: number | undefined, cpus: number): boolean {
  return compressedBytes !== undefined && compressedBytes >= OFF_THREAD_MIN_COMPRESSED_BYTES && cpus >= 2;
}
