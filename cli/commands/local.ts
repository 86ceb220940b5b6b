import * as path from 'node:path';
import { parseCommandLine } from '../flags';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describeObject } from '../../lambdas/core/object-ref';
import { SERVICE_NAMES, SERVICES, type ServiceName } from '../../lambdas/core/services';
import { renderAlertEmail } from '../../local/alert-email';
import { renderChatNotification, type ChatOutboxEntry } from '../../local/chat-outbox';
import { loadSamples, SAMPLE_DAY, type SampleObject } from '../../local/samples';
import type { OutboxMessage } from '../../local/sns-server';
import { startLocalStack, type LocalObjectOutcome, type LocalStack } from '../../local/stack';
import { runTwoPathsDemo, type PathAlert } from '../../local/two-paths-demo';
import { createProgress, silentProgress } from '../progress';
import { SERVE_PORTS } from '../serve-ports';
import { type CliIO, type Command, UsageError } from '../usage';

const HELP = `Usage: trailwatch local [options]

Runs the whole trailwatch pipeline on this machine, no AWS account needed: an S3-compatible server
(s3rver), a DynamoDB-compatible server (dynalite) and a local SNS endpoint, the event table, the
alert state table, the alert and chat topics, and the ingest Lambda's own code wired to the bucket's
object-created notifications, and a local EventBridge bus (PutEvents) whose real-time rule feeds
the real-time function's code. Uploads the bundled sample logs (the seed examples and a generated
day of two accounts in two regions), shows one failed call alerted by each path (EventBridge within
the second, then its log file alerting only what EventBridge missed), then prints what was stored,
the alerts as emails, and one as a Slack or Teams channel shows it.

Options:
  --serve              keep running (Ctrl-C stops): upload your own files, query the table
  --no-samples         start empty (do not upload the samples)
  --data DIR           where objects, tables and sent alerts are kept across runs (default .trailwatch)
  --s3-port N          S3 port (default ${SERVE_PORTS.s3} with --serve, else any free port; 0 = any free port)
  --dynamodb-port N    DynamoDB port (default ${SERVE_PORTS.dynamodb} with --serve, else any free port)
  --sns-port N         SNS port (default ${SERVE_PORTS.sns} with --serve, else any free port)
  --events-port N      EventBridge PutEvents port (default ${SERVE_PORTS.events} with --serve, else any free port)
  -h, --help           show this help
`;

interface LocalArgs {
  readonly serve: boolean;
  readonly samples: boolean;
  readonly dataDir: string;
  readonly ports: { s3: number; dynamodb: number; sns: number; events: number };
}

/** `trailwatch local` (what `npm start` runs): the pipeline on an embedded stack, with sample logs. */
export const localCommand: Command = {
  async run(argv: string[], io: CliIO): Promise<number> {
    if (argv.includes('--help') || argv.includes('-h')) {
      io.stdout.write(HELP);
      return 0;
    }
    const args = parseLocalArgs(argv, io);
    return args.serve ? serve(args, io) : runOnce(args, io);
  },
};

function parseLocalArgs(argv: string[], io: CliIO): LocalArgs {
  const parsed = parseCommandLine(argv, {
    serve: { type: 'boolean', default: false },
    'no-samples': { type: 'boolean', default: false },
    data: { type: 'string' },
    's3-port': { type: 'string' },
    'dynamodb-port': { type: 'string' },
    'sns-port': { type: 'string' },
    'events-port': { type: 'string' },
  });
  const v = parsed.values;
  const port = (flag: string, value: string | undefined, fallback: number): number => {
    if (value === undefined) return v.serve ? fallback : 0;
    if (!/^\d+$/.test(value) || Number(value) > 65535)
      throw new UsageError(`--${flag}: expected a port number from 0 to 65535, got '${value}'`);
    return Number(value);
  };
  if (v.data === '') throw new UsageError('--data: expected a folder');
  return {
    serve: v.serve === true,
    samples: v['no-samples'] !== true,
    dataDir: path.resolve(io.cwd, v.data ?? '.trailwatch'),
    ports: {
      s3: port('s3-port', v['s3-port'], SERVE_PORTS.s3),
      dynamodb: port('dynamodb-port', v['dynamodb-port'], SERVE_PORTS.dynamodb),
      sns: port('sns-port', v['sns-port'], SERVE_PORTS.sns),
      events: port('events-port', v['events-port'], SERVE_PORTS.events),
    },
  };
}

