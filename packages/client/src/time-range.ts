/** A closed time range [from, to], compared at whole-second precision (CloudTrail's precision). */
export interface TimeRange {
  readonly from: Date;
  readonly to: Date;
}

/** Result of parsing user input: the value, or a message saying what was expected. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** Sort-key bounds for `sk BETWEEN :lower AND :upper`. */
export interface SortKeyBounds {
  readonly lower: string;
  readonly upper: string;
}

/** One UTC day partition of a range with the sort-key bounds that cut it to the range. */
export interface DayPartition {
  /** `YYYY-MM-DD` */
  readonly day: string;
  readonly bounds: SortKeyBounds;
}

const DAY_MS = 86_400_000;
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS };
// `~` sorts after every character of an ISO time and of `#<eventId>`, so `<second>~` closes a second.
const SORT_KEY_HIGH = '~';

/** Parses a duration such as `90m`, `24h`, `7d` or `2w` into milliseconds. */
export function parseDuration(text: string): Parsed<number> {
  const match = /^(\d{1,6})([mhdw])$/.exec(text.trim());
  if (!match) return { ok: false, message: `'${text}' is not a duration like 30m, 24h, 7d or 2w` };
  const amount = Number(match[1]);
  if (amount === 0) return { ok: false, message: `'${text}' is an empty duration` };
  return { ok: true, value: amount * (UNIT_MS[match[2] ?? ''] ?? 0) };
}

/**
 * Parses an instant: `YYYY-MM-DD` or an ISO-8601 date-time with `Z` or an offset. A bare day is the
 * start of that UTC day, or with `edge: 'end'` its last millisecond, so a closed range `--to DAY`
 * includes the whole day. A date-time without zone is refused: it would silently depend on the
 * machine's time zone.
 */
export function parseInstant(text: string, edge: 'start' | 'end' = 'start'): Parsed<Date> {
  const trimmed = text.trim();
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(trimmed);
  const dateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(trimmed);
  if (!dateOnly && !dateTime) {
    return {
      ok: false,
      message: `'${text}' is not a date (YYYY-MM-DD) or an ISO-8601 time with Z or an offset`,
    };
  }
  const ms = Date.parse(dateOnly ? `${trimmed}T${edge === 'end' ? '23:59:59.999' : '00:00:00'}Z` : trimmed);
  // Date.parse rolls 2024-02-31 over to March: compare the date part back to catch impossible dates.
  if (Number.isNaN(ms) || (dateOnly && new Date(ms).toISOString().slice(0, 10) !== trimmed)) {
    return { ok: false, message: `'${text}' is not a valid date` };
  }
  return { ok: true, value: new Date(ms) };
}

/** `YYYY-MM-DDTHH:MM:SS` of an instant in UTC (the sort-key prefix of that second). */
export function isoSecond(instant: Date): string {
  return instant.toISOString().slice(0, 19);
}

/** Sort-key bounds of a whole range: every `<eventTime>#<eventId>` whose time is within [from, to]. */
export function sortKeyBounds(range: TimeRange): SortKeyBounds {
  return { lower: isoSecond(range.from), upper: isoSecond(range.to) + SORT_KEY_HIGH };
}

/** UTC days (`YYYY-MM-DD`) the range touches, oldest first. */
export function utcDays(range: TimeRange): string[] {
  const days: string[] = [];
  const last = Math.floor(range.to.getTime() / DAY_MS);
  for (let d = Math.floor(range.from.getTime() / DAY_MS); d <= last; d++) {
    days.push(new Date(d * DAY_MS).toISOString().slice(0, 10));
  }
  return days;
}

/** The day partitions of a range, oldest first, each with bounds clipped to the range. */
export function dayPartitions(range: TimeRange): DayPartition[] {
  const whole = sortKeyBounds(range);
  return utcDays(range).map((day) => {
    const dayLower = `${day}T00:00:00`;
    const dayUpper = `${day}T23:59:59${SORT_KEY_HIGH}`;
    return {
      day,
      bounds: {
        lower: whole.lower > dayLower ? whole.lower : dayLower,
        upper: whole.upper < dayUpper ? whole.upper : dayUpper,
      },
    };
  });
}

/** Days spanned by a range, counting partial days (what a day fan-out will query). */
export function dayCount(range: TimeRange): number {
  return utcDays(range).length;
}
