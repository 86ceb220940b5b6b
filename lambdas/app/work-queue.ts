/**
 * Bounded work for operations runs: a queue whose producer waits while it is full, and a loop that
 * runs a few tasks at once, so a run over a huge range keeps both memory and concurrency bounded.
 */

/**
 * A queue of work that workers wait on; closed once the listing is complete. Pushing waits while
 * `highWater` items are queued, so the listing of a huge range cannot hold every key in memory.
 */
export class WorkQueue<T> {
  private items: T[] = [];
  private head = 0;
  private readonly takers: ((item: T | undefined) => void)[] = [];
  private readonly pushers: (() => void)[] = [];
  private closed = false;

  constructor(private readonly highWater: number) {}

  /** Adds an item; resolves once there is room (or the queue was closed, dropping the item). */
  async push(item: T): Promise<void> {
    while (!this.closed && this.size >= this.highWater) {
      await new Promise<void>((resolve) => this.pushers.push(resolve));
    }
    if (this.closed) return;
    const taker = this.takers.shift();
    if (taker) taker(item);
    else this.items.push(item);
  }

  /** No more items will come: waiting takers get undefined, waiting pushers return. */
  close(): void {
    this.closed = true;
    for (const taker of this.takers.splice(0)) taker(undefined);
    for (const pusher of this.pushers.splice(0)) pusher();
  }

  /** The next item, or undefined once closed and empty. */
  take(): Promise<T | undefined> {
    if (this.size > 0) {
      const item = this.items[this.head] as T;
      this.head += 1;
      // Compact now and then instead of shift(), which copies the whole array each time.
      if (this.head >= 1024 && this.head * 2 >= this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      this.pushers.shift()?.();
      return Promise.resolve(item);
    }
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.takers.push(resolve));
  }

  private get size(): number {
    return this.items.length - this.head;
  }
}

/** Runs `fn` over items with at most `limit` at once, in order of start. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, () => worker()));
}
