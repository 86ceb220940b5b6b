/**
 * The flags that say what a backfill covers (--prefix, --from, --to, --accounts, --regions), shared
 * by the local backfill and `backfill --on-aws`, so both read a scope the same way.
 */
import { isAccountId, isRegionName, parseDay, type BackfillScope } from '../lambdas/core/backfill-plan';
import { trailPrefixOf } from './processor-flags';
import { UsageError } from './usage';

/** parseArgs options of the scope flags. */
export const SCOPE_FLAGS = {
  prefix: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  accounts: { type: 'string' },
  regions: { type: 'string' },
} as const;

function listFlag(
  name: string,
  value: string | undefined,
  valid: (v: string) => boolean,
  what: string,
): string[] | undefined {
  if (value === undefined) return undefined;
  const items = [
    ...new Set(
      value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    ),
  ];
  if (items.length === 0) throw new UsageError(`--${name}: expected a comma-separated list of ${what}s`);
  const bad = items.find((v) => !valid(v));
  if (bad !== undefined)
    throw new UsageError(`--${name}: '${bad}' is not ${/^[aeiou]/.test(what) ? 'an' : 'a'} ${what}`);
  return items;
}

function dayFlag(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const day = parseDay(value);
  if (day === undefined) throw new UsageError(`--${name}: expected a UTC day YYYY-MM-DD, got '${value}'`);
  return day;
}

/** Reads the scope flags (UsageError naming the flag). */
export function parseScopeFlags(v: {
  prefix?: string;
  from?: string;
  to?: string;
  accounts?: string;
  regions?: string;
}): BackfillScope {
  const from = dayFlag('from', v.from);
  const to = dayFlag('to', v.to);
  if (from !== undefined && to !== undefined && from > to)
    throw new UsageError(`--from ${from} is after --to ${to}`);
  const accounts = listFlag('accounts', v.accounts, isAccountId, '12-digit account id');
  const regions = listFlag('regions', v.regions, isRegionName, 'AWS region');
  return {
    prefix: trailPrefixOf(v.prefix ?? ''),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    ...(accounts ? { accounts } : {}),
    ...(regions ? { regions } : {}),
  };
}
