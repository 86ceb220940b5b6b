import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import {
  LogObjectChangedError,
  LogObjectInterruptedError,
  LogObjectNotFoundError,
  LogObjectReadError,
} from '../../lambdas/core/log-object-errors';
import { OutOfTimeError, runLogPipeline, TIME_RESERVE_MS } from '../../lambdas/core/pipeline';
import type { LogObjectRef } from '../../lambdas/core/ports';
import {
  extentOf,
  ResumableLogSource,
  type ObjectPart,
  type ObjectPartReader,
  type PartStart,
  type ResumeNotice,
} from '../../lambdas/core/resumable-log-source';
import { seedRecords } from '../../local/seed-records';
import { MemoryEventSink } from '../helpers/memory-sinks';

// The decision of a resumable read, against an in-memory object store whose bodies break where a test
// says: from which byte it reopens, of which object, how often, how patiently and within what time.

const REF: LogObjectRef = { bucket: 'logs', key: 'AWSLogs/1/CloudTrail/r/2024/01/01/f.json.gz' };

/** How one answer of the fake store behaves. */
interface Answer {
  /** The body delivers this many bytes, then fails (or ends, with `end`); default all of them. */
  readonly breakAfter?: number;
  readonly end?: boolean;
  /** The request itself fails with this. */
  readonly fail?: Error;
  readonly etag?: string | null;
  /** The store ignores the Range and answers the whole object. */
  readonly ignoreRange?: boolean;
  /** The store answers a different object of this content. */
  readonly content?: Buffer;
}

/** An object store of one object; each openPart takes the next scripted answer (then whole answers). */
class FakeStore implements ObjectPartReader {
  readonly starts: PartStart[] = [];
  released = 0;
  constructor(
    private readonly content: Buffer,
    private readonly answers: Answer[] = [],
    private readonly chunk = 1000,
  ) {}

  async openPart(_ref: LogObjectRef, start: PartStart): Promise<ObjectPart> {
    this.starts.push(start);
    const answer = this.answers.shift() ?? {};
    if (answer.fail) throw answer.fail;
    const content = answer.content ?? this.content;
    const from = answer.ignoreRange ? 0 : start.offset;
    const bytes = content.subarray(from);
    const limit = answer.breakAfter ?? bytes.length;
    const chunk = this.chunk;
    async function* body(): AsyncGenerator<Uint8Array> {
      for (let at = 0; at < Math.min(limit, bytes.length); at += chunk) {
        yield bytes.subarray(at, Math.min(at + chunk, limit));
      }
      if (limit < bytes.length && !answer.end) {
        throw Object.assign(new Error('socket timed out after 30000 ms of inactivity'), {
          name: 'TimeoutError',
        });
      }
    }
    const etag = answer.etag === null ? undefined : (answer.etag ?? '"v1"');
    return {
      body: body(),
      ...(etag !== undefined ? { etag } : {}),
      ...(from > 0
        ? { contentRange: `bytes ${from}-${content.length - 1}/${content.length}` }
        : { contentLength: content.length }),
      release: () => {
        this.released += 1;
      },
    };
  }
}

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

async function caught(run: Promise<unknown>): Promise<Error> {
  const err = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}

function sourceOver(store: FakeStore, sleeps: number[] = [], notices: ResumeNotice[] = []) {
  return new ResumableLogSource(store, {
    sleep: async (ms) => void sleeps.push(ms),
    random: () => 0.5,
    onResume: (_ref, notice) => void notices.push(notice),
  });
}

const CONTENT = randomBytes(10_000);

