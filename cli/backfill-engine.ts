/**
 * `trailwatch backfill status|stop|resume`: the distributed backfill as the engine sees it. Status
 * reads the backfill queue's and its DLQ's own counters twice (rate, ETA; decisions in
 * lambdas/core/backfill-progress.ts); stop and resume disable and enable the queue's event source
 * mapping (stack output BackfillEventSourceMappingId), so messages wait in the queue while stopped.
 */
import { BackfillQueue } from '../lambdas/adapters/backfill-queue';
import { CheckpointFile } from '../lambdas/adapters/checkpoint-file';
import {
  createLambdaClient,
  EventSourceMapping,
  type MappingState,
} from '../lambdas/adapters/event-source-mapping';
import { isLocalEndpoint, LOCAL_CREDENTIALS } from '../lambdas/adapters/aws-clients';
import {
  backfillProgress,
  type BackfillProgress,
  type QueueReading,
} from '../lambdas/core/backfill-progress';
import { EnqueueCheckpointDataSchema, type EnqueueCheckpointData } from '../lambdas/core/enqueue-checkpoint';
import {
  awsFlagsFrom,
  endpointFlagOptions,
  endpointFlagsHelp,
  intFlag,
  parseFlags,
  withAwsClients,
  type AwsFlags,
} from './aws-options';
import { formatSeconds } from './progress';
import { UsageError, type CliIO } from './usage';

/** The help of the engine subcommands. */
export const ENGINE_HELP = `Usage: trailwatch backfill status --queue-url Q [--dlq-url D] [--checkpoint FILE] [--mapping-id ID]
       trailwatch backfill stop --mapping-id ID
       trailwatch backfill resume --mapping-id ID

status   reads the backfill queue's approximate counters (waiting, in flight) and its dead-letter
         queue's, twice --interval seconds apart: objects done, failed, the rate and the ETA. With the
         enqueue's --checkpoint it knows what was sent; without it, objects are "up to" 20 a message.
stop     disables the queue's event source mapping: the function receives nothing more, the messages
         wait in the queue (up to the queue's retention), the invocations under way finish.
resume   enables it again.

Options:
  --queue-url Q            the backfill queue (stack output BackfillQueueUrl)
  --dlq-url D              its dead-letter queue (stack output BackfillDeadLetterQueueUrl)
  --checkpoint FILE        the checkpoint of trailwatch backfill --on-aws (its totals)
  --mapping-id ID          the event source mapping (stack output BackfillEventSourceMappingId)
  --interval S             seconds between the two readings of status (default 10; 0: one reading)
${endpointFlagsHelp(['sqs', 'lambda'])}
  --region R               AWS region (default AWS_REGION)`;

