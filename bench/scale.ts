// `npm run bench:scale [-- --trailwatch DIR]`: generates one second of peak traffic of a 1,000-account
// organization (bench/scale-traffic.ts), runs it through `trailwatch ingest` (of this checkout, or of
// the one in DIR, e.g. an export of v0) into a local dynalite table created with that checkout's own
// table definition, then computes from the stored items and DescribeTable the write units on each
// key of the table and of each index, the hot-key ceiling and the write units per event.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  DescribeTableCommand,
  DynamoDBClient,
  paginateScan,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { startDynalite } from '../local/dynalite-server';
import { capacity } from './scale-capacity';
import { seededRandom } from '../local/seeded-random';
import { peakSecond } from './scale-traffic';

const TARGET_CEILING = 20_000;
const TARGET_UNITS = 4;

async function main(): Promise<void> {
  const k = process.argv.indexOf('--trailwatch');
  const checkout = path.resolve(k >= 0 ? (process.argv[k + 1] ?? '.') : path.join(__dirname, '..'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trailwatch-scale-'));
  const files = peakSecond(seededRandom(20240501));
  let records = 0;
  for (const f of files) {
    const folder = path.join(dir, 'AWSLogs', f.accountId, 'CloudTrail', f.region, '2024', '05', '01');
    fs.mkdirSync(folder, { recursive: true });
    const name = `${f.accountId}_CloudTrail_${f.region}_20240501T1200Z_peak.json.gz`;
    fs.writeFileSync(path.join(folder, name), gzipSync(JSON.stringify({ Records: f.records })));
    records += f.records.length;
  }

  const server = await startDynalite();
  const client = new DynamoDBClient({
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  try {
    // The checkout's own table definition, so v0 is measured on the v0 layout.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const definitions = require(path.join(checkout, 'lambdas', 'adapters', 'table-definitions')) as {
      ensureTable: (c: DynamoDBClient, input: unknown) => Promise<unknown>;
      eventTableDefinition: (name: string) => unknown;
    };
    await definitions.ensureTable(client, definitions.eventTableDefinition('scale-events'));
    const started = Date.now();
    // Asynchronously: dynalite answers from this very process.
    await promisify(execFile)(
      process.execPath,
      [path.join(checkout, 'cli', 'bin.js'), 'ingest', '--table', 'scale-events', '--no-alerts', dir],
      {
        env: {
          ...process.env,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          // By variable, not flag: the flag is --dynamodb-endpoint-url now but --endpoint-url in an
          // older checkout (v0); both read the variables.
          AWS_ENDPOINT_URL_DYNAMODB: server.endpoint,
          AWS_ENDPOINT_URL: server.endpoint,
        },
        maxBuffer: 64 << 20,
      },
    ).catch((err: { code?: number; stderr?: string }) => {
      throw new Error(
        `trailwatch ingest failed (exit ${err.code}): ${(err.stderr ?? '').trim().split('\n').slice(-3).join(' ')}`,
      );
    });
    const seconds = (Date.now() - started) / 1000;

    const table = (await client.send(new DescribeTableCommand({ TableName: 'scale-events' }))).Table;
    if (!table) throw new Error('DescribeTable returned no table');
    const items: Record<string, AttributeValue>[] = [];
    for await (const page of paginateScan({ client }, { TableName: 'scale-events' }))
      items.push(...(page.Items ?? []));
    // Events only: not the contract item (nor any other `trailwatch#` item of an older checkout).
    const events = items.filter((i) => !i.pk?.S?.startsWith('trailwatch#'));
    const report = capacity(table, events);

    const out = (s: string) => process.stdout.write(s + '\n');
    out(`trailwatch at ${checkout}`);
    out(
      `one peak second: ${records} calls from ${files.length} log files (1,000 accounts), ${report.events} events stored, ingest ${seconds.toFixed(1)} s`,
    );
    out('');
    out('| where | events | write units | hottest key | units on it |');
    out('| --- | ---: | ---: | --- | ---: |');
    for (const h of report.hottest)
      out(`| ${h.where} | ${h.entries} | ${h.totalUnits} | \`${h.key}\` | ${h.units} |`);
    out('');
    out(
      `write units per event:  ${report.unitsPerEvent.toFixed(2)} (target <= ${TARGET_UNITS}: ${report.unitsPerEvent <= TARGET_UNITS ? 'met' : 'NOT met'})`,
    );
    out(
      `hot-key ceiling:        ${Math.round(report.ceiling).toLocaleString('en-US')} events/s org-wide (target >= ${TARGET_CEILING.toLocaleString('en-US')}: ${report.ceiling >= TARGET_CEILING ? 'met' : 'NOT met'})`,
    );
    out(
      `storage per 1M events:  ${(report.storagePerMillion / 1e9).toFixed(2)} GB (items + index entries + 100 B overhead each)`,
    );
  } finally {
    client.destroy();
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:scale: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
