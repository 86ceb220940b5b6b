/**
 * Which S3 prefixes a backfill lists. CloudTrail partitions its keys as
 * `<prefix>AWSLogs/[<o-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/<file>`, so a date range is a set
 * of day prefixes; the accounts, organization ids, regions (and, without `--from`, the days) that are not
 * given are discovered one level at a time with Delimiter '/' listings — never by listing the bucket.
 */

/** Lists the immediate "folders" under a prefix (ListObjectsV2 CommonPrefixes with Delimiter '/'). */
export interface PrefixLister {
  /** Full child prefixes of `prefix`, each ending in '/'. */
  listChildPrefixes(prefix: string): Promise<readonly string[]>;
}

/** What to backfill. Dates are UTC days `YYYY-MM-DD`, both ends included. */
export interface BackfillScope {
  /** Key prefix before `AWSLogs/` ('' for none); normalized with normalizeLogPrefix. */
  readonly prefix: string;
  readonly from?: string;
  readonly to?: string;
  /** Only these account ids; every account found when absent. */
  readonly accounts?: readonly string[];
  /** Only these regions; every region found when absent. */
  readonly regions?: readonly string[];
}

/** One trail's folder for one account and region: `<prefix>AWSLogs/[<o-id>/]<account>/CloudTrail/<region>/`. */
export interface TrailRoot {
  readonly prefix: string;
  readonly accountId: string;
  readonly region: string;
  /** Set for organization trails. */
  readonly orgId?: string;
}

/** One day of one trail root: the prefix whose objects are the log files of that day. */
export interface DayPrefix {
  readonly prefix: string;
  readonly day: string;
  readonly root: TrailRoot;
}

/** The planned day prefixes (sorted by day, then prefix) and notes for the operator. */
export interface BackfillPlan {
  readonly roots: readonly TrailRoot[];
  readonly days: readonly DayPrefix[];
  /** Things the operator should know: requested accounts not found, no AWSLogs/ under the prefix, ... */
  readonly notes: readonly string[];
}

const ACCOUNT_ID = /^\d{12}$/;
const ORG_ID = /^o-[a-z0-9]{10,32}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a 12-digit AWS account id. */
export function isAccountId(value: string): boolean {
  return ACCOUNT_ID.test(value);
}

/** True for an AWS region name such as `us-east-1` or `us-gov-west-1`. */
export function isRegionName(value: string): boolean {
  return REGION.test(value);
}

/** The UTC day `YYYY-MM-DD` if `value` is a real calendar day in that form, else undefined. */
export function parseDay(value: string): string | undefined {
  const m = DAY.exec(value);
  if (!m) return undefined;
  const date = new Date(`${value}T00:00:00Z`);
  // Date rolls 2024-02-30 over to March; a round trip catches it.
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value ? value : undefined;
}

/** The UTC day of an instant, `YYYY-MM-DD`. */
export function utcDay(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}

/** Every day from `from` to `to`, both included (empty when from > to). */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  const end = Date.parse(`${to}T00:00:00Z`);
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= end; t += 86_400_000) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}

/** The key prefix before `AWSLogs/` with exactly one trailing '/', as CloudTrail writes it ('' stays ''). */
export function normalizeLogPrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, '').replace(/\/+$/, '');
  return trimmed === '' ? '' : `${trimmed}/`;
}

/** The prefix listing the objects of `day` (YYYY-MM-DD) under a trail root. */
export function dayPrefixOf(root: TrailRoot, day: string): string {
  return `${root.prefix}${day.slice(0, 4)}/${day.slice(5, 7)}/${day.slice(8, 10)}/`;
}

/** The last path segment of a child prefix (`a/b/c/` → `c`). */
function lastSegment(prefix: string): string {
  const parts = prefix.split('/');
  return parts[parts.length - 2] ?? '';
}

/**
 * Finds the trail roots in scope: lists `<prefix>AWSLogs/` for accounts and organization ids, each
 * organization id for its accounts, and (when no regions are given) each account's `CloudTrail/` for regions.
 */
