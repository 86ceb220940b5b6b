/** Ctrl-C handling shared by the long-running commands (backfill, replay). */
import { createProgress, silentProgress, type Progress } from './progress';

/** The seam of the commands that can be interrupted (backfill, replay): a test stands in for Ctrl-C. */
export interface InterruptSeam {
  /** Replaces Ctrl-C handling: aborting it interrupts the run as Ctrl-C would. */
  readonly signal?: AbortSignal;
}

/** An abort signal for a run, and how to stop listening when the run is over. */
export interface Interruption {
  readonly signal: AbortSignal;
  dispose(): void;
}

/**
 * The first Ctrl-C logs `message` and aborts the returned signal (the run finishes what is in flight);
 * a second one quits at once with exit code 130. With `given` (tests), that signal is used as is and
 * no process handler is installed.
 */
export function interruptOnCtrlC(
  log: (line: string) => void,
  message: string,
  given?: AbortSignal,
): Interruption {
  if (given) return { signal: given, dispose: () => undefined };
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    log(`${message} (Ctrl-C again to quit now)`);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) };
}

/** A run's progress display with its Ctrl-C handling, ended together. */
export interface RunDisplay {
  readonly progress: Progress;
  readonly signal: AbortSignal;
  /** Final render of the progress and no more Ctrl-C handling. */
  end(): void;
}

/**
 * The progress display of a long run (`label` on stderr; silent when `quiet`, e.g. a dry run) and its
 * Ctrl-C handling, which logs `message` through the display.
 */
export function startRunDisplay(options: {
  readonly label: string;
  readonly quiet: boolean;
  readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly message: string;
  readonly signal?: AbortSignal;
}): RunDisplay {
  const progress = options.quiet
    ? silentProgress()
    : createProgress({ label: options.label, stream: options.stream });
  const interruption = interruptOnCtrlC((line) => progress.log(line), options.message, options.signal);
  return {
    progress,
    signal: interruption.signal,
    end() {
      progress.stop();
      interruption.dispose();
    },
  };
}