describe('ResumableLogSource', () => {
  it('reopens a broken body at the byte it stopped, of the same object, and hands out every byte once', async () => {
    // Prepare: the first body breaks after 3,500 bytes, the second after 2,000 more.
    const store = new FakeStore(CONTENT, [{ breakAfter: 3_500 }, { breakAfter: 2_000 }]);
    const sleeps: number[] = [];
    const notices: ResumeNotice[] = [];

    // Act
    const read = await readAll(await sourceOver(store, sleeps, notices).open(REF));

    // Assess
    expect(read.equals(CONTENT)).toBe(true);
    expect(store.starts).toEqual([
      { offset: 0 },
      { offset: 3_500, ifMatch: '"v1"' },
      { offset: 5_500, ifMatch: '"v1"' },
    ]);
    // Each reopen followed a body that delivered bytes: no wait.
    expect(sleeps).toEqual([]);
    expect(notices).toEqual([
      { offset: 3_500, size: 10_000, reopens: 1, reason: expect.stringMatching(/^TimeoutError: socket/) },
      { offset: 5_500, size: 10_000, reopens: 2, reason: expect.stringMatching(/^TimeoutError: socket/) },
    ]);
  });

  it('reopens a body that ended short of the object size', async () => {
    const store = new FakeStore(CONTENT, [{ breakAfter: 4_000, end: true }]);

    const read = await readAll(await sourceOver(store).open(REF));

    expect(read.equals(CONTENT)).toBe(true);
    expect(store.starts[1]).toEqual({ offset: 4_000, ifMatch: '"v1"' });
  });

  it('is done, without a reopen, when the body fails after its last byte', async () => {
    // The idle timeout can fire once every byte is in hand (the reader paused at the very end).
    const store = new FakeStore(CONTENT, [{ breakAfter: 10_000 }]);
    const content = CONTENT;
    const patched: ObjectPartReader = {
      openPart: async (ref, start) => {
        const part = await store.openPart(ref, start);
        async function* failingAfterEnd(): AsyncGenerator<Uint8Array> {
          yield content;
          throw new Error('aborted');
        }
        return { ...part, body: failingAfterEnd() };
      },
    };

    const read = await readAll(await new ResumableLogSource(patched).open(REF));

    expect(read.equals(CONTENT)).toBe(true);
    expect(store.starts).toHaveLength(1);
  });

  it('fails with LogObjectChangedError when the reopened object has another ETag, and reads nothing of it', async () => {
    const store = new FakeStore(CONTENT, [
      { breakAfter: 2_000 },
      { etag: '"v2"', content: randomBytes(10_000) },
    ]);
    const handed: Buffer[] = [];

    const error = await caught(
      (async () => {
        for await (const chunk of await sourceOver(store).open(REF)) handed.push(Buffer.from(chunk));
      })(),
    );

    expect(error).toBeInstanceOf(LogObjectChangedError);
    expect(error).toBeInstanceOf(LogObjectReadError);
    expect(error.message).toBe(
      'the object changed while it was read (its ETag was "v1" when the read began and is "v2" at byte 2000); ' +
        'not joined to what was read: the file must be read again from its start',
    );
    expect(Buffer.concat(handed).equals(CONTENT.subarray(0, 2_000))).toBe(true);
    expect(store.released).toBeGreaterThanOrEqual(2);
  });

  it("passes the store's own changed and not-found answers on at once, without another reopen", async () => {
    for (const fail of [
      new LogObjectChangedError(REF.bucket, REF.key, 'the object changed while it was read (412)'),
      new LogObjectNotFoundError(REF.bucket, REF.key, 'the object does not exist (NoSuchKey)'),
    ]) {
      const store = new FakeStore(CONTENT, [{ breakAfter: 2_000 }, { fail }]);

      const error = await caught(readAll(await sourceOver(store).open(REF)));

      expect(error).toBe(fail);
      expect(store.starts).toHaveLength(2);
    }
  });

  it('retries failed reopens with a growing wait, and gives up after three in a row read nothing', async () => {
    // Prepare: after the first break, two reopen requests fail and the third body breaks at once.
    const store = new FakeStore(CONTENT, [
      { breakAfter: 1_000 },
      { fail: Object.assign(new Error('connect ECONNREFUSED'), { name: 'Error' }) },
      { fail: Object.assign(new Error('read ECONNRESET'), { name: 'Error' }) },
      { breakAfter: 0 },
    ]);
    const sleeps: number[] = [];

    // Act
    const error = await caught(readAll(await sourceOver(store, sleeps).open(REF)));

    // Assess: immediate, then 150 and 300 ms (200 and 400 ms ceilings, jitter in the upper half).
    expect(error).toBeInstanceOf(LogObjectInterruptedError);
    expect(error.message).toBe(
      'the body broke off at byte 1000 of 10000 and 3 reopens in a row read nothing; last: TimeoutError: socket timed out after 30000 ms of inactivity',
    );
    expect(sleeps).toEqual([150, 300]);
    expect(store.starts.slice(1).every((s) => s.offset === 1_000)).toBe(true);
  });

  it('starts counting again once a reopened body delivers bytes', async () => {
    // Two failed reopens, then a body that delivers (resetting the count), then two more failures.
    const fail = new Error('socket hang up');
    const store = new FakeStore(CONTENT, [
      { breakAfter: 1_000 },
      { fail },
      { breakAfter: 1_000 },
      { fail },
      { fail },
    ]);
    const sleeps: number[] = [];

    const read = await readAll(await sourceOver(store, sleeps).open(REF));

    expect(read.equals(CONTENT)).toBe(true);
    expect(sleeps).toEqual([150, 150, 300]);
  });

  it('stops after 20 reopens of one object, even when each made progress', async () => {
    const store = new FakeStore(
      CONTENT,
      Array.from({ length: 30 }, () => ({ breakAfter: 100 })),
    );

    const error = await caught(readAll(await sourceOver(store).open(REF)));

    expect(error.message).toMatch(
      /^the body broke off at byte 2100 of 10000 and is not reopened again after 20 reopens; last: /,
    );
    expect(store.starts).toHaveLength(21);
  });

  it('does not reopen when the time left, after the wait, is under the reserve', async () => {
    // Prepare: a clock standing at 10.1 s: the first reopen (no wait) may go, the second (a wait of 150 ms
    // after a body that read nothing) would leave less than the 10 s reserve.
    const store = new FakeStore(CONTENT, [{ breakAfter: 1_000 }, { breakAfter: 0 }]);
    const sleeps: number[] = [];
    const source = sourceOver(store, sleeps);

    const error = await caught(readAll(await source.open(REF, { remainingMs: () => TIME_RESERVE_MS + 100 })));

    expect(error).toBeInstanceOf(OutOfTimeError);
    expect(error.message).toBe(
      'out of time: 10.1 s left, so the body that broke off at byte 1000 of 10000 is not reopened ' +
        '(TimeoutError: socket timed out after 30000 ms of inactivity)',
    );
    expect(store.starts).toHaveLength(2);
    expect(sleeps).toEqual([]);
  });

  it('does not reopen at all with less than the reserve left', async () => {
    const store = new FakeStore(CONTENT, [{ breakAfter: 1_000 }]);

    const error = await caught(
      readAll(await sourceOver(store).open(REF, { remainingMs: () => TIME_RESERVE_MS - 1 })),
    );

    expect(error).toBeInstanceOf(OutOfTimeError);
    expect(store.starts).toHaveLength(1);
  });

  it('does not reopen an object whose first answer had no ETag, nor a reopen the store answered from byte 0', async () => {
    const noTag = new FakeStore(CONTENT, [{ breakAfter: 1_000, etag: null }]);
    const error = await caught(readAll(await sourceOver(noTag).open(REF)));
    expect(error.message).toMatch(
      /^the body broke off at byte 1000 of 10000 and is not reopened: the first answer had no ETag/,
    );
    expect(noTag.starts).toHaveLength(1);

    const whole = new FakeStore(CONTENT, [{ breakAfter: 1_000 }, { ignoreRange: true }]);
    const ignored = await caught(readAll(await sourceOver(whole).open(REF)));
    expect(ignored.message).toMatch(/the reopen answered from byte 0 \(the store ignored the Range\)/);
  });

  it('lets go of the body when the consumer stops early', async () => {
    const store = new FakeStore(CONTENT);
    for await (const chunk of await sourceOver(store).open(REF)) {
      void chunk;
      break;
    }
    expect(store.released).toBe(1);
  });

  it('reads the extent of a part from Content-Range, or the whole object from its length', () => {
    expect(extentOf({ contentRange: 'bytes 100-999/1000' })).toEqual({ start: 100, size: 1000 });
    expect(extentOf({ contentRange: 'bytes 100-999/*' })).toEqual({ start: 100, size: undefined });
    expect(extentOf({ contentLength: 1000 })).toEqual({ start: 0, size: 1000 });
    expect(extentOf({})).toEqual({ start: 0, size: undefined });
  });
});