export async function discoverTrailRoots(
  scope: BackfillScope,
  lister: PrefixLister,
): Promise<{ roots: TrailRoot[]; notes: string[] }> {
  const notes: string[] = [];
  const base = `${normalizeLogPrefix(scope.prefix)}AWSLogs/`;
  const wanted = scope.accounts ? new Set(scope.accounts) : undefined;
  const accountRoots: { prefix: string; accountId: string; orgId?: string }[] = [];

  const top = await lister.listChildPrefixes(base);
  if (top.length === 0) notes.push(`nothing under ${base} (is --prefix right?)`);
  for (const child of top) {
    const name = lastSegment(child);
    if (ACCOUNT_ID.test(name)) {
      accountRoots.push({ prefix: child, accountId: name });
    } else if (ORG_ID.test(name)) {
      for (const orgChild of await lister.listChildPrefixes(child)) {
        const accountId = lastSegment(orgChild);
        if (ACCOUNT_ID.test(accountId)) accountRoots.push({ prefix: orgChild, accountId, orgId: name });
      }
    }
  }

  const inScope = accountRoots.filter((r) => !wanted || wanted.has(r.accountId));
  if (wanted) {
    const found = new Set(inScope.map((r) => r.accountId));
    for (const account of wanted) {
      if (!found.has(account)) notes.push(`account ${account}: no logs under ${base}`);
    }
  }

  const roots: TrailRoot[] = [];
  for (const account of inScope) {
    const trailBase = `${account.prefix}CloudTrail/`;
    const regions = scope.regions
      ? [...scope.regions]
      : (await lister.listChildPrefixes(trailBase)).map(lastSegment).filter((r) => REGION.test(r));
    for (const region of regions) {
      roots.push({
        prefix: `${trailBase}${region}/`,
        accountId: account.accountId,
        region,
        ...(account.orgId ? { orgId: account.orgId } : {}),
      });
    }
  }
  return { roots, notes };
}

/** Lists the existing day folders of a root within [from, to] (either end optional), pruning by year and month. */
async function discoverDays(
  root: TrailRoot,
  lister: PrefixLister,
  from?: string,
  to?: string,
): Promise<string[]> {
  const lo = from ?? '0000-00-00';
  const hi = to ?? '9999-99-99';
  const days: string[] = [];
  for (const yearPrefix of await lister.listChildPrefixes(root.prefix)) {
    const year = lastSegment(yearPrefix);
    if (!/^\d{4}$/.test(year) || year < lo.slice(0, 4) || year > hi.slice(0, 4)) continue;
    for (const monthPrefix of await lister.listChildPrefixes(yearPrefix)) {
      const month = `${year}-${lastSegment(monthPrefix)}`;
      if (!/^\d{4}-\d{2}$/.test(month) || month < lo.slice(0, 7) || month > hi.slice(0, 7)) continue;
      for (const dayFolder of await lister.listChildPrefixes(monthPrefix)) {
        const day = parseDay(`${month}-${lastSegment(dayFolder)}`);
        if (day !== undefined && day >= lo && day <= hi) days.push(day);
      }
    }
  }
  return days;
}

/**
 * Plans a backfill: the day prefixes to list, sorted by day then prefix so history fills in order.
 * With `from`, days are computed (to defaults to `today`); without it, the existing day folders are discovered.
 */
export async function planBackfill(
  scope: BackfillScope,
  lister: PrefixLister,
  today: string,
): Promise<BackfillPlan> {
  const { roots, notes } = await discoverTrailRoots(scope, lister);
  const days: DayPrefix[] = [];
  for (const root of roots) {
    const rootDays = scope.from
      ? daysBetween(scope.from, scope.to ?? today)
      : await discoverDays(root, lister, undefined, scope.to);
    for (const day of rootDays) days.push({ prefix: dayPrefixOf(root, day), day, root });
  }
  days.sort((a, b) =>
    a.day === b.day ? (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0) : a.day < b.day ? -1 : 1,
  );
  return { roots, days, notes };
}
