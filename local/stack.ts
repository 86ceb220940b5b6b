import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureTable, eventTableDefinition } from '../lambdas/adapters/table-definitions';
import { alertStateTableDefinition } from '../lambdas/adapters/alert-state-table';
import {
  createAwsClients,
  destroyAwsClients,
  LOCAL_CREDENTIALS,
  type AwsClients,
} from '../lambdas/adapters/aws-clients';
import { TrailwatchError } from '../lambdas/core/errors';
import type { PipelineSummary } from '../lambdas/core/pipeline';
import type { LogObjectRef, ObjectSkipReason } from '../lambdas/core/ports';
import { composeApiCallApp, composeIngestApp, type ApiCallApp, type IngestApp } from '../lambdas/app/compose';
import type { ApiCallSummary } from '../lambdas/app/api-call-handler';
import { matchesApiCallRule } from '../lambdas/core/api-call-rule';
import { loadIngestConfig } from '../lambdas/ingest/config';
import type { IngestObserver } from '../lambdas/app/ingest-observer';
import { lockDataFolder } from './data-lock';
import { NotificationJournal } from './notification-journal';
import { startDynalite } from './dynalite-server';
import { startS3Server } from './s3-server';
import { asRealS3Notification } from './s3-notifications';
import { startEventsServer, type BusEvent } from './events-server';
import { saveChatNotification, type ChatOutboxEntry } from './chat-outbox';
import { startSnsServer, type OutboxMessage } from './sns-server';

/** Names of the local resources (fixed, so printed commands stay valid across runs). */
export const LOCAL_NAMES = {
  bucket: 'trailwatch-logs',
  table: 'trailwatch-events',
  alertStateTable: 'trailwatch-alert-state',
  topic: 'trailwatch-alerts',
  chatTopic: 'trailwatch-chat',
  region: 'us-east-1',
} as const;

/** What happened to one object the local bucket announced. */
export type LocalObjectOutcome =
  | { readonly status: 'processed'; readonly ref: LogObjectRef; readonly summary: PipelineSummary }
  | {
      readonly status: 'skipped';
      readonly ref: LogObjectRef;
      readonly reason: ObjectSkipReason;
      readonly message: string;
    }
  | { readonly status: 'failed'; readonly ref: LogObjectRef; readonly error: Error };

/** What happened to one EventBridge event the local bus delivered to the real-time app. */
export type LocalApiCallOutcome =
  | { readonly status: 'processed' | 'skipped'; readonly event: BusEvent; readonly summary: ApiCallSummary }
  | { readonly status: 'failed'; readonly event: BusEvent; readonly error: Error };

/** Options of {@link startLocalStack}. */
export interface LocalStackOptions {
  /** Folder holding the S3 objects (`s3/`), the tables (`dynamodb/`) and the alerts (`outbox/`). */
  readonly dataDir: string;
  /** 0 picks a free port. */
  readonly s3Port?: number;
  readonly dynamodbPort?: number;
  readonly snsPort?: number;
  readonly eventsPort?: number;
  /** Keep DynamoDB data on disk in `<dataDir>/dynamodb` (default true); false keeps it in memory. */
  readonly persistTables?: boolean;
  /** Called once per object the handler finished with. */
  readonly onObject?: (outcome: LocalObjectOutcome) => void;
  /** Called once per EventBridge event the local rule matched, after the real-time app handled it. */
  readonly onApiCall?: (outcome: LocalApiCallOutcome) => void;
  /** Called once per alert the SNS endpoint received on the alert topic. */
  readonly onAlert?: (message: OutboxMessage) => void;
  /** Called once per alert received on the chat topic, with its custom notification (saved in `outbox/chat/`). */
  readonly onChat?: (entry: ChatOutboxEntry) => void;
  /** Called with the handler's clients before the first notification: where the load test injects faults. */
  readonly instrumentClients?: (clients: AwsClients) => void;
}

