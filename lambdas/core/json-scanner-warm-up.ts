import { RecordsScanner } from './json-records-scanner';

let warmedUp = false;

/**
 * Runs a small synthetic log through the scanner once per process, cut at every possible offset, so that
 * every branch of its hot loop (strings split across chunks, escapes, numbers, literals, whitespace) has run
 * before V8 optimizes it. Without this, each branch first met in a large file throws the optimized code
 * away, and recompiling the big loop costs tens of milliseconds each time (measured: the first 30 MB of a
 * file went at a third of the steady speed). Costs a few milliseconds, once.
 */
export function warmUpScanner(): void {
  if (warmedUp) return;
  warmedUp = true;
  const bytes = Buffer.from(warmUpDocument(), 'utf8');
  // Small chunks of every size put chunk ends everywhere; large ones let every token end where it started.
  for (const maxChunk of [23, 1024]) {
    const scanner = new RecordsScanner({
      wanted: new Set(['glue.amazonaws.com']),
      counters: { recordsRead: 0, recordsMatched: 0, recordsSkipped: {} },
    });
    let at = 0;
    for (let size = 1; at < bytes.length; size = (size % maxChunk) + 1) {
      scanner.push(bytes.subarray(at, at + size));
      at += size;
    }
    scanner.finish();
  }
}

/** A log file with every construct the scanner distinguishes, twice in different layouts. */
function warmUpDocument(): string {
  const long = 'a "quoted" \\ backslash and a long value past the short-string loop \u00e9\u20ac\ud83d\ude00';
  const record = (source: string, k: number) => ({
    eventVersion: '1.09',
    userIdentity: { type: 'AssumedRole', arn: `arn:aws:sts::123456789012:assumed-role/r/${k}`, mfa: false },
    eventSource: source,
    requestParameters: { n: k, f: -1.5e-3, e: 2e10, z: 0, t: true, u: null, list: ['x', 1, [], {}], long },
    responseElements: null,
    readOnly: k % 2 === 0,
  });
  const records = [
    record('glue.amazonaws.com', 1),
    record('ec2.amazonaws.com', 2),
    record(long, 3),
    { eventSource: 7 },
    { eventName: 'NoSource' },
    'text',
    42,
    null,
    [1],
  ];
  // Compact and pretty-printed records, and escaped spellings of the keys and values that matter.
  const elements = [...records, ...records].map((r, k) =>
    k < records.length ? JSON.stringify(r) : JSON.stringify(r, null, 1),
  );
  elements.push('{"even\\u0074Source":"glue.\\u0061mazonaws.com"}');
  const around = JSON.stringify({ Records: [record('glue.amazonaws.com', 4)] }, null, 1);
  return `{"before":${around},"Records":[${elements.join(',')}],"after":${JSON.stringify(records)}}`;
}
