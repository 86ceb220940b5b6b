import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TrailwatchError } from '../lambdas/core/errors';

/** Options of {@link startS3Server}. */
export interface S3ServerOptions {
  /** TCP port on 127.0.0.1; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Where objects are kept on disk (kept across runs); default a fresh temporary folder. */
  readonly directory?: string;
  /** Buckets to create at start (existing ones are kept with their objects). */
  readonly buckets?: readonly string[];
  /**
   * Called with each object-created notification as s3rver produces it: an S3 event whose keys are
   * NOT URL-encoded (unlike real S3; see local/s3-notifications.ts). With `journalDir`, `id` names
   * the notification's entry in the journal (see NotificationJournal).
   */
  readonly onEvent?: (event: unknown, id?: string) => void;
  /** Records each notification in this NotificationJournal folder before the upload is answered. */
  readonly journalDir?: string;
}

/** A running s3rver (S3-compatible server) in a child process. */
export interface S3Server {
  /** `http://127.0.0.1:<port>`: pass as the S3 client's `endpoint` (with path-style addressing). */
  readonly endpoint: string;
  readonly port: number;
  readonly directory: string;
  /** Stops the server and its process. */
  stop(): Promise<void>;
}

/** s3rver could not be started. */
export class S3ServerError extends TrailwatchError {}

// The child is the sibling file of this one: s3rver-child.ts under tsx, s3rver-child.js once compiled.
const FROM_SOURCES = path.extname(__filename) === '.ts';
const CHILD = path.join(__dirname, `s3rver-child${path.extname(__filename)}`);

/** Starts s3rver in a child process run with `--openssl-legacy-provider` and waits until it listens. */
export async function startS3Server(options: S3ServerOptions = {}): Promise<S3Server> {
  const directory = options.directory ?? fs.mkdtempSync(path.join(os.tmpdir(), 'trailwatch-s3-'));
  fs.mkdirSync(directory, { recursive: true });
  const child = fork(
    CHILD,
    [
      JSON.stringify({
        port: options.port ?? 0,
        directory,
        buckets: options.buckets ?? [],
        ...(options.journalDir ? { journalDir: options.journalDir } : {}),
      }),
    ],
    {
      execArgv: [
        '--openssl-legacy-provider',
        ...(FROM_SOURCES ? ['--require', require.resolve('tsx/cjs')] : []),
      ],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });

  const port = await new Promise<number>((resolve, reject) => {
    const onExit = (code: number | null) =>
      reject(new S3ServerError(`s3rver exited before it listened (code ${code}): ${stderr.trim()}`));
    child.once('exit', onExit);
    child.once('error', reject);
    child.on('message', (message: { type?: string; port?: number; message?: string }) => {
      if (message.type === 'ready' && typeof message.port === 'number') {
        child.off('exit', onExit);
        resolve(message.port);
      } else if (message.type === 'error') {
        reject(new S3ServerError(`s3rver did not start: ${message.message ?? 'unknown error'}`));
      }
    });
  });
  child.on('message', (message: { type?: string; event?: unknown; id?: string }) => {
    if (message.type === 'event') options.onEvent?.(message.event, message.id);
  });

  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    directory,
    stop() {
      stopped ??= stopChild(child);
      return stopped;
    },
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (child.connected) child.send({ type: 'stop' });
    else child.kill('SIGTERM');
  });
}
