import type { ObjectSkipReason } from './ports';

/** Where a CloudTrail log object sits, read from its key. */
export interface CloudTrailKeyLayout {
  /** Everything before `AWSLogs/` (the trail's S3 key prefix plus `/`), '' when none. */
  readonly prefix: string;
  /** The organization id of an organization trail (`o-...`), absent for an account trail. */
  readonly orgId?: string;
  readonly accountId: string;
  readonly region: string;
  /** The delivery day, `YYYY-MM-DD`. */
  readonly date: string;
  /** The last key segment, e.g. `111122223333_CloudTrail_us-east-1_20240101T0005Z_abc.json.gz`. */
  readonly fileName: string;
  /**
   * When CloudTrail wrote the file, from the timestamp in its standard file name (minute precision);
   * absent for other names. The same for every copy and re-upload of the file.
   */
  readonly deliveredAt?: Date;
}

/** Result of classifyLogKey: a CloudTrail log file's layout, or why the object is not one. */
export type LogKeyClass =
  | ({ readonly ok: true } & CloudTrailKeyLayout)
  | { readonly ok: false; readonly reason: ObjectSkipReason; readonly message: string };

// prefix? AWSLogs/ (o-id/)? account/ CloudTrail/ region/ YYYY/MM/DD/ file. No segment of the prefix is
// `AWSLogs`: in `AWSLogs/<a>/AWSLogs/<b>/CloudTrail/...` the account is ambiguous, and whoever may write
// under `AWSLogs/<a>/` could pass files off as account <b>'s.
const LOG_KEY =
  /^(?<prefix>(?:(?!AWSLogs\/)[^/]*\/)*)AWSLogs\/(?:(?<orgId>o-[a-z0-9]{10,32})\/)?(?<account>\d{12})\/CloudTrail\/(?<region>[a-z]{2}(?:-[a-z]+)+-\d{1,2})\/(?<year>\d{4})\/(?<month>\d{2})\/(?<day>\d{2})\/(?<file>[^/]+\.json\.gz)$/;

/**
 * Classifies an S3 key (already URL-decoded) as a CloudTrail log file, with or without a prefix before
 * `AWSLogs/` and for account and organization trails, or gives the skip reason: `folder`, `digest`,
 * `insight` or `not-a-log-key`.
 */