/** Counts what the handler did, for the closing summary. */
class Tally {
  processed = 0;
  failed = 0;
  readonly skipped = new Map<string, number>();
  readonly events = new Map<ServiceName, number>();
  failedCalls = 0;
  alreadyAlerted = 0;
  suppressed = 0;
  readonly failures: string[] = [];
  readonly alerts: OutboxMessage[] = [];
  readonly chats: ChatOutboxEntry[] = [];

  add(outcome: LocalObjectOutcome): void {
    if (outcome.status === 'processed') {
      this.processed += 1;
      for (const service of SERVICE_NAMES) {
        const n = outcome.summary.eventsStored[service] ?? 0;
        if (n > 0) this.events.set(service, (this.events.get(service) ?? 0) + n);
      }
      this.failedCalls += outcome.summary.failedCalls;
      this.alreadyAlerted += outcome.summary.alerts?.eventsAlreadyAlerted ?? 0;
      this.suppressed += outcome.summary.alerts?.eventsSuppressed ?? 0;
    } else if (outcome.status === 'skipped') {
      this.skipped.set(outcome.reason, (this.skipped.get(outcome.reason) ?? 0) + 1);
    } else {
      this.failed += 1;
      this.failures.push(outcome.error.message);
    }
  }
}

async function startStack(
  args: LocalArgs,
  io: CliIO,
  hooks: {
    onObject: (o: LocalObjectOutcome) => void;
    onAlert: (m: OutboxMessage) => void;
    onChat: (c: ChatOutboxEntry) => void;
  },
): Promise<LocalStack> {
  io.stdout.write(
    `trailwatch local: starting the embedded stack (data in ${displayPath(args.dataDir, io)})\n`,
  );
  const stack = await startLocalStack({
    dataDir: args.dataDir,
    s3Port: args.ports.s3,
    dynamodbPort: args.ports.dynamodb,
    snsPort: args.ports.sns,
    eventsPort: args.ports.events,
    onObject: hooks.onObject,
    onChat: hooks.onChat,
    onAlert: hooks.onAlert,
  });
  io.stdout.write(
    [
      `  S3 endpoint:        ${stack.endpoints.s3}   bucket ${stack.bucket}`,
      `  DynamoDB endpoint:  ${stack.endpoints.dynamodb}   tables ${stack.tableName}, ${stack.alertStateTableName}`,
      `  SNS endpoint:       ${stack.endpoints.sns}   topic ${stack.topicArn}`,
      `  EventBridge endpoint: ${stack.endpoints.events}   default bus, real-time rule (PutEvents)`,
      `  Alerts outbox:      ${displayPath(stack.outbox, io)}`,
      '',
    ].join('\n'),
  );
  if (stack.resumed > 0) {
    io.stdout.write(`Resuming ${stack.resumed} notifications an earlier run left unhandled.\n`);
  }
  for (const file of stack.unreadableNotifications) {
    io.stderr.write(
      `trailwatch local: ${displayPath(file, io)}: unreadable queued notification, left in place\n`,
    );
  }
  return stack;
}

async function uploadSamples(
  stack: LocalStack,
  samples: readonly SampleObject[],
  io: CliIO,
  showProgress: boolean,
): Promise<void> {
  const progress = showProgress ? createProgress({ label: 'samples', stream: io.stderr }) : silentProgress();
  progress.addTotal(
    samples.length,
    samples.reduce((n, s) => n + s.body.length, 0),
  );
  progress.totalKnown();
  let next = 0;
  // A few uploads in flight: the handler works through the notifications meanwhile.
  const worker = async (): Promise<void> => {
    while (next < samples.length) {
      const sample = samples[next++] as SampleObject;
      await stack.clients.s3.send(
        new PutObjectCommand({ Bucket: stack.bucket, Key: sample.key, Body: sample.body }),
      );
    }
  };
  const done = stack.waitForObjects(samples.map((s) => s.key));
  await Promise.all(Array.from({ length: 6 }, worker));
  // Progress follows the handler, not the uploads: an object counts once it is processed.
  await done;
  for (const sample of samples) progress.advance(sample.body.length);
  progress.stop();
}

