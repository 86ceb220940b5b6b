// CloudTrail's times, checked and normalized: the record check, the schema and the event all ask
// (kept apart from cloudtrail-record.ts so the schema's module can use it without importing back).

const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$/;

/**
 * Normalizes a CloudTrail time to ISO-8601 UTC ending in `Z`, or returns undefined when it is not a
 * real time. Whole seconds keep CloudTrail's own form (`2017-05-16T22:00:58Z`); fractions keep milliseconds.
 */
export function normalizeEventTime(value: string): string | undefined {
  // Each record's time is asked for twice (the record check, then the event): the second is the first's answer.
  if (value === lastTime) return lastNormalized;
  lastNormalized = normalizeTime(value);
  lastTime = value;
  return lastNormalized;
}

let lastTime: string | undefined;
let lastNormalized: string | undefined;

function normalizeTime(value: string): string | undefined {
  // CloudTrail writes every eventTime in this one form; a check of its 20 characters is about ten times
  // cheaper than the regular expression and the Date round trips the other forms need.
  if (value.length === 20 && value.charCodeAt(10) === 0x54 && value.charCodeAt(19) === 0x5a) {
    const plain = checkPlainUtcTime(value);
    if (plain !== NOT_PLAIN) return plain;
  }
  return normalizeAnyIsoTime(value);
}

const NOT_PLAIN = null;
const DIGIT_AT = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** `YYYY-MM-DDTHH:MM:SSZ`: the value itself when it is a real time, undefined when not, NOT_PLAIN for other forms. */
function checkPlainUtcTime(value: string): string | undefined | typeof NOT_PLAIN {
  for (const at of DIGIT_AT) {
    const c = value.charCodeAt(at);
    if (c < 0x30 || c > 0x39) return NOT_PLAIN;
  }
  if (
    value.charCodeAt(4) !== 0x2d ||
    value.charCodeAt(7) !== 0x2d ||
    value.charCodeAt(13) !== 0x3a ||
    value.charCodeAt(16) !== 0x3a
  ) {
    return NOT_PLAIN;
  }
  const year = twoDigits(value, 0) * 100 + twoDigits(value, 2);
  const month = twoDigits(value, 5);
  const day = twoDigits(value, 8);
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    twoDigits(value, 11) > 23 ||
    twoDigits(value, 14) > 59 ||
    twoDigits(value, 17) > 59
  ) {
    return undefined;
  }
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
  return day <= days ? value : undefined;
}

/** The number of the two digits at `at` (checked to be digits). */
function twoDigits(value: string, at: number): number {
  return (value.charCodeAt(at) - 0x30) * 10 + value.charCodeAt(at + 1) - 0x30;
}

/** normalizeEventTime's general path: every ISO-8601 form it accepts (offsets, fractions, a space or `t`). */
export function normalizeAnyIsoTime(value: string): string | undefined {
  const m = ISO_TIME.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, , sign, oh, om] = m;
  const fields = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
  const [year, month, day, hour, minute, second] = fields;
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  if (sign && (Number(oh) > 23 || Number(om) > 59)) return undefined;
  const millis = frac ? Math.floor(Number(`0.${frac}`) * 1000) : 0;
  // setUTCFullYear, unlike Date.UTC, takes years below 100 literally; it rolls 31 February over into
  // March, so reading the date back catches days the month does not have.
  const local = new Date(0);
  local.setUTCFullYear(year, month - 1, day);
  local.setUTCHours(hour, minute, second, millis);
  if (local.getUTCFullYear() !== year || local.getUTCMonth() !== month - 1 || local.getUTCDate() !== day) {
    return undefined;
  }
  // No offset means UTC: CloudTrail writes every time in UTC, and a local-time reading would depend on the host.
  const offsetMinutes = sign ? (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om)) : 0;
  const epoch = local.getTime() - offsetMinutes * 60_000;
  const iso = new Date(epoch).toISOString();
  if (iso.startsWith('-') || iso.startsWith('+')) return undefined;
  return millis === 0 ? `${iso.slice(0, 19)}Z` : iso;
}