/** The running embedded stack: servers, resources, and the ingest handler wired to the bucket. */
export interface LocalStack {
  readonly endpoints: {
    readonly s3: string;
    readonly dynamodb: string;
    readonly sns: string;
    /** The PutEvents route: the default bus with the real-time rule on it. */
    readonly events: string;
  };
  readonly bucket: string;
  readonly tableName: string;
  readonly alertStateTableName: string;
  readonly topicArn: string;
  /** The chat topic: each alert again, as the Slack or Teams channel gets it. */
  readonly chatTopicArn: string;
  readonly region: string;
  readonly outbox: string;
  readonly dataDir: string;
  /** Clients pointed at the local servers. */
  readonly clients: AwsClients;
  /** Resolves once every key given has been handled (processed, skipped or failed) at least `times` times in all. */
  waitForObjects(keys: readonly string[], timeoutMs?: number): Promise<void>;
  /** Resolves once `count` EventBridge events in all have been handled by the real-time app. */
  waitForApiCalls(count: number, timeoutMs?: number): Promise<void>;
  /** EventBridge events the real-time app has handled so far (processed, skipped or failed). */
  readonly apiCallsHandled: number;
  /** Resolves once no notification or EventBridge event is waiting or being handled. */
  idle(): Promise<void>;
  /** Notifications an earlier run left unhandled (it was killed) and this one handles first. */
  readonly resumed: number;
  /** Journal entries that could not be read: left in place and named so a person can look. */
  readonly unreadableNotifications: readonly string[];
  /**
   * Stops the servers after the notifications queued so far are handled; safe to call twice. With
   * `leaveQueued`, only the one being handled finishes and the rest stay in the journal, as after a
   * crash, for the next start to resume.
   */
  stop(how?: { readonly leaveQueued?: boolean }): Promise<void>;
}

/** A local server or resource could not be started. */
export class LocalStackError extends TrailwatchError {}

