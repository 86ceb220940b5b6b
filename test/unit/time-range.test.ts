import fc from 'fast-check';
import {
  dayPartitions,
  isoSecond,
  parseDuration,
  parseInstant,
  sortKeyBounds,
  utcDays,
} from '../../lambdas/core/time-range';

describe('parseDuration', () => {
  it.each([
    ['30m', 30 * 60_000],
    ['24h', 24 * 3_600_000],
    ['7d', 7 * 86_400_000],
    ['2w', 14 * 86_400_000],
    [' 90d ', 90 * 86_400_000],
  ])('reads %s', (text, ms) => {
    // Act + Assess
    expect(parseDuration(text)).toEqual({ ok: true, value: ms });
  });

  it.each(['', '24', 'h', '1y', '-1d', '1.5h', '0d', '24 h', '1234567d'])(
    'refuses %p with a message naming it',
    (text) => {
      const parsed = parseDuration(text);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.message).toContain(`'${text}'`);
    },
  );
});

describe('parseInstant', () => {
  it.each([
    ['2017-10-11', '2017-10-11T00:00:00.000Z'],
    ['2017-10-11T22:00Z', '2017-10-11T22:00:00.000Z'],
    ['2017-10-11T22:00:05Z', '2017-10-11T22:00:05.000Z'],
    ['2017-10-11T22:00:05.250Z', '2017-10-11T22:00:05.250Z'],
    ['2017-10-12T00:30:00+02:00', '2017-10-11T22:30:00.000Z'],
  ])('reads %s as %s', (text, iso) => {
    const parsed = parseInstant(text);
    expect(parsed.ok && parsed.value.toISOString()).toBe(iso);
  });

  it.each([
    ['2017-10-11', '2017-10-11T23:59:59.999Z'],
    ['2017-10-11T22:00Z', '2017-10-11T22:00:00.000Z'],
  ])('reads %s as the end of a range as %s', (text, iso) => {
    const parsed = parseInstant(text, 'end');
    expect(parsed.ok && parsed.value.toISOString()).toBe(iso);
  });

  it.each(['yesterday', '2017-10-11T22:00:00', '2017/10/11', '2024-02-31', '2017-13-01', '11-10-2017', ''])(
    'refuses %p',
    (text) => {
      expect(parseInstant(text).ok).toBe(false);
    },
  );
});

describe('utcDays and dayPartitions', () => {
  it('lists every UTC day a range touches, across a month and year end', () => {
    // Prepare
    const range = { from: new Date('2017-12-30T23:00:00Z'), to: new Date('2018-01-02T00:00:00Z') };
    // Act
    const days = utcDays(range);
    // Assess
    expect(days).toEqual(['2017-12-30', '2017-12-31', '2018-01-01', '2018-01-02']);
  });

  it('gives the issue example its single-partition bounds', () => {
    const range = { from: new Date('2017-10-11T22:00:00Z'), to: new Date('2017-10-11T23:00:00Z') };
    expect(dayPartitions(range)).toEqual([
      { day: '2017-10-11', bounds: { lower: '2017-10-11T22:00:00', upper: '2017-10-11T23:00:00~' } },
    ]);
  });

  it('clips only the first and last day of a multi-day range', () => {
    const range = { from: new Date('2017-10-11T22:00:00Z'), to: new Date('2017-10-13T01:02:03Z') };
    expect(dayPartitions(range)).toEqual([
      { day: '2017-10-11', bounds: { lower: '2017-10-11T22:00:00', upper: '2017-10-11T23:59:59~' } },
      { day: '2017-10-12', bounds: { lower: '2017-10-12T00:00:00', upper: '2017-10-12T23:59:59~' } },
      { day: '2017-10-13', bounds: { lower: '2017-10-13T00:00:00', upper: '2017-10-13T01:02:03~' } },
    ]);
  });

  it('covers a 45-day range with 46 partitions', () => {
    const range = { from: new Date('2017-01-01T12:00:00Z'), to: new Date('2017-02-15T12:00:00Z') };
    const parts = dayPartitions(range);
    expect(parts).toHaveLength(46);
    expect(parts[0]?.day).toBe('2017-01-01');
    expect(parts[45]?.day).toBe('2017-02-15');
  });
});

describe('sort-key bounds', () => {
  // Any event time from 2000 to 2100, at second or millisecond precision, as CloudTrail could write it.
  const instant = fc.integer({ min: 946_684_800_000, max: 4_102_444_800_000 }).map((ms) => new Date(ms));
  // Offsets of a few days, and of a couple of seconds so the same-second edges are hit often.
  const nearby = fc.oneof(
    fc.integer({ min: -3 * 86_400_000, max: 3 * 86_400_000 }),
    fc.integer({ min: -2000, max: 2000 }),
  );
  const eventTimeText = (d: Date, withMillis: boolean) => (withMillis ? d.toISOString() : `${isoSecond(d)}Z`);

  it('select exactly the events whose second lies within the range, on the day of the event', () => {
    fc.assert(
      fc.property(instant, nearby, nearby, fc.boolean(), fc.uuid(), (t, offsetA, offsetB, withMillis, id) => {
        // Prepare: a range near the event (within three days either side) so both sides of each bound get hit.
        const a = t.getTime() + offsetA;
        const b = t.getTime() + offsetB;
        const [from, to] = a <= b ? [new Date(a), new Date(b)] : [new Date(b), new Date(a)];
        const sk = `${eventTimeText(t, withMillis)}#${id}`;
        const second = Math.floor(t.getTime() / 1000);
        const inRange =
          second >= Math.floor(from.getTime() / 1000) && second <= Math.floor(to.getTime() / 1000);
        // Act
        const whole = sortKeyBounds({ from, to });
        const day = dayPartitions({ from, to }).find((p) => p.day === t.toISOString().slice(0, 10));
        // Assess
        expect(sk >= whole.lower && sk <= whole.upper).toBe(inRange);
        const inDay = day !== undefined && sk >= day.bounds.lower && sk <= day.bounds.upper;
        expect(inDay).toBe(inRange);
      }),
      { numRuns: 500 },
    );
  });
});
