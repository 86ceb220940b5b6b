import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TrailwatchError } from '../lambdas/core/errors';
import { watchOutput } from './output';
import { CliIO, Command, processIO, UsageError } from './usage';

/** Subcommands, loaded lazily so `trailwatch parse` never loads the AWS SDK. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command>; endsWithOutput?: true }> = {
  parse: {
    endsWithOutput: true,
    summary: 'Print the Glue, EMR, Athena and Batch events of CloudTrail log files as JSON lines',
    load: async () => (await import('./commands/parse')).parseCommand,
  },
  query: {
    endsWithOutput: true,
    summary: 'Query the trailwatch table (by service, time, failures, principal, resource)',
    load: async () => (await import('./commands/query')).queryCommand,
  },
  local: {
    summary: 'Run the whole pipeline locally on an embedded S3 and DynamoDB (what `npm start` runs)',
    load: async () => (await import('./commands/local')).localCommand,
  },
  ingest: {
    summary: 'Run the pipeline over local log files against a table and topic',
    load: async () => (await import('./commands/ingest')).ingestCommand,
  },
  backfill: {
    summary: 'Process the log objects already in the bucket for a date range (here, or --on-aws)',
    load: async () => (await import('./commands/backfill')).backfillCommand,
  },
  replay: {
    summary: 'Process the S3 events held in the dead-letter queue',
    load: async () => (await import('./commands/replay')).replayCommand,
  },
};

/** The version in package.json (read when asked, so the other commands never touch the file). */
function version(): string {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'Usage: trailwatch <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `trailwatch <command> --help` (or `trailwatch help <command>`) for its options,',
    '`trailwatch --version` for the version.',
  ].join('\n');
}

/**
 * node:util parseArgs explains an unknown option at length ("To specify a positional argument ...");
 * its first sentence is what a person needs, plus where the options are listed.
 */
function usageLine(message: string, command: string): string {
  if (!/^(Unknown option|Option '|Unexpected argument)/.test(message)) return message;
  const first = (message.split(/\.\s/)[0] ?? message).replace(/\.$/, '');
  return `${first}. Run 'trailwatch ${command} --help' for the options.`;
}

/** Runs the CLI and returns its exit code: 0 ok, 1 a failure, 2 a usage error. */
export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  const [first, ...others] = argv;
  if (first === '--version' || first === '-V' || first === 'version') {
    io.stdout.write(`trailwatch ${version()}\n`);
    return 0;
  }
  // `trailwatch help <command>` is `trailwatch <command> --help`.
  const asHelp = first === 'help' && others[0] !== undefined;
  const name = asHelp ? others[0] : first;
  const rest = asHelp ? ['--help'] : others;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage() + '\n');
    return name === undefined ? 2 : 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    io.stderr.write(`trailwatch: unknown command '${name}'. Run 'trailwatch --help' for the list.\n`);
    return 2;
  }
  const output = watchOutput(io);
  try {
    const command = await entry.load();
    const run = command.run(rest, io);
    // A reader that went away ends a command whose only product is its output (parse, query); the
    // others (local, ingest, backfill, replay) have work to finish and stop cleanly by themselves.
    if (!entry.endsWithOutput) return await run;
    run.catch(() => undefined);
    return await Promise.race([run, output.closed.then(() => 0)]);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`trailwatch ${name}: ${usageLine(err.message, name)}\n`);
      return 2;
    }
    if (err instanceof TrailwatchError) {
      io.stderr.write(`trailwatch ${name}: ${err.message}\n`);
      return 1;
    }
    io.stderr.write(
      `trailwatch ${name}: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    return 1;
  }
}