describe('runLogPipeline over a resumable source', () => {
  const records = [...seedRecords(), ...seedRecords()].map((s, i) => ({ ...s.record, eventID: `id-${i}` }));
  const gz = gzipSync(JSON.stringify({ Records: records }));

  it('stores the same events when the gzip body breaks in its middle', async () => {
    const whole = new MemoryEventSink();
    const broken = new MemoryEventSink();
    const plain = await runLogPipeline(REF, { source: sourceOver(new FakeStore(gz, [], 97)), sink: whole });

    const resumed = await runLogPipeline(REF, {
      source: sourceOver(
        new FakeStore(gz, [{ breakAfter: Math.floor(gz.length / 3) }, { breakAfter: 50 }], 97),
      ),
      sink: broken,
    });

    expect(resumed).toMatchObject({ status: 'processed', bytesRead: gz.length, recordsRead: records.length });
    expect(resumed.eventsStored).toEqual(plain.eventsStored);
    expect(broken.batches.flat().map((e) => e.eventId)).toEqual(whole.batches.flat().map((e) => e.eventId));
  });

  it("hands the caller's remaining time to the source: a reopen out of time fails the read, naming the file", async () => {
    const store = new FakeStore(gz, [{ breakAfter: 200 }], 97);
    let left = 45_000;
    const sink = new MemoryEventSink();

    const error = await caught(
      runLogPipeline(REF, {
        source: sourceOver(store),
        sink,
        // 25 s left when the file is opened, 5 s when its body breaks.
        remainingMs: () => (left -= 20_000),
      }),
    );

    expect(error.message).toMatch(
      /^s3:\/\/logs\/AWSLogs\/.*f\.json\.gz: cannot read the log file: out of time: 5\.0 s left, so the body that broke off at byte 200 of \d+ is not reopened/,
    );
    expect(store.starts).toHaveLength(1);
  });
});
