import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildChatNotification } from '../../lambdas/core/alert-chat';
import { renderChatNotification } from '../../local/chat-outbox';
import type { AlertMessageInput, RenderedAlert } from '../../lambdas/core/alert-document';
import { renderAlert } from '../../lambdas/core/alert-fit';
import { signatureOf } from '../../lambdas/core/alert-policy';
import { failure, seedAthenaFailure } from '../helpers/alert-events';

// docs/alerts.md shows real output of the formatter. This test fails when the two drift apart;
// `UPDATE_ALERT_DOCS=1 npx jest test/unit/alert-docs.test.ts` rewrites the generated blocks.
const DOC = path.join(__dirname, '..', '..', 'docs', 'alerts.md');

const SOURCE = {
  bucket: 'acme-cloudtrail-logs',
  key: 'AWSLogs/123456789012/CloudTrail/us-east-1/2017/05/04/123456789012_CloudTrail_us-east-1_20170504T0025Z_Kx3jHT2bq9Ua4Rbo.json.gz',
};

// What the Lambda passes: its event table, and the runbook address when RUNBOOK_URL is set.
const NEXT_STEPS = {
  eventTable: 'trailwatch-events',
  runbookUrl: 'https://wiki.example.com/trailwatch/runbook',
};

function seedAlert(): RenderedAlert {
  return renderAlert({
    service: 'athena',
    source: SOURCE,
    events: [seedAthenaFailure()],
    suppressedInFile: 0,
    earlierSuppressed: [],
    windowMinutes: 60,
    nextSteps: NEXT_STEPS,
  });
}

function stormAlert(): RenderedAlert {
  return renderAlert(stormInput());
}

function stormInput(): AlertMessageInput {
  // A Glue storm: 14 failed StartJobRun calls of one job plus 2 other failures; 3 repeats were suppressed earlier.
  const job = { type: 'glue:job', id: 'nightly-orders-etl' };
  const events = [
    ...Array.from({ length: 14 }, (_, i) =>
      failure(i, {
        service: 'glue',
        eventSource: 'glue.amazonaws.com',
        eventName: 'StartJobRun',
        errorCode: 'ConcurrentRunsExceededException',
        errorMessage: 'Concurrent runs exceeded for nightly-orders-etl',
        resources: [job],
        requestParameters: { jobName: 'nightly-orders-etl' },
      }),
    ),
    failure(20, {
      service: 'glue',
      eventSource: 'glue.amazonaws.com',
      eventName: 'GetTable',
      errorCode: 'EntityNotFoundException',
      errorMessage: 'Table orders_raw not found.',
      resources: [{ type: 'glue:database', id: 'sales' }],
      requestParameters: { databaseName: 'sales', name: 'orders_raw' },
    }),
  ];
  return {
    service: 'glue',
    source: SOURCE,
    events,
    suppressedInFile: 3,
    earlierSuppressed: [
      {
        signature: signatureOf(events[0] as (typeof events)[0]),
        count: 42,
        since: '2026-11-22T02:04:11.000Z',
        reportedTotal: 42,
      },
    ],
    windowMinutes: 60,
    nextSteps: NEXT_STEPS,
  };
}

const BLOCKS: Record<string, () => string> = {
  'seed-subject': () => seedAlert().subject,
  'seed-email': () => seedAlert().text,
  'seed-json': () => JSON.stringify(seedAlert().document, null, 2),
  'seed-attributes': () => JSON.stringify(seedAlert().messageAttributes, null, 2),
  'storm-subject': () => stormAlert().subject,
  'storm-email': () => stormAlert().text,
  'storm-chat-view': () => renderChatNotification(buildChatNotification(stormInput())),
  'storm-chat': () => JSON.stringify(buildChatNotification(stormInput()), null, 2),
};

function blockPattern(name: string): RegExp {
  // Prettier may put blank lines around the fence; the block's content is between the fences.
  return new RegExp(
    `(<!-- generated:${name} -->\\n\\n?\`\`\`([a-z]*)\\n)([\\s\\S]*?)(\\n\`\`\`\\n\\n?<!-- /generated -->)`,
  );
}

describe('docs/alerts.md', () => {
  const update = process.env.UPDATE_ALERT_DOCS === '1';
  if (update) {
    let doc = fs.readFileSync(DOC, 'utf8');
    for (const [name, render] of Object.entries(BLOCKS)) {
      doc = doc.replace(
        blockPattern(name),
        (_m, open: string, _lang: string, _old: string, close: string) => open + render() + close,
      );
    }
    fs.writeFileSync(DOC, doc);
  }

  test.each(Object.keys(BLOCKS))('the %s block is what the code renders today', (name) => {
    // Prepare
    const doc = fs.readFileSync(DOC, 'utf8');

    // Act
    const match = blockPattern(name).exec(doc);

    // Assess
    expect(match).not.toBeNull();
    const rendered = (BLOCKS[name] as () => string)();
    // JSON blocks are compared as data: Prettier reflows short arrays in docs.
    if (match?.[2] === 'json') expect(JSON.parse(match[3] ?? '')).toEqual(JSON.parse(rendered));
    else expect(match?.[3]).toBe(rendered);
  });
});
