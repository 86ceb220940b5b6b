import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { estimateBackfill } from '../../lambdas/core/backfill-estimate';
import { formatBackfillEstimate } from '../../cli/backfill-estimate-text';

// docs/operations.md's runbook prints the estimate of a year of a 1,000-account organization trail;
// its figures must be what the estimate code computes for that listing.
const DOC = readFileSync(join(__dirname, '..', '..', 'docs', 'operations.md'), 'utf8');
const HEADING = "## Runbook: a year of an organization's logs";

function runbook(): string {
  const start = DOC.indexOf(HEADING);
  expect(start).toBeGreaterThanOrEqual(0);
  const next = DOC.indexOf('\n## ', start + HEADING.length);
  return DOC.slice(start, next < 0 ? undefined : next);
}

// 1,000 accounts x 2 regions x 288 files a day x 365 days, 25 KB each, from an S3 Inventory report.
const OBJECTS = 1000 * 2 * 288 * 365;
const LISTING = { objects: OBJECTS, bytes: OBJECTS * 25_000, source: 'inventory' as const };

describe('the runbook of docs/operations.md', () => {
  it('states the object count of the organization it describes', () => {
    expect(OBJECTS).toBe(210_240_000);
    expect(runbook()).toContain('**210,240,000 objects**');
  });

  it('prints the estimate the code gives at the default concurrency, line for line', () => {
    const lines = formatBackfillEstimate(estimateBackfill(LISTING, { maxConcurrency: 10, targetShare: 0.1 }));
    const text = runbook();
    for (const line of lines) expect(text).toContain(`\n${line}\n`);
  });

  it('prints the time and write rate the code gives at a concurrency of 30', () => {
    const lines = formatBackfillEstimate(estimateBackfill(LISTING, { maxConcurrency: 30, targetShare: 0.1 }));
    const time = lines.find((l) => l.trimStart().startsWith('time:')) as string;
    expect(runbook()).toContain(`\n${time}\n`);
  });
});
