// readLogEvents: the streaming reader and normalizeRecord together, with one set of counters.
import { gzipSync } from 'node:zlib';
import { LogFileError } from '../../lambdas/core/errors';
import { newLogStats, readLogEvents } from '../../lambdas/core/log-events';
import type { NormalizedEvent } from '../../lambdas/core/normalized-event';
import { seedRecords } from '../../local/seed-records';

async function* chunks(bytes: Buffer, size = 64): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const S3_RECORD = {
  eventSource: 's3.amazonaws.com',
  eventName: 'GetObject',
  eventTime: '2024-01-01T00:00:00Z',
  eventID: 's3-1',
};
const BAD_TIME = {
  eventSource: 'glue.amazonaws.com',
  eventName: 'GetJob',
  eventTime: 'soon',
  eventID: 'g-1',
};
const NO_ID = {
  eventSource: 'athena.amazonaws.com',
  eventName: 'GetWorkGroup',
  eventTime: '2024-01-01T00:00:00Z',
};

describe('readLogEvents', () => {
  it('yields the seed events and counts every skipped record under its reason', async () => {
    // Prepare
    const seeds = seedRecords().map((s) => s.record);
    const file = gzipSync(JSON.stringify({ Records: [S3_RECORD, ...seeds, BAD_TIME, NO_ID] }));
    const stats = newLogStats();
    const skips: string[] = [];
    // Act
    const events: NormalizedEvent[] = [];
    for await (const e of readLogEvents(chunks(file), stats, {
      onSkip: (reason, message) => skips.push(`${reason}: ${message}`),
    }))
      events.push(e);
    // Assess
    expect(events.map((e) => e.eventId)).toEqual(seeds.map((r) => r.eventID));
    expect(stats.recordsRead).toBe(10);
    expect(stats.eventsKept).toBe(7);
    expect(stats.recordsSkipped).toEqual({ 'other-service': 1, 'invalid-time': 1, 'missing-field': 1 });
    expect(skips).toEqual([
      'invalid-time: eventTime "soon" is not a time',
      'missing-field: eventID is missing',
    ]);
  });

  it('adds to the same counters across files', async () => {
    // Prepare
    const one = Buffer.from(JSON.stringify({ Records: [seedRecords()[0]!.record] }));
    const stats = newLogStats();
    // Act
    const kept: NormalizedEvent[] = [];
    for (let i = 0; i < 2; i++) for await (const e of readLogEvents(chunks(one), stats)) kept.push(e);
    // Assess
    expect(stats.recordsRead).toBe(2);
    expect(stats.eventsKept).toBe(2);
    expect(kept).toHaveLength(2);
  });

  it('throws the reader’s LogFileError for a broken file, after the events before the damage', async () => {
    // Prepare
    const seeds = seedRecords().map((s) => s.record);
    const whole = JSON.stringify({ Records: seeds });
    const cut = Buffer.from(whole.slice(0, whole.indexOf(String(seeds[2]!.eventID)) - 20));
    const stats = newLogStats();
    const events: NormalizedEvent[] = [];
    // Act
    const reading = (async () => {
      for await (const e of readLogEvents(chunks(cut), stats)) events.push(e);
    })();
    // Assess
    await expect(reading).rejects.toBeInstanceOf(LogFileError);
    expect(events).toHaveLength(2);
    expect(stats.eventsKept).toBe(2);
  });
});