const FLAGS = {
  'queue-url': { type: 'string' },
  'dlq-url': { type: 'string' },
  checkpoint: { type: 'string' },
  'mapping-id': { type: 'string' },
  interval: { type: 'string' },
  ...endpointFlagOptions(['sqs', 'lambda']),
  region: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The engine subcommands. */
export const ENGINE_SUBCOMMANDS = ['status', 'stop', 'resume'] as const;
/** One engine subcommand. */
export type EngineSubcommand = (typeof ENGINE_SUBCOMMANDS)[number];

// Lambda prints UUIDs lowercase; a pasted one may have other case.
const MAPPING_ID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** The validated options of an engine subcommand. */
export interface EngineOptions {
  readonly subcommand: EngineSubcommand;
  readonly queueUrl?: string;
  readonly dlqUrl?: string;
  readonly checkpointPath?: string;
  readonly mappingId?: string;
  readonly intervalSeconds: number;
  readonly aws: AwsFlags;
}

/** Validates an engine subcommand's flags (UsageError naming the flag); `undefined` means --help. */
export function parseEngineOptions(
  subcommand: EngineSubcommand,
  argv: string[],
  env: NodeJS.ProcessEnv,
): EngineOptions | undefined {
  const v = parseFlags(argv, FLAGS);
  if (v.help) return undefined;
  if (subcommand === 'status' && !v['queue-url'])
    throw new UsageError(
      '--queue-url is required (the backfill queue, BackfillQueueUrl in the stack outputs)',
    );
  if (subcommand !== 'status' && !v['mapping-id'])
    throw new UsageError(
      '--mapping-id is required (the event source mapping, BackfillEventSourceMappingId in the stack outputs)',
    );
  if (v['mapping-id'] !== undefined && !MAPPING_ID.test(v['mapping-id']))
    throw new UsageError(`--mapping-id: expected the mapping's UUID, got '${v['mapping-id']}'`);
  return {
    subcommand,
    ...(v['queue-url'] ? { queueUrl: v['queue-url'] } : {}),
    ...(v['dlq-url'] ? { dlqUrl: v['dlq-url'] } : {}),
    ...(v.checkpoint ? { checkpointPath: v.checkpoint } : {}),
    ...(v['mapping-id'] ? { mappingId: v['mapping-id'].toLowerCase() } : {}),
    intervalSeconds: intFlag('interval', v.interval, 10, 0, 600),
    aws: awsFlagsFrom(v, env, ['sqs', 'lambda']),
  };
}

/** Test seams of the engine subcommands. */
export interface EngineOverrides {
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => Date;
}

function mappingFor(options: EngineOptions, env: NodeJS.ProcessEnv): EventSourceMapping {
  const endpoint = options.aws.endpoints.lambda;
  const hasCredentials = env.AWS_ACCESS_KEY_ID !== undefined || env.AWS_PROFILE !== undefined;
  const client = createLambdaClient({
    ...(options.aws.region !== undefined ? { region: options.aws.region } : {}),
    ...(endpoint !== undefined ? { endpoint } : {}),
    ...(endpoint !== undefined && isLocalEndpoint(endpoint) && !hasCredentials
      ? { credentials: LOCAL_CREDENTIALS }
      : {}),
  });
  return new EventSourceMapping(options.mappingId as string, client);
}

function mappingLine(state: MappingState): string {
  const parts = [state.state];
  if (state.maxConcurrency !== undefined) parts.push(`maximum concurrency ${state.maxConcurrency}`);
  if (state.batchSize !== undefined) parts.push(`batch size ${state.batchSize}`);
  return parts.join(', ');
}

/** Runs an engine subcommand. */
export async function runEngine(
  options: EngineOptions,
  io: CliIO,
  overrides: EngineOverrides = {},
): Promise<number> {
  if (options.subcommand !== 'status') {
    const mapping = mappingFor(options, io.env);
    const enable = options.subcommand === 'resume';
    const state = await mapping.setEnabled(enable);
    io.stdout.write(
      `event source mapping ${options.mappingId}: ${mappingLine(state)}\n` +
        (enable
          ? 'result: resumed; the function receives the waiting messages again\n'
          : 'result: stopping; invocations under way finish, the other messages wait in the queue (resume with trailwatch backfill resume)\n'),
    );
    return 0;
  }
  const now = overrides.now ?? (() => new Date());
  const sleep = overrides.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const totals = options.checkpointPath
    ? (
        await new CheckpointFile<EnqueueCheckpointData>(
          options.checkpointPath,
          EnqueueCheckpointDataSchema,
        ).load()
      )?.totals
    : undefined;
  if (options.checkpointPath && !totals)
    throw new UsageError(`--checkpoint ${options.checkpointPath}: no such file`);
  return withAwsClients(options.aws, io.env, async (clients) => {
    const queue = new BackfillQueue(options.queueUrl as string, clients.sqs);
    const dlq = options.dlqUrl ? new BackfillQueue(options.dlqUrl, clients.sqs, '--dlq-url') : undefined;
    const read = async (): Promise<QueueReading> => {
      const [depth, dead] = await Promise.all([queue.depth(), dlq?.depth()]);
      return {
        at: now(),
        waiting: depth.visible + depth.delayed,
        inFlight: depth.inFlight,
        ...(dead ? { deadLettered: dead.visible + dead.inFlight + dead.delayed } : {}),
      };
    };
    const first = await read();
    let second: QueueReading | undefined;
    if (options.intervalSeconds > 0) {
      await sleep(options.intervalSeconds * 1000);
      second = await read();
    }
    const mapping = options.mappingId ? await mappingFor(options, io.env).describe() : undefined;
    io.stdout.write(formatStatus(backfillProgress(first, second, totals), options, mapping));
    return 0;
  });
}

/** The status lines (stdout). */
export function formatStatus(
  p: BackfillProgress,
  options: Pick<EngineOptions, 'queueUrl' | 'dlqUrl'>,
  mapping?: MappingState,
): string {
  const objects = (messages: number): string => {
    const n = Math.round(messages * p.keysPerMessage);
    return p.keysPerMessageKnown ? `about ${n}` : `up to ${n}`;
  };
  const lines = [`backfill status of ${options.queueUrl ?? ''}`];
  if (mapping) lines.push(`  engine:    event source mapping ${mappingLine(mapping)}`);
  lines.push(
    `  remaining: ${p.remainingMessages} messages (${objects(p.remainingMessages)} objects), ${p.inFlightMessages} being processed`,
  );
  if (p.doneMessages !== undefined)
    lines.push(`  done:      ${p.doneMessages} messages (${objects(p.doneMessages)} objects)`);
  if (p.failedMessages !== undefined)
    lines.push(
      `  failed:    ${p.failedMessages} messages in the dead-letter queue (${objects(p.failedMessages)} objects); replay them with trailwatch replay --queue ${options.dlqUrl ?? 'D'}`,
    );
  if (p.messagesPerSecond !== undefined) {
    lines.push(
      `  rate:      ${p.messagesPerSecond.toFixed(2)} messages/s (${(p.messagesPerSecond * p.keysPerMessage).toFixed(1)} objects/s)`,
    );
    lines.push(`  eta:       ${formatSeconds(p.etaSeconds)}`);
  } else if (!p.drained) {
    lines.push(
      '  rate:      no message finished between the readings (stopped, or starting; try a longer --interval)',
    );
  }
  lines.push(p.drained ? 'result: the queue is empty; the backfill is done' : 'result: in progress');
  return lines.join('\n') + '\n';
}
