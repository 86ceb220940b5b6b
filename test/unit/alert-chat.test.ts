import {
  buildChatNotification,
  CHAT_DESCRIPTION_CHARS,
  CHAT_KEYWORD_CHARS,
  CHAT_NEXT_STEP_CHARS,
  CHAT_TITLE_CHARS,
  chatThreadId,
  ChatNotificationSchema,
  renderChatAlert,
} from '../../lambdas/core/alert-chat';
import type { AlertMessageInput } from '../../lambdas/core/alert-document';
import { renderAlert } from '../../lambdas/core/alert-fit';
import type { NormalizedEvent } from '../../lambdas/core/normalized-event';
import { failure, seedAthenaFailure } from '../helpers/alert-events';

const SOURCE = {
  bucket: 'acme-cloudtrail-logs',
  key: 'AWSLogs/123456789012/CloudTrail/us-east-1/2017/05/04/123456789012_CloudTrail_us-east-1_20170504T0025Z_Kx3jHT2bq9Ua4Rbo.json.gz',
};

function input(events: NormalizedEvent[], overrides: Partial<AlertMessageInput> = {}): AlertMessageInput {
  return {
    service: events[0]?.service ?? 'athena',
    source: SOURCE,
    events,
    suppressedInFile: 0,
    earlierSuppressed: [],
    windowMinutes: 60,
    ...overrides,
  };
}

const glueJobFailure = (n: number, overrides: Partial<NormalizedEvent> = {}) =>
  failure(n, {
    service: 'glue',
    eventSource: 'glue.amazonaws.com',
    eventName: 'StartJobRun',
    errorCode: 'ConcurrentRunsExceededException',
    errorMessage: 'Concurrent runs exceeded for nightly-orders-etl',
    resources: [{ type: 'glue:job', id: 'nightly-orders-etl' }],
    ...overrides,
  });

// A string with a lone half of a surrogate pair would be rejected or shown as garbage by the chat.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function allStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(allStrings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(allStrings);
  return [];
}

