import { TrailwatchError } from '../lambdas/core/errors';

/** A command line that cannot be run as given: reported in one line, exit code 2. */
export class UsageError extends TrailwatchError {}

/** What a command writes to; tests pass their own to capture output. */
export interface CliIO {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/** The process's own streams and environment. */
export function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/** One `trailwatch` subcommand. Returns the exit code. */
export interface Command {
  run(argv: string[], io: CliIO): Promise<number>;
}