export function classifyLogKey(key: string): LogKeyClass {
  if (key === '' || key.endsWith('/')) {
    return { ok: false, reason: 'folder', message: 'the key is a folder marker' };
  }
  // Digest and insight files share the AWSLogs/ tree but are not API call logs.
  if (/(?:^|\/)CloudTrail-Digest\//.test(key)) {
    return {
      ok: false,
      reason: 'digest',
      message: 'CloudTrail digest file (integrity validation), not a log file',
    };
  }
  if (/(?:^|\/)CloudTrail-Insight\//.test(key)) {
    return { ok: false, reason: 'insight', message: 'CloudTrail Insights file, not an API call log file' };
  }
  if ((key.match(/(?:^|\/)AWSLogs\//g) ?? []).length > 1) {
    return {
      ok: false,
      reason: 'not-a-log-key',
      message: 'the key holds more than one AWSLogs/ segment, so its account is ambiguous',
    };
  }
  const match = LOG_KEY.exec(key);
  const g = match?.groups;
  if (!g || !isDate(g.year, g.month, g.day)) {
    return {
      ok: false,
      reason: 'not-a-log-key',
      message:
        'not a CloudTrail log key ([prefix/]AWSLogs/[o-id/]<account>/CloudTrail/<region>/YYYY/MM/DD/<file>.json.gz)',
    };
  }
  const deliveredAt = deliveryTimeOf(g.file ?? '');
  return {
    ok: true,
    prefix: g.prefix ?? '',
    ...(g.orgId !== undefined ? { orgId: g.orgId } : {}),
    accountId: g.account ?? '',
    region: g.region ?? '',
    date: `${g.year}-${g.month}-${g.day}`,
    fileName: g.file ?? '',
    ...(deliveredAt ? { deliveredAt } : {}),
  };
}

// <account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz
const FILE_NAME_TIME =
  /^\d{12}_CloudTrail_[a-z0-9-]+_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[A-Za-z0-9]+\.json\.gz$/;

function deliveryTimeOf(fileName: string): Date | undefined {
  const m = FILE_NAME_TIME.exec(fileName);
  if (!m) return undefined;
  const [, y, mo, d, h, mi] = m;
  const time = new Date(`${y}-${mo}-${d}T${h}:${mi}:00Z`);
  // Reject impossible stamps (e.g. hour 25) rather than let Date roll them over.
  return Number.isNaN(time.getTime()) || time.toISOString().slice(0, 16) !== `${y}-${mo}-${d}T${h}:${mi}`
    ? undefined
    : time;
}

function isDate(year: string | undefined, month: string | undefined, day: string | undefined): boolean {
  const y = Number(year);
  const m = Number(month);
  const d = Number(day);
  if (!(m >= 1 && m <= 12 && d >= 1)) return false;
  // Day 0 of the next month is the last day of this one.
  return d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/**
 * Which log keys a deployment ingests: the trail's prefix exactly, and the accounts and organizations
 * allowed to write there. Built from configuration (LOG_PREFIX, ALLOWED_ACCOUNTS, ALLOWED_ORGANIZATIONS).
 */
export interface LogKeyOrigins {
  /**
   * The key prefix before `AWSLogs/`, without slashes at the ends: `''` means keys start with
   * `AWSLogs/`. Undefined accepts any prefix (local files, a backfill given its own `--prefix`).
   */
  readonly prefix?: string;
  /** Account ids whose log files are ingested; undefined or empty accepts any account. */
  readonly accounts?: readonly string[];
  /**
   * Organization ids whose organization-trail files are ingested. When set without `accounts`, only
   * organization-trail keys (`AWSLogs/<o-id>/...`) are accepted.
   */
  readonly organizationIds?: readonly string[];
}

/** Result of checkLogKeyOrigin: the key may be ingested, or why not. */
export type LogKeyOriginCheck =
  { readonly ok: true } | { readonly ok: false; readonly reason: ObjectSkipReason; readonly message: string };

/**
 * Decides whether a classified log key comes from where this deployment expects: exactly one
 * `AWSLogs/` layout right after the configured prefix (`not-a-log-key` otherwise), written for an
 * allowed account and organization (`foreign-account` otherwise).
 */
export function checkLogKeyOrigin(layout: CloudTrailKeyLayout, origins: LogKeyOrigins): LogKeyOriginCheck {
  if (origins.prefix !== undefined) {
    const trimmed = origins.prefix.replace(/^\/+|\/+$/g, '');
    const wanted = trimmed === '' ? '' : `${trimmed}/`;
    if (layout.prefix !== wanted) {
      return {
        ok: false,
        reason: 'not-a-log-key',
        message: `the key is not directly under the configured prefix '${wanted}AWSLogs/'`,
      };
    }
  }
  const accounts = nonEmpty(origins.accounts);
  const organizations = nonEmpty(origins.organizationIds);
  if (layout.orgId !== undefined && organizations && !organizations.includes(layout.orgId)) {
    return {
      ok: false,
      reason: 'foreign-account',
      message: `organization ${layout.orgId} is not one of the allowed organizations (${organizations.join(', ')})`,
    };
  }
  if (accounts && !accounts.includes(layout.accountId)) {
    return {
      ok: false,
      reason: 'foreign-account',
      message: `account ${layout.accountId} is not one of the allowed accounts (${accounts.join(', ')})`,
    };
  }
  if (layout.orgId === undefined && organizations && !accounts) {
    return {
      ok: false,
      reason: 'foreign-account',
      message: `only organization trail files of ${organizations.join(', ')} are allowed, and this key has no organization id`,
    };
  }
  return { ok: true };
}

function nonEmpty(list: readonly string[] | undefined): readonly string[] | undefined {
  return list !== undefined && list.length > 0 ? list : undefined;
}