async function runOnce(args: LocalArgs, io: CliIO): Promise<number> {
  const tally = new Tally();
  const started = Date.now();
  const stack = await startStack(args, io, {
    onObject: (o) => tally.add(o),
    onAlert: (m) => tally.alerts.push(m),
    onChat: (c) => tally.chats.push(c),
  });
  try {
    const day = SAMPLE_DAY;
    if (args.samples) {
      const samples = loadSamples();
      const seeds = samples.filter((s) => s.kind === 'seed').length;
      io.stdout.write(
        `Uploading the ${samples.length} sample log objects of samples/: ${seeds} seed examples and a generated day (${day}) of ` +
          `2 accounts x 2 regions, with CloudTrail's digest files ...\n`,
      );
      await uploadSamples(stack, samples, io, true);
      await stack.idle();
      printTwoPaths(await runTwoPathsDemo(stack, runId()), io);
    }
    printSummary(tally, io, Date.now() - started);
    printAlerts(tally, io, {
      outbox: displayPath(stack.outbox, io),
      data: displayPath(args.dataDir, io),
    });
    printNextSteps(stack, io, day, false);
  } finally {
    await stack.stop();
  }
  return tally.failed > 0 ? 1 : 0;
}

async function serve(args: LocalArgs, io: CliIO): Promise<number> {
  const tally = new Tally();
  const stack = await startStack(args, io, {
    onObject: (o) => {
      tally.add(o);
      io.stdout.write(describeOutcome(o) + '\n');
    },
    onAlert: (m) => {
      io.stdout.write(
        `\n${boxed(`alert sent to ${m.topicArn} (saved as ${displayPath(m.textFile ?? m.file, io)})`, renderAlertEmail(m))}\n\n`,
      );
    },
    onChat: (c) => {
      io.stdout.write(
        `\n${boxed(`chat alert sent to ${c.message.topicArn} (saved as ${displayPath(c.file, io)})`, renderChatNotification(c.notification))}\n\n`,
      );
    },
  });
  const day = SAMPLE_DAY;
  try {
    if (args.samples) {
      const samples = loadSamples();
      io.stdout.write(`Uploading ${samples.length} sample log objects ...\n`);
      await uploadSamples(stack, samples, io, false);
      printSummary(tally, io, undefined);
    }
    printNextSteps(stack, io, day, true);
  } catch (err) {
    await stack.stop();
    throw err;
  }
  io.stdout.write('Ready: watching the bucket. Press Ctrl-C to stop.\n');
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  io.stdout.write('Stopping ...\n');
  await stack.stop();
  io.stdout.write('Stopped.\n');
  return 0;
}

/** One `--serve` line per object handled; says why no alert went out when failed calls sent none. */
export function describeOutcome(o: LocalObjectOutcome): string {
  const where = describeObject(o.ref);
  if (o.status === 'skipped') return `skipped    ${where} (${o.reason}: ${o.message})`;
  if (o.status === 'failed') return `FAILED     ${o.error.message}`;
  const s = o.summary;
  const events = SERVICE_NAMES.filter((n) => (s.eventsStored[n] ?? 0) > 0).map(
    (n) => `${n} ${s.eventsStored[n]}`,
  );
  const total = SERVICE_NAMES.reduce((n, name) => n + (s.eventsStored[name] ?? 0), 0);
  const count = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  const a = s.alerts;
  // "0 alerts sent" alone reads like a fault: say why nothing went out.
  const why = a
    ? [
        a.eventsAlreadyAlerted > 0 ? `${a.eventsAlreadyAlerted} already alerted by an earlier run` : '',
        a.eventsSuppressed > 0 ? `${a.eventsSuppressed} repeats counted` : '',
        a.eventsIgnored > 0 ? `${a.eventsIgnored} ignored by the alert rules` : '',
      ].filter((w) => w !== '')
    : [];
  const alerts = a
    ? `, ${count(a.messagesPublished, 'alert')} sent${why.length > 0 ? ` (${why.join(', ')})` : ''}`
    : '';
  return `processed  ${where}: ${count(total, 'event')}${events.length ? ` (${events.join(', ')})` : ''}, ${count(s.failedCalls, 'failed call')}${alerts}`;
}

