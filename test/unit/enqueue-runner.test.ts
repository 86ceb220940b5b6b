import type { QueueEntry, RejectedEntry } from '../../lambdas/adapters/backfill-queue';
import type { ListingUnit } from '../../lambdas/app/backfill-listing';
import { runEnqueue, type BatchSender, type EnqueueDeps } from '../../lambdas/app/enqueue-runner';
import { decodeBackfillBatch } from '../../lambdas/core/backfill-batch';
import { backfillProgress } from '../../lambdas/core/backfill-progress';
import { EnqueueCheckpoint, EnqueueCheckpointMismatchError } from '../../lambdas/core/enqueue-checkpoint';

const NOW = new Date('2026-01-10T00:00:00Z');
const silent = {
  addTotal: () => undefined,
  totalKnown: () => undefined,
  advance: () => undefined,
  log: () => undefined,
};

function unit(id: string, keys: number, sealed = true): ListingUnit {
  return {
    id,
    sealed,
    async *list() {
      for (let i = 0; i < keys; i += 1) yield { key: `${id}k${String(i).padStart(4, '0')}`, size: 100 };
    },
  };
}

/** A queue that keeps every body, and can reject entries (once or always). */
function memoryQueue(reject?: (entry: QueueEntry, call: number) => RejectedEntry | undefined) {
  const bodies: string[] = [];
  let calls = 0;
  const queue: BatchSender & { bodies: string[]; calls: () => number } = {
    bodies,
    calls: () => calls,
    async sendBatch(entries) {
      calls += 1;
      const rejected: RejectedEntry[] = [];
      for (const e of entries) {
        const r = reject?.(e, calls);
        if (r) rejected.push(r);
        else bodies.push(e.body);
      }
      return rejected;
    },
  };
  return queue;
}

function keysIn(bodies: readonly string[]): string[] {
  return bodies.flatMap((b) => decodeBackfillBatch(b).keys);
}

function deps(
  units: ListingUnit[],
  queue: BatchSender,
  checkpoint: EnqueueCheckpoint,
  extra: Partial<EnqueueDeps> = {},
): EnqueueDeps {
  return {
    units,
    inScope: () => true,
    queue,
    checkpoint,
    progress: silent,
    now: () => NOW,
    sleep: async () => undefined,
    ...extra,
  };
}

const options = { bucket: 'org-trail', dryRun: false, concurrency: 2 };

