import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type * as z from 'zod';
import { CheckpointDataSchema, type CheckpointData } from '../core/checkpoint';
import { TrailwatchError } from '../core/errors';

/** The checkpoint file exists but cannot be read as one. */
export class CheckpointFileError extends TrailwatchError {}

/** A short stable id of a backfill's arguments (see backfillScopeText): names its default checkpoint file. */
export function backfillFingerprint(scopeText: string): string {
  return createHash('sha256').update(scopeText).digest('hex').slice(0, 16);
}

/** `<cwd>/.trailwatch/checkpoints/<fingerprint>.json`: the checkpoint of a backfill run without --checkpoint. */
export function defaultCheckpointPath(cwd: string, fingerprint: string): string {
  return join(cwd, '.trailwatch', 'checkpoints', `${fingerprint}.json`);
}

/**
 * A checkpoint persisted as a JSON file (the local backfill's by default; another schema for the
 * enqueue checkpoint of `backfill --on-aws`). Writes go to a temporary file in the same folder that is
 * then renamed over the checkpoint, so a crash or kill mid-write leaves the previous checkpoint whole.
 */
export class CheckpointFile<T = CheckpointData> {
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly schema: z.ZodType<T> = CheckpointDataSchema as unknown as z.ZodType<T>,
  ) {}

  /** The stored checkpoint, or undefined when the file does not exist. */
  async load(): Promise<T | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new CheckpointFileError(`${this.path}: cannot read the checkpoint: ${(err as Error).message}`, {
        cause: err,
      });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new CheckpointFileError(`${this.path}: not JSON; delete it or pass --restart`, { cause: err });
    }
    const parsed = this.schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue && issue.path.length > 0 ? issue.path.join('.') : 'checkpoint';
      throw new CheckpointFileError(
        `${this.path}: not a trailwatch checkpoint (${field}: ${issue?.message ?? 'invalid'}); delete it or pass --restart`,
        { cause: parsed.error },
      );
    }
    return parsed.data;
  }

  /** Replaces the stored checkpoint atomically. Saves run one after the other, in call order. */
  save(data: T): Promise<void> {
    const run = this.queue.then(() => this.write(data));
    // A failed save must not block the next one; the caller still sees its own failure.
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Deletes the checkpoint file (absent is fine). */
  async remove(): Promise<void> {
    await this.queue;
    await rm(this.path, { force: true });
  }

  private async write(data: T): Promise<void> {
    const tmp = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await mkdir(dirname(this.path), { recursive: true });
      const handle = await open(tmp, 'w');
      try {
        await handle.writeFile(JSON.stringify(data, null, 1) + '\n', 'utf8');
        // Flushed before the rename, or a power loss could leave an empty file under the real name.
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, this.path);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined);
      throw new CheckpointFileError(`${this.path}: cannot write the checkpoint: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
}
