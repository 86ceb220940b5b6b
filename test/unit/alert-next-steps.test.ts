import * as fs from 'node:fs';
import * as path from 'node:path';
import { nextStepLines, RUNBOOK_PATH, runbookSection } from '../../lambdas/core/alert-next-steps';
import { resourceConsoleUrl } from '../../lambdas/core/console-links';
import { failure } from '../helpers/alert-events';

describe('the "What to do next" block', () => {
  it('gives the query for the resource, the caller and the day, the console page and the runbook section', () => {
    // Prepare
    const event = failure(1, {
      service: 'glue',
      eventName: 'GetTable',
      errorCode: 'AccessDeniedException',
      resources: [{ type: 'glue:table', id: 'finance/ledger_2024' }],
    });

    // Act
    const lines = nextStepLines(event, {
      eventTable: 'Trailwatch-Events',
      runbookUrl: 'https://wiki.example.com/rb#x',
    });

    // Assess
    expect(lines).toEqual([
      'What to do next',
      '  History of glue:table finance/ledger_2024:',
      "    trailwatch query --table Trailwatch-Events --resource '123456789012#us-east-1#glue:table#finance/ledger_2024'",
      '  Everything this caller did that day:',
      '    trailwatch query --table Trailwatch-Events --principal arn:aws:sts::123456789012:assumed-role/etl-runner/session-1 --from 2026-11-22 --to 2026-11-22',
      '  Every failed call that day:',
      '    trailwatch query --table Trailwatch-Events --failed --from 2026-11-22 --to 2026-11-22',
      '  Console:  https://us-east-1.console.aws.amazon.com/glue/home?region=us-east-1#/v2/data-catalog/tables/view/ledger_2024?database=finance',
      '  Runbook:  https://wiki.example.com/rb#access-denied',
    ]);
  });

  it('without a runbook URL names the file; without a resource or an ARN leaves those lines out', () => {
    const event = failure(1, {
      resources: [],
      principal: { type: 'AWSService', invokedBy: 'glue.amazonaws.com' },
    });
    const lines = nextStepLines(event);
    expect(lines.some((l) => l.includes('--resource'))).toBe(false);
    expect(lines.some((l) => l.includes('--principal'))).toBe(false);
    expect(lines).toContain('    trailwatch query --failed --from 2026-11-22 --to 2026-11-22');
    expect(lines[lines.length - 1]).toBe(
      `  Runbook:  ${RUNBOOK_PATH}#invalid-request (in the trailwatch repository)`,
    );
  });

  it('leaves out a command whose value is too long to paste', () => {
    const event = failure(1, { resources: [{ type: 'glue:job', id: 'j'.repeat(5000) }] });
    expect(nextStepLines(event).some((l) => l.includes('--resource'))).toBe(false);
  });

  it.each([
    ['AccessDeniedException', 'access-denied'],
    ['EntityNotFoundException', 'not-found'],
    ['ThrottlingException', 'throttling'],
    ['ConcurrentRunsExceededException', 'limits'],
    ['ValidationException', 'invalid-request'],
    ['ClientException', 'invalid-request'],
    ['InternalServiceException', 'other-errors'],
    [undefined, 'other-errors'],
  ])('%s → runbook section #%s, a heading of docs/runbook.md', (code, section) => {
    const runbook = fs.readFileSync(path.join(__dirname, '..', '..', RUNBOOK_PATH), 'utf8');
    const anchors = [...runbook.matchAll(/^## (.+)$/gm)].map((m) =>
      (m[1] as string)
        .toLowerCase()
        .replace(/[^a-z0-9 -]/g, '')
        .replace(/ /g, '-'),
    );
    expect(runbookSection(code)).toBe(section);
    expect(anchors).toContain(section);
  });

  it('opens a Glue table on its own page when the database is known, else the table list', () => {
    expect(resourceConsoleUrl('glue', 'eu-west-1', { type: 'glue:table', id: 'sales/orders' })).toBe(
      'https://eu-west-1.console.aws.amazon.com/glue/home?region=eu-west-1#/v2/data-catalog/tables/view/orders?database=sales',
    );
    expect(resourceConsoleUrl('glue', 'eu-west-1', { type: 'glue:table', id: 'orders' })).toBe(
      'https://eu-west-1.console.aws.amazon.com/glue/home?region=eu-west-1#/v2/data-catalog/tables',
    );
  });
});
