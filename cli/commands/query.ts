import { parseCommandLine } from '../flags';
import { createAwsClients, LOCAL_CREDENTIALS } from '../../lambdas/adapters/aws-clients';
import { TrailwatchError } from '../../lambdas/core/errors';
import { isServiceName, SERVICE_NAMES, ServiceName } from '../../lambdas/core/services';
import { EventQueryClient, StoredEvent, ValidationError } from '@trailwatch/client';
import { explainAwsSetupError, isLocalEndpoint } from '../aws-options';
import { Command, CliIO, UsageError } from '../usage';

const DEFAULT_TABLE = 'trailwatch-events';
const DEFAULT_LIMIT = 100;
const MAX_CELL = 60;

const HELP = `Usage: trailwatch query [options]

Reads the trailwatch event table (docs/table.md). Without --principal or --resource the range
defaults to the last 24 hours; with them, to the whole history.

  --service S         glue, emr, athena or batch (comma-separated for several; default all)
  --since D           a duration back from now: 30m, 24h, 7d, 2w
  --from T, --to T    a range: YYYY-MM-DD or ISO-8601 time with Z/offset, both included (a day given
                      to --to runs to its end; --to defaults to now)
  --failed            only failed calls (any service: the failures index)
  --principal ARN     what one principal did (the byPrincipal index)
  --resource KEY      the history of one resource in one account and region, as
                      ACCOUNT#REGION#TYPE#ID, e.g. 123456789012#eu-west-1#glue:job#nightly-etl
                      (the byResource index)
  --order O           newest (default) or oldest first
  --limit N           at most N events (default ${DEFAULT_LIMIT})
  --json              JSON lines (one stored event per line) instead of a table
  --table NAME        table name (default $TRAILWATCH_TABLE or ${DEFAULT_TABLE})
  --endpoint-url URL  DynamoDB endpoint (default $AWS_ENDPOINT_URL_DYNAMODB or $AWS_ENDPOINT_URL)
  --region R          AWS region (default the SDK's: $AWS_REGION, profile)
  --page-size N       items per DynamoDB page (default: DynamoDB's 1 MB pages)
`;

// Library field names → the flag a person typed, so errors point at their command line.
const FLAG_OF_FIELD: Record<string, string> = {
  from: '--from',
  to: '--to',
  since: '--since',
  service: '--service',
  principalArn: '--principal',
  resource: '--resource',
  limit: '--limit',
  order: '--order',
};

/** `trailwatch query`: the event table as a readable table or JSON lines. */
export const queryCommand: Command = {
  async run(argv: string[], io: CliIO): Promise<number> {
    const args = parseQueryArgs(argv);
    if (args.help) {
      io.stdout.write(HELP);
      return 0;
    }
    const endpoint = args.endpointUrl ?? io.env.AWS_ENDPOINT_URL_DYNAMODB ?? io.env.AWS_ENDPOINT_URL;
    const local = endpoint !== undefined && isLocalEndpoint(endpoint);
    const clients = createAwsClients({
      region: args.region ?? (local ? (io.env.AWS_REGION ?? 'us-east-1') : undefined),
      endpoints: { dynamodb: endpoint },
      // A local server accepts anything, but the SDK refuses to sign without credentials.
      credentials: local && !io.env.AWS_ACCESS_KEY_ID ? LOCAL_CREDENTIALS : undefined,
    });
    const tableName = args.table ?? io.env.TRAILWATCH_TABLE ?? DEFAULT_TABLE;
    const query = new EventQueryClient({ tableName, client: clients.dynamodb, pageSize: args.pageSize });
    try {
      // One more than the limit tells whether the output was cut.
      const results = select(query, args, args.limit + 1);
      const events: StoredEvent[] = [];
      for await (const event of results) {
        if (events.length === args.limit) {
          io.stderr.write(
            `showing the first ${args.limit === 1 ? 'event' : `${args.limit} events`}; use --limit for more\n`,
          );
          break;
        }
        events.push(event);
        if (args.json) io.stdout.write(JSON.stringify(event) + '\n');
      }
      if (!args.json) {
        if (events.length === 0) io.stderr.write('no events match\n');
        else io.stdout.write(formatTable(events));
      }
      return 0;
    } catch (err) {
      if (err instanceof ValidationError) {
        // The library's reasons quote its field names mid-sentence ("needs 'from'"); a person typed
        // flags. A quote at the start is the typed value itself, which stays as it is.
        const reason = err.reason.replace(
          /(?<=\s)'(from|to|since)'/g,
          (quoted, field: string) => FLAG_OF_FIELD[field] ?? quoted,
        );
        throw new UsageError(`${FLAG_OF_FIELD[err.field] ?? err.field}: ${reason}`);
      }
      if (err instanceof TrailwatchError) throw err;
      const setup = explainAwsSetupError(
        err,
        endpoint !== undefined ? { dynamodb: endpoint } : {},
        'dynamodb',
        {
          dynamodb:
            args.endpointUrl !== undefined
              ? '--endpoint-url'
              : io.env.AWS_ENDPOINT_URL_DYNAMODB
                ? 'AWS_ENDPOINT_URL_DYNAMODB'
                : 'AWS_ENDPOINT_URL',
        },
      );
      if (setup) throw setup;
      const name = err instanceof Error ? err.name : 'Error';
      const message = err instanceof Error ? err.message : String(err);
      const where = endpoint ?? `region ${await clients.dynamodb.config.region().catch(() => '?')}`;
      throw new TrailwatchError(`cannot query table ${tableName} at ${where}: ${name}: ${message}`, {
        cause: err,
      });
    } finally {
      clients.dynamodb.destroy();
    }
  },
};