/**
 * Starts s3rver, dynalite and the local SNS endpoint, creates the bucket, both tables and the topic,
 * and wires the bucket's object-created notifications (keys S3-encoded, as real S3 sends them) to
 * the ingest app the Lambda runs, composed from the same environment variables.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const dataDir = path.resolve(options.dataDir);
  const outbox = path.join(dataDir, 'outbox');
  fs.mkdirSync(dataDir, { recursive: true });
  const release = lockDataFolder(dataDir);
  const stoppers: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    // Last started, first stopped; every server is stopped even if one fails to.
    const results = await Promise.allSettled(stoppers.reverse().map((stop) => stop()));
    stoppers.length = 0;
    // The folder is free only once every server has let go of it.
    release();
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  };

  // Notifications are handled one at a time, in arrival order, as they arrive; `handled` counts per key.
  // Each is in the journal (written by the S3 server before it answered the upload) until handled.
  const journal = new NotificationJournal(path.join(dataDir, 'queue'));
  const queued = new Set<string>();
  const handled = new Map<string, number>();
  const waiters = new Set<() => void>();
  let queue: Promise<void> = Promise.resolve();
  let pending = 0;
  let app: IngestApp | undefined;
  let leaveQueued = false;
  const early: Array<{ event: unknown; id?: string }> = [];
  let chatTopicArn: string | undefined;

  const outcome = (o: LocalObjectOutcome): void => {
    handled.set(o.ref.key, (handled.get(o.ref.key) ?? 0) + 1);
    options.onObject?.(o);
    for (const wake of [...waiters]) wake();
  };
  const observer: IngestObserver = {
    objectProcessed: (summary) => outcome({ status: 'processed', ref: summary, summary }),
    objectSkipped: (ref, reason, message) => outcome({ status: 'skipped', ref, reason, message }),
    objectFailed: (ref, error) => outcome({ status: 'failed', ref, error }),
    eventIgnored: () => undefined,
  };
  // EventBridge events run at once, beside the S3 queue, as the real-time function runs beside the
  // ingest function: the exactly-once tests need the two paths to overlap.
  let apiApp: ApiCallApp | undefined;
  let apiCalls = 0;
  const earlyApiCalls: BusEvent[] = [];
  const onBusEvent = (event: BusEvent): void => {
    // The deployed rule's pattern: what it would not match never reaches the function.
    if (!matchesApiCallRule(event)) return;
    if (!apiApp) {
      earlyApiCalls.push(event);
      return;
    }
    pending += 1;
    apiApp
      .handleApiCallEvent(event)
      .then(
        (summary): LocalApiCallOutcome => ({ status: summary.status, event, summary }),
        (error: Error): LocalApiCallOutcome => ({ status: 'failed', event, error }),
      )
      .then((o) => {
        apiCalls += 1;
        pending -= 1;
        options.onApiCall?.(o);
        for (const wake of [...waiters]) wake();
      })
      .catch(() => undefined);
  };
  const enqueue = (event: unknown, id?: string): void => {
    if (!app) {
      early.push({ event, ...(id !== undefined ? { id } : {}) });
      return;
    }
    // The journal's backlog and the live notifications overlap at start-up: each entry once.
    if (id !== undefined) {
      if (queued.has(id)) return;
      queued.add(id);
    }
    const current = app;
    pending += 1;
    let left = false;
    queue = queue
      .then(async () => {
        // Stopping without draining: what has not started stays in the journal for the next run.
        if (leaveQueued) {
          left = true;
          return;
        }
        await current.handleS3Event(asRealS3Notification(event));
      })
      // A failed object is reported through the observer (objectFailed); the aggregate adds nothing.
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        if (id !== undefined && !left) journal.done(id);
        pending -= 1;
        for (const wake of [...waiters]) wake();
      });
  };

  try {
    // The three servers start side by side (s3rver's child process takes longest); the tables are
    // created while it starts.
    const [dynamoStarted, snsStarted, s3Started, eventsStarted] = await Promise.allSettled([
      startDynalite({
        port: options.dynamodbPort ?? 0,
        ...(options.persistTables === false ? {} : { path: path.join(dataDir, 'dynamodb') }),
      }).then(async (server) => {
        stoppers.push(() => server.stop());
        await createTables(server.endpoint);
        return server;
      }),
      startSnsServer({
        port: options.snsPort ?? 0,
        outbox,
        region: LOCAL_NAMES.region,
        onPublish: (message) => {
          if (message.topicArn === chatTopicArn) options.onChat?.(saveChatNotification(message));
          else options.onAlert?.(message);
        },
      }).then((server) => {
        stoppers.push(() => server.stop());
        return server;
      }),
      startS3Server({
        port: options.s3Port ?? 0,
        directory: path.join(dataDir, 's3'),
        buckets: [LOCAL_NAMES.bucket],
        journalDir: journal.directory,
        onEvent: enqueue,
      }).then((server) => {
        stoppers.push(() => server.stop());
        return server;
      }),
      startEventsServer({
        port: options.eventsPort ?? 0,
        region: LOCAL_NAMES.region,
        onEvent: onBusEvent,
      }).then((server) => {
        stoppers.push(() => server.stop());
        return server;
      }),
    ]);
    const dynamodb = started(dynamoStarted, 'DynamoDB (dynalite)', options.dynamodbPort, '--dynamodb-port');
    const sns = started(snsStarted, 'the SNS endpoint', options.snsPort, '--sns-port');
    const s3 = started(s3Started, 'S3 (s3rver)', options.s3Port, '--s3-port');
    const events = started(eventsStarted, 'the EventBridge endpoint', options.eventsPort, '--events-port');
    const topicArn = sns.createTopic(LOCAL_NAMES.topic);
    chatTopicArn = sns.createTopic(LOCAL_NAMES.chatTopic);

    const endpoints = {
      s3: s3.endpoint,
      dynamodb: dynamodb.endpoint,
      sns: sns.endpoint,
      events: events.endpoint,
    };
    const clients = createAwsClients({
      region: LOCAL_NAMES.region,
      credentials: LOCAL_CREDENTIALS,
      endpoints: { s3: s3.endpoint, dynamodb: dynamodb.endpoint, sns: sns.endpoint },
    });
    stoppers.push(async () => destroyAwsClients(clients));
    options.instrumentClients?.(clients);

    // The Lambda's own configuration path: the environment the CDK stack would set.
    const config = loadIngestConfig({
      TABLE_NAME: LOCAL_NAMES.table,
      ALERT_STATE_TABLE_NAME: LOCAL_NAMES.alertStateTable,
      ALERT_TOPIC_ARN: topicArn,
      CHAT_TOPIC_ARN: chatTopicArn,
      SOURCE_BUCKETS: LOCAL_NAMES.bucket,
      ALERTS_ENABLED: 'true',
    });
    app = composeIngestApp(config, clients, observer);
    apiApp = composeApiCallApp(config, clients);
    for (const event of earlyApiCalls.splice(0)) onBusEvent(event);
    // What a killed run left first (oldest first), then what arrived while this one started.
    const backlog = journal.pending();
    const arrived = new Set(early.map((e) => e.id));
    const resumed = backlog.entries.filter((e) => !arrived.has(e.id)).length;
    for (const entry of backlog.entries) enqueue(entry.event, entry.id);
    for (const { event, id } of early.splice(0)) enqueue(event, id);

    const waitFor = (done: () => boolean, timeoutMs: number, what: () => string): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        if (done()) return resolve();
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new LocalStackError(`timed out after ${timeoutMs} ms waiting for ${what()}`));
        }, timeoutMs);
        const check = (): void => {
          if (!done()) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });

    return {
      endpoints,
      bucket: LOCAL_NAMES.bucket,
      tableName: LOCAL_NAMES.table,
      alertStateTableName: LOCAL_NAMES.alertStateTable,
      topicArn,
      chatTopicArn,
      region: LOCAL_NAMES.region,
      outbox,
      dataDir,
      clients,
      resumed,
      unreadableNotifications: backlog.unreadable,
      waitForObjects(keys, timeoutMs = 120_000) {
        const want = new Map<string, number>();
        for (const key of keys) want.set(key, (want.get(key) ?? 0) + 1);
        const done = () => [...want].every(([key, n]) => (handled.get(key) ?? 0) >= n);
        const missing = () =>
          `${[...want].filter(([key, n]) => (handled.get(key) ?? 0) < n).length} objects to be handled`;
        return waitFor(done, timeoutMs, missing);
      },
      get apiCallsHandled() {
        return apiCalls;
      },
      waitForApiCalls(count, timeoutMs = 120_000) {
        return waitFor(
          () => apiCalls >= count,
          timeoutMs,
          () => `${count - apiCalls} EventBridge events to be handled`,
        );
      },
      idle() {
        return waitFor(
          () => pending === 0,
          120_000,
          () => `${pending} notifications and EventBridge events`,
        );
      },
      stop: async (how) => {
        if (how?.leaveQueued) leaveQueued = true;
        await queue;
        await waitFor(
          () => pending === 0,
          120_000,
          () => `${pending} notifications and EventBridge events`,
        ).catch(() => undefined);
        await stopAll();
      },
    };
  } catch (err) {
    await stopAll().catch(() => undefined);
    throw err;
  }
}

/** The server, or the LocalStackError saying why it did not start and what to do. */
function started<T>(
  result: PromiseSettledResult<T>,
  what: string,
  port: number | undefined,
  flag: string,
): T {
  if (result.status === 'fulfilled') return result.value;
  const err: unknown = result.reason;
  throw new LocalStackError(`cannot start ${what}: ${portHint(err, port, flag)}`, { cause: err });
}

async function createTables(endpoint: string): Promise<void> {
  const client = createAwsClients({
    region: LOCAL_NAMES.region,
    credentials: LOCAL_CREDENTIALS,
    endpoints: { dynamodb: endpoint },
  }).dynamodb;
  try {
    await Promise.all([
      ensureTable(client, eventTableDefinition(LOCAL_NAMES.table)),
      ensureTable(client, alertStateTableDefinition(LOCAL_NAMES.alertStateTable)),
    ]);
  } finally {
    client.destroy();
  }
}

function portHint(err: unknown, port: number | undefined, flag: string): string {
  const code = (err as { code?: string }).code;
  if (code === 'EADDRINUSE' || (err instanceof Error && err.message.includes('EADDRINUSE')))
    return `port ${port} is in use (another \`trailwatch local --serve\`?); choose another with ${flag} (0 = any free port)`;
  if (err instanceof Error && /LOCK|lock/.test(err.message))
    return `the data folder is in use by another \`trailwatch local\` (${err.message})`;
  return err instanceof Error ? err.message : String(err);
}
