/** Merges async streams that are each sorted by `key` into one sorted stream (ascending or descending). */
export async function* mergeSorted<T>(
  streams: AsyncIterator<T>[],
  key: (value: T) => string,
  descending: boolean,
): AsyncGenerator<T> {
  const heads = await Promise.all(streams.map((s) => s.next()));
  try {
    for (;;) {
      let best = -1;
      let bestKey = '';
      heads.forEach((head, i) => {
        if (head.done) return;
        const k = key(head.value);
        if (best === -1 || (descending ? k > bestKey : k < bestKey)) {
          best = i;
          bestKey = k;
        }
      });
      const winner = heads[best];
      const stream = streams[best];
      if (best === -1 || !winner || winner.done || !stream) return;
      yield winner.value;
      heads[best] = await stream.next();
    }
  } finally {
    // The consumer may stop early (a limit): let every stream release what it holds.
    await Promise.all(streams.map((s) => s.return?.()));
  }
}
