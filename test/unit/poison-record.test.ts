// Issue 15 case 5: a record nested thousands of levels deep in requestParameters threw "Maximum call
// stack size exceeded" while its item was built, failing its whole file on every retry. It must be
// stored clipped and flagged, and the rest of the file stored and alerted as usual.
import { gzipSync } from 'node:zlib';
import { renderAlert } from '../../lambdas/core/alert-fit';
import { fromEventItem, toEventItem } from '../../lambdas/core/event-item';
import { normalizeRecord } from '../../lambdas/core/normalize';
import type { NormalizedEvent } from '../../lambdas/core/normalized-event';
import { clipPayloadDepth, DEPTH_CUT_MARKER, MAX_PAYLOAD_DEPTH } from '../../lambdas/core/payload-depth';
import { runLogPipeline } from '../../lambdas/core/pipeline';
import type { AlertOutcome, AlertSink, EventSink, FileAlerts, LogObjectRef } from '../../lambdas/core/ports';
import { allAlerted, listAlertSink } from '../helpers/memory-sinks';

const REF = { bucket: 'logs', key: 'AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/01/f.json.gz' };
const ITEM_OPTIONS = { retentionDays: 365, payloadMaxBytes: 32_768, ingestedAt: new Date(0) };

/** JSON text of `{"a":{"a":...1...}}` nested `depth` objects deep (JSON.stringify itself overflows). */
function nestedJson(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

function recordJson(id: string, failed: boolean, requestParameters: string): string {
  const head = {
    eventSource: 'glue.amazonaws.com',
    eventName: 'StartJobRun',
    eventTime: '2024-01-01T00:00:00Z',
    eventID: id,
    awsRegion: 'us-east-1',
    recipientAccountId: '123456789012',
    ...(failed ? { errorCode: 'AccessDenied' } : {}),
  };
  return `${JSON.stringify(head).slice(0, -1)},"requestParameters":${requestParameters}}`;
}

function source(text: string) {
  return {
    async open() {
      return (async function* () {
        yield gzipSync(text);
      })();
    },
  };
}

/** Builds each event's item as the DynamoDB store does, so a payload it cannot serialize fails here too. */
class ItemBuildingSink implements EventSink {
  readonly items: ReturnType<typeof toEventItem>[] = [];
  async putEvents(events: readonly NormalizedEvent[], ref: LogObjectRef): Promise<void> {
    for (const event of events) this.items.push(toEventItem(event, ref, ITEM_OPTIONS));
  }
}

/** Renders the alert as the SNS alerter does (the JSON body carries the failed events). */
class RenderingAlerts implements AlertSink {
  readonly messages: string[] = [];
  private readonly sink = listAlertSink((failures, ref) => this.alertFile(failures, ref));
  begin(ref: LogObjectRef): FileAlerts {
    return this.sink.begin(ref);
  }
  private async alertFile(failures: readonly NormalizedEvent[], ref: LogObjectRef): Promise<AlertOutcome> {
    const rendered = renderAlert({
      service: 'glue',
      source: ref,
      events: failures,
      suppressedInFile: 0,
      earlierSuppressed: [],
      windowMinutes: 60,
    });
    this.messages.push(JSON.stringify(rendered));
    return allAlerted(failures);
  }
}

describe('a record nested too deep to store whole (issue 15, case 5)', () => {
  it('is stored clipped and flagged, and the rest of its file is stored and alerted', async () => {
    // Prepare: a valid record, the poison one (5,000 levels, failed), and a valid failed one after it.
    const text = `{"Records":[${[
      recordJson('before', false, '{"jobName":"etl"}'),
      recordJson('poison', true, nestedJson(5_000)),
      recordJson('after', true, '{"jobName":"etl"}'),
    ].join(',')}]}`;
    const sink = new ItemBuildingSink();
    const alerts = new RenderingAlerts();

    // Act
    const summary = await runLogPipeline(REF, { source: source(text), sink, alerts });

    // Assess: all three stored, only the poison one flagged; both failures alerted.
    expect(summary.eventsStored).toEqual({ glue: 3 });
    expect(summary.failedCalls).toBe(2);
    expect(sink.items.map((i) => [i.sk.split('#')[1], i.payloadsClipped])).toEqual([
      ['before', undefined],
      ['poison', true],
      ['after', undefined],
    ]);
    expect(alerts.messages).toHaveLength(1);
    const poison = fromEventItem(sink.items[1] as unknown as Record<string, unknown>);
    expect(poison.payloadsClipped).toBe(true);
    // The first MAX_PAYLOAD_DEPTH levels are kept; the level below is the marker.
    let node: unknown = poison.requestParameters;
    for (let level = 1; level <= MAX_PAYLOAD_DEPTH; level++) node = (node as { a: unknown }).a;
    expect(node).toBe(DEPTH_CUT_MARKER);
  });

  it('keeps a payload at the depth limit whole and unflagged, and clips one level more', () => {
    // Prepare: payloads exactly MAX_PAYLOAD_DEPTH deep and one deeper.
    const atLimit = JSON.parse(nestedJson(MAX_PAYLOAD_DEPTH)) as unknown;
    const overLimit = JSON.parse(nestedJson(MAX_PAYLOAD_DEPTH + 1)) as unknown;

    // Act
    const kept = clipPayloadDepth(atLimit);
    const cut = clipPayloadDepth(overLimit);

    // Assess: the first is the same object; the second is a copy whose innermost object became the marker.
    expect(kept).toEqual({ value: atLimit, clipped: false });
    expect(kept.value).toBe(atLimit);
    expect(cut.clipped).toBe(true);
    expect(JSON.stringify(cut.value)).toBe(
      '{"a":'.repeat(MAX_PAYLOAD_DEPTH) + JSON.stringify(DEPTH_CUT_MARKER) + '}'.repeat(MAX_PAYLOAD_DEPTH),
    );
  });

  it('clips deep arrays too and keeps a logged `__proto__` key as a plain key', () => {
    // Prepare: an array nest deeper than the limit beside a `__proto__` key, in responseElements.
    const deepArrays = '['.repeat(MAX_PAYLOAD_DEPTH + 10) + ']'.repeat(MAX_PAYLOAD_DEPTH + 10);
    const raw = JSON.parse(
      recordJson('arrays', false, '{}').replace(
        '"requestParameters":{}',
        `"responseElements":{"__proto__":{"polluted":true},"list":${deepArrays}}`,
      ),
    ) as unknown;

    // Act
    const result = normalizeRecord(raw);

    // Assess
    if (!result.ok) throw new Error(result.message);
    expect(result.event.payloadsClipped).toBe(true);
    const response = result.event.responseElements as Record<string, unknown>;
    expect(Object.keys(response)).toEqual(['__proto__', 'list']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(response).length).toBeLessThan(400);
  });
});
