import * as fs from 'node:fs';
import * as path from 'node:path';

// Issue 15, case 9: docs/alerts.md gave the claim's lease as 30 s in one place and 60 s in another.
// Every mention of the lease's length must name the same number of seconds.
const DOC = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'alerts.md'), 'utf8');

function leaseSecondsMentioned(text: string): number[] {
  const found: number[] = [];
  for (const m of text.matchAll(/(\d+)-second lease/g)) found.push(Number(m[1]));
  // "... within the lease of a crashed attempt (60 s; ..." and the like: the first duration after "lease".
  for (const m of text.matchAll(/\blease\b[^.()]{0,60}\((\d+) s\b/g)) found.push(Number(m[1]));
  return found;
}

describe('docs/alerts.md lease wording', () => {
  it('finds the lease mentions it checks (the wording it relies on is still there)', () => {
    expect(leaseSecondsMentioned(DOC).length).toBeGreaterThanOrEqual(2);
  });

  it('gives one lease length everywhere', () => {
    expect([...new Set(leaseSecondsMentioned(DOC))]).toHaveLength(1);
  });

  it('the checker itself tells a 30 s mention from a 60 s one', () => {
    const drifted =
      'Claim it (`publishing`, 30-second lease). A retry within the lease of a crash (60 s; ...)';
    expect(leaseSecondsMentioned(drifted)).toEqual([30, 60]);
  });
});