describe('the chat form of an alert (custom notification)', () => {
  test('the seed failure: every field of the format, the title what failed where, the description who and the error', () => {
    // Act
    const n = buildChatNotification(input([seedAthenaFailure()]));

    // Assess
    expect(ChatNotificationSchema.parse(n)).toEqual(n);
    expect(n.version).toBe('1.0');
    expect(n.source).toBe('custom');
    expect(n.content.textType).toBe('client-markdown');
    expect(n.content.title).toBe(
      'Athena StartQueryExecution failed: InvalidRequestException in 123456789012 us-east-1',
    );
    expect(n.content.description).toContain(
      '*Caller:* `johndoe` (IAMUser `arn:aws:iam::123456789012:user/johndoe`)',
    );
    expect(n.content.description).toContain(
      '*Error:* `InvalidRequestException`: `Invalid result configuration. Should specify either output location or result configuration`',
    );
    expect(n.content.description).toContain('*When:* 2017-05-04 00:21:57 UTC');
    expect(n.content.description).toContain(`*Log file:* \`s3://${SOURCE.bucket}/${SOURCE.key}\``);
    // The email's "What to do next" block: links first, then the query lines, at most 5.
    expect(n.content.nextSteps).toEqual([
      '<https://us-east-1.console.aws.amazon.com/athena/home?region=us-east-1#/query-editor/history|Open the Athena console>',
      'Runbook: `docs/runbook.md#invalid-request` (in the trailwatch repository)',
      '<https://us-east-1.console.aws.amazon.com/cloudtrail/home?region=us-east-1#/events/6e1fc69b-d076-477e-8dec-024ee51488c4|This event in CloudTrail event history>',
      'Everything this caller did that day: `trailwatch query --principal arn:aws:iam::123456789012:user/johndoe --from 2017-05-04 --to 2017-05-04`',
      'Every failed call that day: `trailwatch query --failed --from 2017-05-04 --to 2017-05-04`',
    ]);
    expect(n.content.keywords).toEqual(['Athena', 'InvalidRequestException', '123456789012', 'us-east-1']);
    expect(n.metadata).toMatchObject({
      threadId: chatThreadId(seedAthenaFailure()),
      summary: 'Athena StartQueryExecution: InvalidRequestException by johndoe in 123456789012 us-east-1',
      eventType: 'TrailwatchFailedCalls',
      relatedResources: [],
      additionalContext: {
        service: 'athena',
        accountId: '123456789012',
        region: 'us-east-1',
        eventName: 'StartQueryExecution',
        errorCode: 'InvalidRequestException',
        principal: 'arn:aws:iam::123456789012:user/johndoe',
        failureCount: '1',
        logFile: `s3://${SOURCE.bucket}/${SOURCE.key}`,
      },
    });
  });

  test('a storm: the largest kind leads, the other kinds and the counted repeats follow, resources are related', () => {
    // Act
    const events = [
      ...Array.from({ length: 14 }, (_, i) => glueJobFailure(i)),
      failure(20, {
        service: 'glue',
        eventName: 'GetTable',
        errorCode: 'EntityNotFoundException',
        resources: [{ type: 'glue:database', id: 'sales' }],
      }),
    ];
    const n = buildChatNotification(
      input(events, {
        suppressedInFile: 3,
        earlierSuppressed: [
          {
            signature: {
              accountId: '123456789012',
              region: 'us-east-1',
              service: 'glue',
              eventName: 'StartJobRun',
              errorCode: 'ConcurrentRunsExceededException',
              principal: 'arn:aws:iam::123456789012:role/etl-runner',
            },
            count: 42,
            reportedTotal: 42,
          },
        ],
      }),
    );

    // Assess
    expect(n.content.title).toBe('15 failed Glue calls, 2 kinds, in 123456789012 us-east-1');
    expect(n.content.description).toContain('*Resource:* `glue:job nightly-orders-etl`');
    expect(n.content.description).toContain(
      '*When:* 2026-11-22 03:00:00 UTC, last at 2026-11-22 03:00:13 UTC',
    );
    expect(n.content.description).toContain('• `GetTable`: `EntityNotFoundException` by `etl-runner`');
    expect(n.content.description).toContain(
      '*Counted, not sent:* 42 identical failures since the last alert; 3 more in this file that repeat failures alerted in the last 60 minutes.',
    );
    expect(n.content.nextSteps[0]).toBe(
      '<https://us-east-1.console.aws.amazon.com/gluestudio/home?region=us-east-1#/editor/job/nightly-orders-etl/details|Open nightly-orders-etl in the Glue console>',
    );
    expect(n.content.nextSteps[3]).toBe(
      "History of glue:job nightly-orders-etl: `trailwatch query --resource '123456789012#us-east-1#glue:job#nightly-orders-etl'`",
    );
    expect(n.metadata.summary).toBe(
      'Glue StartJobRun: ConcurrentRunsExceededException by etl-runner in 123456789012 us-east-1',
    );
    expect(n.metadata.relatedResources).toEqual(['glue:job nightly-orders-etl', 'glue:database sales']);
    expect(n.metadata.threadId).toBe(chatThreadId(events[0] as NormalizedEvent));
  });

  test('next steps follow the configured event table and runbook URL, as the email does', () => {
    // Act
    const n = buildChatNotification(
      input([glueJobFailure(1)], {
        nextSteps: { eventTable: 'prod-events', runbookUrl: 'https://wiki.example.com/trailwatch/runbook' },
      }),
    );

    // Assess
    expect(n.content.nextSteps).toEqual([
      '<https://us-east-1.console.aws.amazon.com/gluestudio/home?region=us-east-1#/editor/job/nightly-orders-etl/details|Open nightly-orders-etl in the Glue console>',
      '<https://wiki.example.com/trailwatch/runbook#limits|Runbook: limits>',
      '<https://us-east-1.console.aws.amazon.com/cloudtrail/home?region=us-east-1#/events/evt-000001|This event in CloudTrail event history>',
      "History of glue:job nightly-orders-etl: `trailwatch query --table prod-events --resource '123456789012#us-east-1#glue:job#nightly-orders-etl'`",
      'Everything this caller did that day: `trailwatch query --table prod-events --principal arn:aws:sts::123456789012:assumed-role/etl-runner/session-1 --from 2026-11-22 --to 2026-11-22`',
    ]);
  });

  test('threads: one per noise-control signature, whatever the session name, file or time', () => {
    // Prepare
    const base = glueJobFailure(1);
    const otherSession = glueJobFailure(500, {
      principal: { ...base.principal, arn: 'arn:aws:sts::123456789012:assumed-role/etl-runner/session-2' },
    });

    // Act
    const thread = (e: NormalizedEvent, key = SOURCE.key) =>
      buildChatNotification(input([e], { source: { bucket: SOURCE.bucket, key } })).metadata.threadId;

    // Assess
    expect(thread(otherSession, 'another-file.json.gz')).toBe(thread(base));
    expect(thread(glueJobFailure(2, { errorCode: 'AccessDeniedException' }))).not.toBe(thread(base));
    expect(thread(glueJobFailure(2, { region: 'eu-west-1' }))).not.toBe(thread(base));
    expect(thread(glueJobFailure(2, { eventName: 'StartCrawler' }))).not.toBe(thread(base));
  });

  test('size limits hold for hostile input: thousands of kinds, 700-character ARNs, 100 KB messages, long names', () => {
    // Prepare
    const longRole = `arn:aws:iam::123456789012:role/${'p/'.repeat(330)}r`;
    const events = Array.from({ length: 5000 }, (_, i) =>
      glueJobFailure(i, {
        eventName: `StartJobRun${'X'.repeat(400)}${i}`,
        errorCode: `Code${'Y'.repeat(300)}${i}`,
        errorMessage: 'm'.repeat(100_000),
        resources: [{ type: 'glue:job', id: `job-${'z'.repeat(2000)}-${i}` }],
        principal: {
          type: 'AssumedRole',
          arn: `${longRole.replace(':iam:', ':sts:').replace(':role/', ':assumed-role/')}/s${i}`,
          sessionIssuerArn: `${longRole}${i}`,
        },
      }),
    );

    // Act
    const n = buildChatNotification(input(events, { source: { bucket: 'b', key: 'k'.repeat(5000) } }));
    const bytes = Buffer.byteLength(JSON.stringify(n));

    // Assess
    expect(() => ChatNotificationSchema.parse(n)).not.toThrow();
    expect(n.content.title.length).toBeLessThanOrEqual(CHAT_TITLE_CHARS);
    expect(n.content.title).toMatch(/in 123456789012 us-east-1$/);
    expect(n.content.description.length).toBeLessThanOrEqual(CHAT_DESCRIPTION_CHARS);
    expect(n.content.description).toContain('• and 4994 more of 4994 other kinds');
    for (const step of n.content.nextSteps) expect(step.length).toBeLessThanOrEqual(CHAT_NEXT_STEP_CHARS);
    for (const k of n.content.keywords) expect(k.length).toBeLessThanOrEqual(CHAT_KEYWORD_CHARS);
    // No query names the 2000-character job or the 700-character caller (they would be cut), and the
    // console link is the service's page, not the job's.
    expect(n.content.nextSteps).toEqual([
      '<https://us-east-1.console.aws.amazon.com/glue/home?region=us-east-1|Open the Glue console>',
      'Runbook: `docs/runbook.md#other-errors` (in the trailwatch repository)',
      '<https://us-east-1.console.aws.amazon.com/cloudtrail/home?region=us-east-1#/events/evt-000000|This event in CloudTrail event history>',
      'Every failed call that day: `trailwatch query --failed --from 2026-11-22 --to 2026-11-22`',
    ]);
    expect(bytes).toBeLessThan(16_384);
  });

  test('non-ASCII names are kept, and a cut never splits a character', () => {
    // Prepare: emoji (two UTF-16 units each) put so that every limit falls inside one.
    const emoji = '🔥'.repeat(400);
    const event = glueJobFailure(1, {
      eventName: `Démarrer${emoji}`,
      errorCode: `Ошибка${emoji}`,
      errorMessage: `Tâche introuvable: ${emoji}`,
      resources: [{ type: 'glue:job', id: `nächtlicher-Lauf-日本語${emoji}` }],
      region: 'eu-central-1',
    });

    // Act
    const n = buildChatNotification(input([event]));

    // Assess
    expect(() => ChatNotificationSchema.parse(n)).not.toThrow();
    expect(n.content.title.startsWith('Glue Démarrer🔥')).toBe(true);
    expect(n.content.description).toContain('`glue:job nächtlicher-Lauf-日本語🔥');
    expect(n.content.keywords[1]?.startsWith('Ошибка🔥')).toBe(true);
    for (const s of allStrings(n)) expect({ s, lone: LONE_SURROGATE.test(s) }).toEqual({ s, lone: false });
  });

  test('text from the log file is never markup: no mentions, links or formatting from an error message', () => {
    // Prepare
    const event = glueJobFailure(1, {
      errorMessage: 'line one\nline two <!channel> <https://evil.example|click> *bold* `tick`',
      eventName: 'Start*Job*<!here>',
    });

    // Act
    const n = buildChatNotification(input([event]));
    const text = [n.content.title, n.content.description, n.metadata.summary].join('\n');

    // Assess
    expect(text).not.toMatch(/<!|<https:\/\/evil/);
    expect(n.content.description).toContain(
      "`line one line two ‹!channel› ‹https://evil.example|click› *bold* 'tick'`",
    );
    expect(n.content.title).toContain("Start'Job'‹!here›");
  });

  test('the chat publish: the notification as the default body, with the email subject and attributes', () => {
    // Prepare
    const alertInput = input([seedAthenaFailure()]);
    const rendered = renderAlert(alertInput);

    // Act
    const chat = renderChatAlert(rendered, alertInput);
    const bodies = JSON.parse(chat.message) as Record<string, string>;

    // Assess
    expect(Object.keys(bodies)).toEqual(['default']);
    expect(JSON.parse(bodies.default as string)).toEqual(buildChatNotification(alertInput));
    expect(chat.subject).toBe(rendered.subject);
    expect(chat.messageAttributes).toEqual(rendered.messageAttributes);
    expect(chat.publishBytes).toBe(
      Buffer.byteLength(chat.message) +
        Buffer.byteLength(chat.subject) +
        Object.entries(chat.messageAttributes).reduce(
          (n, [k, v]) => n + Buffer.byteLength(k + v.DataType + v.StringValue),
          0,
        ),
    );
  });
});
