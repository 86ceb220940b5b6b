// Runs s3rver in its own process, started by local/s3-server.ts with Node's legacy OpenSSL provider
// (s3rver's ListObjectsV2 continuation tokens need it) so neither jest nor the CLI needs the flag.
// Talks to the parent over IPC: `ready` with the port, `event` per S3 notification, `stopped`.

import { NotificationJournal } from './notification-journal';
import { refuseS3Request, type GuardedRequest } from './s3-request-guard';

/** Options the parent passes as the first argument (JSON). */
interface ChildOptions {
  port: number;
  directory: string;
  buckets: string[];
  /** Where each notification is recorded before the upload is answered (absent: not recorded). */
  journalDir?: string;
}

/** The part of a Koa context the guard uses. */
interface KoaContext {
  req: GuardedRequest;
  status: number;
  type: string;
  body: unknown;
}

interface S3rverInstance {
  httpServer?: { closeAllConnections?: () => void };
  /** Koa's middleware list: composed when the server starts listening. */
  middleware: Array<(ctx: KoaContext, next: () => Promise<void>) => Promise<void> | void>;
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
  on(event: 'event', listener: (event: unknown) => void): void;
}

// s3rver ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver') as new (options: Record<string, unknown>) => S3rverInstance;

interface AccountModule {
  registry: Map<string, unknown>;
  DUMMY_ACCOUNT: unknown;
}

// Like DynamoDB's local servers, accept any access key (the user's real ones too), so the printed
// `aws --endpoint-url ... s3 cp` works whatever credentials are configured. SigV4 is not verified
// by s3rver anyway; SigV2 is let through with allowMismatchedSignatures.
function acceptAnyAccessKey(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const accounts = require('s3rver/lib/models/account') as AccountModule;
  const known = accounts.registry;
  const original = known.get.bind(known);
  known.get = (id: string) => original(id) ?? accounts.DUMMY_ACCOUNT;
}

interface StoreListOptions {
  delimiter?: string;
  prefix?: string;
  maxKeys?: number;
  startAfter?: string;
}

interface StoreListResult {
  objects: { key: string }[];
  commonPrefixes: string[];
  isTruncated: boolean;
}

interface FilesystemStoreModule {
  prototype: {
    listObjects(this: unknown, bucket: string, options: StoreListOptions): Promise<StoreListResult>;
  };
}

// s3rver's filesystem store prunes the folders below a common prefix before it has found an object
// in them, so a Delimiter listing only reports common prefixes one folder deep (a Delimiter '/'
// listing of `AWSLogs/` over CloudTrail keys comes back empty; `trailwatch backfill` walks exactly
// that way). List without the delimiter and fold the keys into common prefixes as S3 does.
function fixDelimiterListing(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const store = require('s3rver/lib/stores/filesystem') as FilesystemStoreModule;
  const original = store.prototype.listObjects;
  store.prototype.listObjects = async function listObjects(this: unknown, bucket, options) {
    const delimiter = options.delimiter ?? '';
    if (delimiter === '') return original.call(this, bucket, options);
    const prefix = options.prefix ?? '';
    const maxKeys = options.maxKeys ?? Number.POSITIVE_INFINITY;
    const all = await original.call(this, bucket, {
      ...options,
      delimiter: '',
      maxKeys: Number.POSITIVE_INFINITY,
    });
    const commonPrefixes = new Set<string>();
    const objects: { key: string }[] = [];
    let isTruncated = false;
    for (const object of all.objects) {
      const at = object.key.indexOf(delimiter, prefix.length);
      if (at !== -1) {
        commonPrefixes.add(object.key.slice(0, at + delimiter.length));
      } else if (objects.length < maxKeys) {
        objects.push(object);
      } else {
        isTruncated = true;
        break;
      }
    }
    return { objects, commonPrefixes: [...commonPrefixes].sort(), isTruncated };
  };
}

// First in the chain, before s3rver routes, decodes or stores anything (issue 15, case 11).
function guardRequests(server: S3rverInstance): void {
  server.middleware.unshift(async (ctx, next) => {
    const refusal = refuseS3Request(ctx.req);
    if (!refusal) return next();
    ctx.status = refusal.status;
    ctx.type = 'application/xml';
    ctx.body =
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<Error><Code>${refusal.code}</Code><Message>${escapeXml(refusal.message)}</Message></Error>`;
  });
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function send(message: Record<string, unknown>): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as ChildOptions;
  acceptAnyAccessKey();
  fixDelimiterListing();
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port,
    directory: options.directory,
    silent: true,
    allowMismatchedSignatures: true,
    configureBuckets: options.buckets.map((name) => ({ name })),
  });
  guardRequests(server);
  const journal = options.journalDir ? new NotificationJournal(options.journalDir) : undefined;
  // s3rver emits the event synchronously inside the upload's request, before it answers: an upload
  // that succeeded has its notification on disk, whatever happens to either process next.
  server.on('event', (event) =>
    send({ type: 'event', event, ...(journal ? { id: journal.append(event) } : {}) }),
  );
  const address = await server.run();
  send({ type: 'ready', port: address.port });

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    const closed = server.close().catch(() => undefined);
    // Clients' keep-alive sockets would otherwise hold close() open until they time out.
    server.httpServer?.closeAllConnections?.();
    await closed;
    send({ type: 'stopped' });
    process.disconnect?.();
    process.exit(0);
  };
  process.on('message', (message: { type?: string }) => {
    if (message.type === 'stop') void stop();
  });
  // The parent died or closed the channel: never outlive it.
  process.on('disconnect', () => void stop());
  // Ctrl-C reaches the whole process group; the parent decides when to stop us.
  process.on('SIGINT', () => undefined);
}

main().catch((err: unknown) => {
  send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
