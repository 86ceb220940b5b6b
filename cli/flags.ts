import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './usage';

/**
 * Parses a command's argv with node:util parseArgs (strict), turning its errors into one-line usage
 * errors; `trailwatch` (cli/main.ts) then shortens them to their first sentence with a pointer to --help.
 * Imports nothing but node:util, so `trailwatch parse` still never loads the AWS SDK.
 */
export function parseCommandLine<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals });
  } catch (err) {
    throw usageErrorOf(err);
  }
}

function usageErrorOf(err: unknown): UsageError {
  // Read `message` directly: under a test runner the error may come from another realm than Error.
  const text = (err as { message?: unknown } | undefined)?.message;
  const message = typeof text === 'string' ? text : String(err);
  // parseArgs refuses `--since -1d` as ambiguous in three lines; say it in one.
  const ambiguous = /^Option '(--[\w-]+)' argument is ambiguous/.exec(message);
  if (ambiguous) {
    const flag = ambiguous[1];
    return new UsageError(`${flag}: the value starts with '-'; write ${flag}=VALUE if you mean it`, {
      cause: err,
    });
  }
  return new UsageError(message.split('\n')[0] || 'invalid arguments', { cause: err });
}