describe('runEnqueue', () => {
  it('sends every key once, 20 a message and 10 messages a call, each message of one unit', async () => {
    const queue = memoryQueue();
    const checkpoint = EnqueueCheckpoint.fresh('f'.repeat(16), 'scope', NOW);
    const report = await runEnqueue(options, deps([unit('a/', 450), unit('b/', 5)], queue, checkpoint));
    expect(report).toMatchObject({
      keys: 455,
      keysSent: 455,
      messagesSent: 23 + 1,
      calls: 3 + 1,
      errors: [],
    });
    expect(keysIn(queue.bodies).sort()).toEqual(
      [...Array(450).keys()]
        .map((i) => `a/k${String(i).padStart(4, '0')}`)
        .concat([...Array(5).keys()].map((i) => `b/k000${i}`))
        .sort(),
    );
    expect(new Set(queue.bodies.map((b) => decodeBackfillBatch(b).runId))).toEqual(
      new Set([checkpoint.runId]),
    );
    expect(checkpoint.isUnitDone('a/') && checkpoint.isUnitDone('b/')).toBe(true);
  });

  it('resumes after an interruption without sending again what was accepted', async () => {
    const queue = memoryQueue();
    const stop = new AbortController();
    const interrupting: BatchSender = {
      async sendBatch(entries) {
        const rejected = await queue.sendBatch(entries);
        if (queue.calls() === 2) stop.abort();
        return rejected;
      },
    };
    const checkpoint = EnqueueCheckpoint.fresh('f'.repeat(16), 'scope', NOW);
    const units = [unit('a/', 1000)];
    const first = await runEnqueue(
      { ...options, concurrency: 1 },
      deps(units, interrupting, checkpoint, { signal: stop.signal }),
    );
    expect(first.interrupted).toBe(true);
    expect(first.keysSent).toBe(400);

    const stored = checkpoint.toData(NOW);
    const resumed = EnqueueCheckpoint.restore(JSON.parse(JSON.stringify(stored)), 'f'.repeat(16), 'cp.json');
    const second = await runEnqueue(options, deps(units, queue, resumed));
    expect(second).toMatchObject({ keysAlreadySent: 400, keysSent: 600, interrupted: false });
    const keys = keysIn(queue.bodies);
    expect(keys.length).toBe(1000);
    expect(new Set(keys).size).toBe(1000);
    expect(resumed.runId).toBe(checkpoint.runId);
    expect(resumed.totals).toEqual({ keys: 1000, bytes: 100_000, messages: 50 });
  });

  it('lists an unsealed unit (a day still delivering) from its start again, and never marks it done', async () => {
    const checkpoint = EnqueueCheckpoint.fresh('f'.repeat(16), 'scope', NOW);
    checkpoint.recordSent('today/', 20, 20, 2000, 1);
    const queue = memoryQueue();
    const report = await runEnqueue(options, deps([unit('today/', 30, false)], queue, checkpoint));
    expect(report.keysSent).toBe(30);
    expect(checkpoint.isUnitDone('today/')).toBe(false);
  });

  it('retries entries the queue rejected for its own reasons, then stops on one it refuses for good', async () => {
    const flaky = memoryQueue((e, call) =>
      call === 1 && e.id.endsWith('1')
        ? { id: e.id, code: 'InternalError', message: 'try again', senderFault: false }
        : undefined,
    );
    const ok = await runEnqueue(
      options,
      deps([unit('a/', 40)], flaky, EnqueueCheckpoint.fresh('f'.repeat(16), 's', NOW)),
    );
    expect(ok).toMatchObject({ keysSent: 40, calls: 2, errors: [] });
    expect(keysIn(flaky.bodies).length).toBe(40);

    const refusing = memoryQueue(() => ({
      id: 'x',
      code: 'InvalidMessageContents',
      message: 'bad',
      senderFault: true,
    }));
    const checkpoint = EnqueueCheckpoint.fresh('f'.repeat(16), 's', NOW);
    const failed = await runEnqueue(options, deps([unit('a/', 40)], refusing, checkpoint));
    expect(failed.errors).toEqual([
      { where: 'a/', message: 'a/: the queue refused 2 of 2 messages (InvalidMessageContents: bad)' },
    ]);
    expect(failed.keysSent).toBe(0);
    expect(checkpoint.isUnitDone('a/')).toBe(false);
  });

  it('a dry run counts what is in scope and sends nothing; empty and out-of-scope objects are left out', async () => {
    const queue = memoryQueue();
    const units: ListingUnit[] = [
      {
        id: 'a/',
        sealed: true,
        async *list() {
          yield { key: 'a/in', size: 10 };
          yield { key: 'a/empty', size: 0 };
          yield { key: 'a/digest', size: 10 };
        },
      },
    ];
    const report = await runEnqueue(
      { ...options, dryRun: true },
      deps(units, queue, EnqueueCheckpoint.fresh('f'.repeat(16), 's', NOW), {
        inScope: (k) => k !== 'a/digest',
      }),
    );
    expect(report).toMatchObject({ keys: 1, bytes: 10, keysOutOfScope: 2, keysSent: 0 });
    expect(queue.calls()).toBe(0);
  });

  it('refuses the checkpoint of another backfill', () => {
    const data = EnqueueCheckpoint.fresh('a'.repeat(16), 'other scope', NOW).toData(NOW);
    expect(() => EnqueueCheckpoint.restore(data, 'b'.repeat(16), 'cp.json')).toThrow(
      EnqueueCheckpointMismatchError,
    );
  });
});

describe('backfillProgress', () => {
  const at = (s: number) => new Date(NOW.getTime() + s * 1000);

  it('rate and ETA from two readings; done and objects from the enqueue totals', () => {
    const p = backfillProgress(
      { at: at(0), waiting: 90, inFlight: 10, deadLettered: 1 },
      { at: at(10), waiting: 70, inFlight: 10, deadLettered: 1 },
      { messages: 200, keys: 3900 },
    );
    expect(p).toMatchObject({
      remainingMessages: 80,
      failedMessages: 1,
      doneMessages: 119,
      messagesPerSecond: 2,
      etaSeconds: 40,
      drained: false,
    });
    expect(p.keysPerMessage).toBe(19.5);
  });

  it('one reading: no rate; without totals objects are an upper bound of 20 a message', () => {
    const p = backfillProgress({ at: at(0), waiting: 0, inFlight: 0 }, undefined);
    expect(p).toMatchObject({
      remainingMessages: 0,
      drained: true,
      keysPerMessage: 20,
      keysPerMessageKnown: false,
    });
    expect(p.messagesPerSecond).toBeUndefined();
  });
});