function printSummary(tally: Tally, io: CliIO, elapsedMs: number | undefined): void {
  const skipped = [...tally.skipped].map(([reason, n]) => `${n} ${reason}`).join(', ');
  const total = [...tally.events.values()].reduce((a, b) => a + b, 0);
  const perService = SERVICE_NAMES.map((n) => `${SERVICES[n].displayName} ${tally.events.get(n) ?? 0}`).join(
    ', ',
  );
  const lines = [
    '',
    `Log objects: ${tally.processed} processed, ${[...tally.skipped.values()].reduce((a, b) => a + b, 0)} skipped${skipped ? ` (${skipped})` : ''}, ${tally.failed} failed` +
      (elapsedMs !== undefined ? ` (in ${(elapsedMs / 1000).toFixed(1)} s)` : ''),
    `Events stored: ${total} (${perService})`,
    `Failed calls: ${tally.failedCalls}`,
    ...tally.failures.map((f) => `  FAILED ${f}`),
  ];
  io.stdout.write(lines.join('\n') + '\n');
}

// Unique per run: the demo's callers must not fall in the noise-control window of an earlier run.
function runId(): string {
  return new Date().toISOString().replace(/\D/g, '').slice(0, 17);
}

function printTwoPaths(alerts: readonly PathAlert[], io: CliIO): void {
  const label = { eventbridge: 'EventBridge (real time)', s3: 'S3 log file (backstop)' } as const;
  const lines = [
    'One failed StartJobRun put on the local bus, then its log file with a second failure EventBridge missed:',
  ];
  for (const a of alerts) {
    const after = a.document.delivery?.secondsAfterFirstCall;
    lines.push(
      `  ${label[a.path].padEnd(24)} alert for ${a.eventId}: sent ${a.trailwatchMs} ms after the event reached trailwatch` +
        (after !== undefined ? ` (${after} s after the call)` : ''),
    );
  }
  const byPath = (p: PathAlert['path']) => alerts.filter((a) => a.path === p).length;
  lines.push(
    byPath('eventbridge') === 1 && byPath('s3') === 1 && alerts.length === 2
      ? '  The log file alerted only the call EventBridge missed: each failure alerted once.'
      : `  Unexpected: ${alerts.length} alerts for the two calls (expected one by each path).`,
  );
  io.stdout.write(lines.join('\n') + '\n\n');
}

function printAlerts(tally: Tally, io: CliIO, where?: { outbox: string; data: string }): void {
  const n = tally.alerts.length;
  const notes: string[] = [];
  if (tally.alreadyAlerted > 0)
    notes.push(
      `${tally.alreadyAlerted} failed ${tally.alreadyAlerted === 1 ? 'call was' : 'calls were'} already alerted (by an earlier run or the real-time path), and nothing is sent twice`,
    );
  if (tally.suppressed > 0)
    notes.push(`${tally.suppressed} repeated failures were counted instead of alerted again`);
  io.stdout.write(`Alerts sent: ${n}${notes.length ? ` (${notes.join('; ')})` : ''}\n`);
  if (n === 0 && tally.alreadyAlerted > 0 && where) {
    io.stdout.write(
      `The emails of the earlier run are in ${where.outbox}/ (*.txt); delete ${where.data}/ to process and alert afresh.\n`,
    );
  }
  io.stdout.write('\n');
  tally.alerts.forEach((m, i) => {
    io.stdout.write(
      boxed(`alert ${i + 1} of ${n}, as an email subscriber receives it`, renderAlertEmail(m)) + '\n\n',
    );
  });
  // Each alert also went to the chat topic; one shows what a Slack or Teams channel gets.
  const chat = tally.chats[0];
  if (chat) {
    io.stdout.write(
      boxed(
        `alert 1 on the chat topic, as a Slack or Teams channel shows it (all ${tally.chats.length} in ${displayPath(path.dirname(chat.file), io)})`,
        renderChatNotification(chat.notification),
      ) + '\n\n',
    );
  }
}