interface QueryArgs {
  help: boolean;
  services?: ServiceName[];
  since?: string;
  from?: string;
  to?: string;
  failed: boolean;
  principal?: string;
  resource?: string;
  order: 'newest' | 'oldest';
  limit: number;
  json: boolean;
  table?: string;
  endpointUrl?: string;
  region?: string;
  pageSize?: number;
}

/** Parses and checks the command line; every problem is a one-line UsageError naming the flag. */
export function parseQueryArgs(argv: string[]): QueryArgs {
  const { values } = parseCommandLine(argv, {
    help: { type: 'boolean', short: 'h' },
    service: { type: 'string' },
    since: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    failed: { type: 'boolean' },
    principal: { type: 'string' },
    resource: { type: 'string' },
    order: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean' },
    table: { type: 'string' },
    'endpoint-url': { type: 'string' },
    region: { type: 'string' },
    'page-size': { type: 'string' },
  });
  if (values.since !== undefined && values.from !== undefined) {
    throw new UsageError('--since and --from cannot be combined: give a duration or a start time');
  }
  if (values.principal !== undefined && values.resource !== undefined) {
    throw new UsageError('--principal and --resource cannot be combined: query one index at a time');
  }
  const order = values.order ?? 'newest';
  if (order !== 'newest' && order !== 'oldest') {
    throw new UsageError(`--order: expected 'newest' or 'oldest', got '${order}'`);
  }
  const endpointUrl = values['endpoint-url'];
  if (endpointUrl !== undefined && !/^https?:\/\/[^\s/]+/.test(endpointUrl)) {
    throw new UsageError(`--endpoint-url: expected an http(s) URL, got '${endpointUrl}'`);
  }
  if (values.table !== undefined && !/^[A-Za-z0-9_.-]{3,255}$/.test(values.table)) {
    throw new UsageError(
      `--table: '${values.table}' is not a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)`,
    );
  }
  return {
    help: values.help ?? false,
    services: values.service === undefined ? undefined : parseServices(values.service),
    since: values.since,
    from: values.from,
    to: values.to,
    failed: values.failed ?? false,
    principal: values.principal,
    resource: values.resource,
    order,
    limit: values.limit === undefined ? DEFAULT_LIMIT : positiveInt('--limit', values.limit),
    json: values.json ?? false,
    table: values.table,
    endpointUrl,
    region: values.region,
    pageSize: values['page-size'] === undefined ? undefined : positiveInt('--page-size', values['page-size']),
  };
}

function select(query: EventQueryClient, args: QueryArgs, limit: number): AsyncGenerator<StoredEvent> {
  const common = {
    since: args.since,
    from: args.from,
    to: args.to,
    order: args.order,
    limit,
    service: args.services,
  };
  if (args.resource !== undefined) {
    return query.byResource({ ...common, resource: args.resource, failed: args.failed || undefined });
  }
  if (args.principal !== undefined) {
    return query.byPrincipal({ ...common, principalArn: args.principal, failed: args.failed || undefined });
  }
  if (args.failed) return query.failures(common);
  return query.events(common);
}

function parseServices(text: string): ServiceName[] {
  const names = text.split(',').map((s) => s.trim().toLowerCase());
  const bad = names.find((n) => !isServiceName(n));
  if (bad !== undefined) {
    throw new UsageError(
      `--service: '${bad}' is not a watched service (expected ${SERVICE_NAMES.join(', ')})`,
    );
  }
  return names as ServiceName[];
}

function positiveInt(flag: string, text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`${flag}: expected a positive whole number, got '${text}'`);
  }
  return Number(text);
}

const COLUMNS: { title: string; cell: (e: StoredEvent) => string }[] = [
  { title: 'TIME', cell: (e) => e.eventTime },
  { title: 'SERVICE', cell: (e) => e.service },
  { title: 'EVENT', cell: (e) => e.eventName },
  { title: 'RESULT', cell: (e) => (e.failed ? (e.errorCode ?? 'failed') : 'ok') },
  {
    title: 'PRINCIPAL',
    cell: (e) => e.principal.userName ?? e.principal.arn ?? e.principal.invokedBy ?? e.principal.type,
  },
  { title: 'RESOURCE', cell: (e) => (e.resources[0] ? `${e.resources[0].type}#${e.resources[0].id}` : '-') },
  { title: 'REGION', cell: (e) => e.region ?? '-' },
];

/** Renders events as an aligned text table, one line per event. */
export function formatTable(events: readonly StoredEvent[]): string {
  const rows = events.map((e) => COLUMNS.map((c) => clip(c.cell(e))));
  const widths = COLUMNS.map((c, i) => Math.max(c.title.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(COLUMNS.map((c) => c.title)), ...rows.map(line)].join('\n') + '\n';
}

// Control characters would break the alignment (and the terminal); long values the width.
function clip(text: string): string {
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return clean.length > MAX_CELL ? clean.slice(0, MAX_CELL - 1) + '…' : clean;
}
