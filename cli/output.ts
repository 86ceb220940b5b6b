/**
 * A reader that goes away (`trailwatch query | head -1`: EPIPE, the SIGPIPE Node turns into an error)
 * is the normal end of output, not a failure: no stack trace, exit code 0.
 */
import type { CliIO } from './usage';

// Errors a write gets once the reader has closed the pipe (or the stream was destroyed because of it).
const CLOSED_CODES = new Set(['EPIPE', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END']);

/** True for the error a write gets when nobody reads the output any more. */
export function isClosedOutputError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CLOSED_CODES.has(code);
}

/**
 * Watches stdout and stderr for a closed reader. `closed` resolves when stdout's reader went away;
 * the errors are handled either way (an unhandled 'error' event would crash with a stack trace).
 * Any other stream error is reported once on stderr, if stderr still works.
 */
export function watchOutput(io: CliIO): { readonly closed: Promise<void> } {
  let markClosed = (): void => undefined;
  const closed = new Promise<void>((resolve) => {
    markClosed = resolve;
  });
  io.stdout.on('error', (err: unknown) => {
    if (isClosedOutputError(err)) markClosed();
    else io.stderr.write(`trailwatch: cannot write to stdout: ${(err as Error).message}\n`);
  });
  // stderr going away (`2>&1 | head`) leaves nowhere to report anything: ignore it.
  io.stderr.on('error', () => undefined);
  return { closed };
}