function printNextSteps(stack: LocalStack, io: CliIO, day: string, serving: boolean): void {
  const e = stack.endpoints;
  const intro = serving
    ? 'While this runs, in another terminal:'
    : 'Keep the stack running with `npm start -- --serve` (or `npx trailwatch local --serve`), then:';
  // After a one-off run the servers are gone: show the ports `--serve` listens on by default.
  const at = (url: string, servePort: number) => (serving ? url : url.replace(/:\d+$/, `:${servePort}`));
  const s3 = at(e.s3, SERVE_PORTS.s3);
  const ddb = at(e.dynamodb, SERVE_PORTS.dynamodb);
  const sns = at(e.sns, SERVE_PORTS.sns);
  io.stdout.write(
    [
      intro,
      '',
      '  # credentials and checksum settings the local servers accept (AWS CLI v1 reads AWS_DEFAULT_REGION)',
      `  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=${stack.region} AWS_DEFAULT_REGION=${stack.region} \\`,
      '         AWS_REQUEST_CHECKSUM_CALCULATION=when_required AWS_RESPONSE_CHECKSUM_VALIDATION=when_required',
      '',
      '  # query the table with trailwatch',
      `  npx trailwatch query --endpoint-url ${ddb} --from ${day} --to ${day}            # the sample day, newest first`,
      `  npx trailwatch query --endpoint-url ${ddb} --failed --from ${day} --to ${day}   # its failed calls`,
      `  npx trailwatch query --endpoint-url ${ddb} --resource '111122223333#eu-west-1#glue:crawler#raw-orders-crawler' --json`,
      `  npx trailwatch query --endpoint-url ${ddb} --service athena --from 2017-05-04 --to 2017-05-05`,
      '',
      '  # ... or with the AWS CLI: the failed Athena calls of a day (the `failures` index, one Query per',
      '  # shard: docs/table.md)',
      `  seq -w 0 15 | xargs -P 8 -I '{}' aws dynamodb query --endpoint-url ${ddb} --table-name ${stack.tableName} \\`,
      `      --index-name failures --key-condition-expression 'failurePk = :pk' \\`,
      `      --expression-attribute-values '{":pk":{"S":"athena#${day}#{}"}}' --output text | sort`,
      '',
      "  # upload a CloudTrail log file of your own (the key must follow CloudTrail's layout)",
      `  aws --endpoint-url ${s3} s3 cp my-log.json.gz \\`,
      `      s3://${stack.bucket}/AWSLogs/123456789012/CloudTrail/us-east-1/${day.replace(/-/g, '/')}/my-log.json.gz`,
      '',
      '  # backfill what is in the bucket: each server has its own port, so one flag per service',
      `  npx trailwatch backfill --s3-endpoint-url ${s3} --dynamodb-endpoint-url ${ddb} \\`,
      `      --bucket ${stack.bucket} --table ${stack.tableName} --dry-run`,
      '',
      '  # or run the same pipeline over local files, without S3',
      `  npx trailwatch ingest --dynamodb-endpoint-url ${ddb} --sns-endpoint-url ${sns} --table ${stack.tableName} \\`,
      `      --alert-state-table ${stack.alertStateTableName} --topic-arn ${stack.topicArn} samples/`,
      '',
      `Alerts are saved in ${displayPath(stack.outbox, io)}/, named by time and service: each as .txt (to read: cat),`,
      '.eml (opens in a mail client) and .json (the SNS publish, with the JSON body machines receive).',
      `Their chat form (the custom notification a Slack or Teams channel gets) is in ${displayPath(stack.outbox, io)}/chat/.`,
      '',
    ].join('\n'),
  );
}

function boxed(title: string, body: string): string {
  const rule = '-'.repeat(Math.max(20, 72 - title.length - 4));
  return [`---- ${title} ${rule}`, body, '-'.repeat(Math.min(100, title.length + rule.length + 6))].join(
    '\n',
  );
}

function displayPath(p: string, io: CliIO): string {
  const rel = path.relative(io.cwd, p);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}
