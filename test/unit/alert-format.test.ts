import type { AlertDocument } from '../../lambdas/core/alert-document';
import { renderAlert, SNS_MAX_PUBLISH_BYTES } from '../../lambdas/core/alert-fit';
import { alertSubject, sanitizeSubject } from '../../lambdas/core/alert-subject';
import { signatureOf } from '../../lambdas/core/alert-policy';
import type { NormalizedEvent } from '../../lambdas/core/normalized-event';
import { SERVICE_NAMES, type ServiceName } from '../../lambdas/core/services';
import { failure, seedAthenaFailure } from '../helpers/alert-events';

const SOURCE = {
  bucket: 'org-trail-logs',
  key: 'AWSLogs/123456789012/CloudTrail/us-east-1/2017/05/04/123456789012_CloudTrail_us-east-1_20170504T0025Z_x.json.gz',
};

function render(
  events: NormalizedEvent[],
  service: ServiceName = 'athena',
  extra: Partial<Parameters<typeof renderAlert>[0]> = {},
) {
  return renderAlert({
    service,
    source: SOURCE,
    events,
    suppressedInFile: 0,
    earlierSuppressed: [],
    windowMinutes: 60,
    ...extra,
  });
}

/** What SNS counts: the message, the subject and each attribute's name, type and value. */
function snsBytes(r: ReturnType<typeof renderAlert>): number {
  const attributes = Object.entries(r.messageAttributes).reduce(
    (sum, [name, v]) =>
      sum + Buffer.byteLength(name) + Buffer.byteLength(v.DataType) + Buffer.byteLength(v.StringValue),
    0,
  );
  return Buffer.byteLength(r.message) + Buffer.byteLength(r.subject) + attributes;
}

describe('the seed Athena failure rendered', () => {
  test('as email text: what failed, who, when, error, resource, console link, log file', () => {
    // Prepare
    const event = seedAthenaFailure();

    // Act
    const rendered = render([event]);

    // Assess
    expect(rendered.subject).toBe(
      'trailwatch: Athena StartQueryExecution failed: InvalidRequestException (123456789012 us-east-1)',
    );
    const lines = rendered.text.split('\n');
    expect(lines[0]).toBe('1 failed Athena call in account 123456789012, region us-east-1');
    expect(lines[1]).toBe('at 2017-05-04 00:21:57 UTC.');
    expect(rendered.text).toContain('[1/1] StartQueryExecution failed: InvalidRequestException');
    expect(rendered.text).toContain(
      '  Message:  Invalid result configuration. Should specify either output location or result configuration',
    );
    expect(rendered.text).toContain('  When:     2017-05-04 00:21:57 UTC');
    expect(rendered.text).toContain('  Caller:   johndoe (IAMUser arn:aws:iam::123456789012:user/johndoe)');
    expect(rendered.text).toContain('  Source:   77.88.999.69 (aws-internal/3)');
    expect(rendered.text).not.toMatch(/^\s*From:/m);
    expect(rendered.text).toContain('  Resource: none named in the call');
    expect(rendered.text).toContain(
      '  Console:  https://us-east-1.console.aws.amazon.com/athena/home?region=us-east-1#/query-editor/history',
    );
    expect(rendered.text).toContain(
      '  Event:    https://us-east-1.console.aws.amazon.com/cloudtrail/home?region=us-east-1#/events/6e1fc69b-d076-477e-8dec-024ee51488c4',
    );
    expect(rendered.text).toContain(`Log file: s3://${SOURCE.bucket}/${SOURCE.key}`);
    expect(rendered.text).not.toContain('more not shown');
    expect(rendered.text).not.toContain('Suppressed');
  });

  test('as the JSON document every machine protocol receives', () => {
    // Prepare
    const event = seedAthenaFailure();

    // Act
    const rendered = render([event]);
    const structure = JSON.parse(rendered.message) as Record<string, string>;

    // Assess
    expect(Object.keys(structure).sort()).toEqual([
      'default',
      'email',
      'email-json',
      'https',
      'lambda',
      'sqs',
    ]);
    expect(structure.default).toBe(rendered.text);
    expect(structure.email).toBe(rendered.text);
    for (const protocol of ['sqs', 'lambda', 'https', 'email-json']) {
      expect(structure[protocol]).toBe(structure.sqs);
    }
    const document = JSON.parse(structure.sqs as string) as AlertDocument;
    expect(document).toEqual({
      version: '1',
      type: 'trailwatch.failed-calls',
      service: 'athena',
      accountId: '123456789012',
      region: 'us-east-1',
      source: SOURCE,
      failureCount: 1,
      included: 1,
      omitted: 0,
      firstEventTime: '2017-05-04T00:21:57Z',
      lastEventTime: '2017-05-04T00:21:57Z',
      errorCodes: ['InvalidRequestException'],
      errorCodesOmitted: 0,
      groups: [
        {
          eventName: 'StartQueryExecution',
          errorCode: 'InvalidRequestException',
          principal: 'arn:aws:iam::123456789012:user/johndoe',
          count: 1,
        },
      ],
      groupsOmitted: 0,
      suppressed: { windowMinutes: 60, inThisFile: 0, earlierTotal: 0, earlier: [] },
      trimmed: [],
      events: [event],
    });
    expect(document.events[0]).toMatchObject({
      eventId: '6e1fc69b-d076-477e-8dec-024ee51488c4',
      errorCode: 'InvalidRequestException',
      principal: { type: 'IAMUser', userName: 'johndoe' },
      requestParameters: { query: 'Select 10' },
    });
  });

  test('with the message attributes filter policies match on', () => {
    // Act
    const rendered = render([seedAthenaFailure()]);

    // Assess
    expect(rendered.messageAttributes).toEqual({
      service: { DataType: 'String', StringValue: 'athena' },
      errorCode: { DataType: 'String.Array', StringValue: '["InvalidRequestException"]' },
      accountId: { DataType: 'String', StringValue: '123456789012' },
      region: { DataType: 'String', StringValue: 'us-east-1' },
      failureCount: { DataType: 'Number', StringValue: '1' },
    });
  });
});

describe('subjects', () => {
  test.each([
    ['glue', 'trailwatch: 3 failed Glue calls: StartJobRun EntityNotFoundException (123456789012 us-east-1)'],
    ['emr', 'trailwatch: 3 failed EMR calls: StartJobRun EntityNotFoundException (123456789012 us-east-1)'],
    [
      'athena',
      'trailwatch: 3 failed Athena calls: StartJobRun EntityNotFoundException (123456789012 us-east-1)',
    ],
    [
      'batch',
      'trailwatch: 3 failed Batch calls: StartJobRun EntityNotFoundException (123456789012 us-east-1)',
    ],
  ] as Array<[ServiceName, string]>)(
    '%s: the call and error code, count, account and region',
    (service, expected) => {
      // Act
      const rendered = render(
        [1, 2, 3].map((n) =>
          failure(n, { service, eventName: 'StartJobRun', errorCode: 'EntityNotFoundException' }),
        ),
        service,
      );

      // Assess
      expect(rendered.subject).toBe(expected);
      expect(
        alertSubject(
          service,
          [{ eventName: 'StartJobRun', errorCode: 'EntityNotFoundException' }],
          '123456789012',
          'eu-west-1',
        ),
      ).toBe(
        expected
          .replace('3 failed ', '')
          .replace(' calls: StartJobRun', ' StartJobRun failed:')
          .replace('us-east-1', 'eu-west-1'),
      );
    },
  );

  test('several kinds: the most frequent one is named, the others counted', () => {
    const subject = alertSubject(
      'athena',
      [
        { eventName: 'GetQueryResults', errorCode: 'AccessDeniedException' },
        { eventName: 'StartQueryExecution', errorCode: 'InvalidRequestException' },
        { eventName: 'StartQueryExecution', errorCode: 'InvalidRequestException' },
        { eventName: 'StopQueryExecution', errorCode: 'InvalidRequestException' },
      ],
      '123456789012',
      'us-east-1',
    );
    // 101 characters with the region: it is left out too.
    expect(subject).toBe(
      'trailwatch: 4 failed Athena calls: StartQueryExecution InvalidRequestException, +2 others',
    );
  });

  test('too long: the account goes first, then the region, then the text is cut; the call stays in front', () => {
    const code = 'VeryLongErrorCodeThatServicesInventEx';
    const subject = alertSubject(
      'glue',
      [{ eventName: 'BatchGetPartition', errorCode: code }],
      '123456789012',
      'ap-southeast-2',
    );
    expect(subject).toBe(`trailwatch: Glue BatchGetPartition failed: ${code} (ap-southeast-2)`);
    const longer = alertSubject(
      'glue',
      [{ eventName: 'BatchGetPartition', errorCode: code.repeat(2) }],
      '1',
      'r',
    );
    expect(longer.length).toBe(100);
    expect(longer).toMatch(/^trailwatch: Glue BatchGetPartition failed: VeryLong.*\.\.\.$/);
  });

  test('every service is covered above', () => {
    expect([...SERVICE_NAMES].sort()).toEqual(['athena', 'batch', 'emr', 'glue']);
  });

  test('unknown account and region are left out, not printed as "unknown"', () => {
    expect(
      alertSubject('glue', [{ eventName: 'GetJob' }, { eventName: 'GetJob' }], 'unknown', 'unknown'),
    ).toBe('trailwatch: 2 failed Glue calls: GetJob no error code');
  });

  test.each([
    ['accents are dropped', 'Fehler in Zürich – café', 'Fehler in Zurich ? cafe'],
    ['line breaks become spaces', 'line one\r\nline two\tend', 'line one line two end'],
    ['emoji and CJK become ?', 'job 🚀 失败', 'job ? ??'],
  ])('sanitizeSubject: %s', (_name, input, expected) => {
    expect(sanitizeSubject(input)).toBe(expected);
  });

  test('a long subject is cut to 100 printable ASCII characters ending in an ellipsis', () => {
    // Prepare
    const long = `trailwatch: ${'très-long-nom-de-région-'.repeat(20)}\n`;

    // Act
    const subject = sanitizeSubject(long);

    // Assess
    expect(subject.length).toBe(100);
    expect(subject.endsWith('...')).toBe(true);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
  });

  test('long names and non-ASCII in the events keep the subject within the limits', () => {
    // Prepare: a garbled region and account (the subject takes them from the events).
    const event = failure(1, {
      accountId: '１２３４５６７８９０１２'.repeat(5),
      region: 'ünïcödé-région-'.repeat(10),
      eventName: 'Démarrer'.repeat(50),
    });

    // Act
    const rendered = render([event]);

    // Assess
    expect(rendered.subject.length).toBeLessThanOrEqual(100);
    expect(rendered.subject).toMatch(/^[\x20-\x7e]+$/);
    expect(rendered.subject).not.toMatch(/[\r\n]/);
    expect(rendered.subject.startsWith('trailwatch: Athena DemarrerDemarrer')).toBe(true);
  });
});

describe('the text of many failures', () => {
  test('one block per kind of failure, largest first, and the suppressions', () => {
    // Prepare: 12 of one kind and 3 of another.
    const events = [
      ...Array.from({ length: 12 }, (_, i) => failure(i)),
      ...[20, 21, 22].map((n) =>
        failure(n, { errorCode: 'AccessDeniedException', eventName: 'GetQueryResults' }),
      ),
    ];
    const signature = signatureOf(events[0] as NormalizedEvent);

    // Act
    const rendered = render(events, 'athena', {
      suppressedInFile: 4,
      earlierSuppressed: [{ signature, count: 17, since: '2026-11-22T02:10:00.000Z', reportedTotal: 17 }],
    });

    // Assess
    expect(rendered.subject).toBe(
      'trailwatch: 15 failed Athena calls: StartQueryExecution InvalidRequestException, +1 other',
    );
    expect(rendered.text).toContain('[1/2] StartQueryExecution failed 12 times: InvalidRequestException\n');
    expect(rendered.text).toContain('  When:     2026-11-22 03:00:00 UTC, last at 2026-11-22 03:00:11 UTC\n');
    expect(rendered.text).toContain('#/events/evt-000000 (the first one)\n');
    expect(rendered.text).toContain('[2/2] GetQueryResults failed 3 times: AccessDeniedException\n');
    expect(rendered.text).not.toContain('not shown');
    expect(rendered.text).toContain(
      '  17 identical failures of StartQueryExecution: InvalidRequestException, by ' +
        'arn:aws:iam::123456789012:role/etl-runner since the alert at 2026-11-22 02:10:00 UTC',
    );
    expect(rendered.text).toContain(
      '  4 more failures in this log file repeat failures alerted in the last 60 minutes',
    );
    expect(rendered.text).toContain(
      '  Console:  https://us-east-1.console.aws.amazon.com/athena/home?region=us-east-1#/workgroups/details/analytics',
    );
    expect(rendered.document.suppressed).toEqual({
      windowMinutes: 60,
      inThisFile: 4,
      earlierTotal: 17,
      earlier: [
        {
          eventName: 'StartQueryExecution',
          errorCode: 'InvalidRequestException',
          principal: 'arn:aws:iam::123456789012:role/etl-runner',
          count: 17,
          since: '2026-11-22T02:10:00.000Z',
        },
      ],
    });
    expect(rendered.document.errorCodes).toEqual(['AccessDeniedException', 'InvalidRequestException']);
    expect(JSON.parse(rendered.messageAttributes.errorCode?.StringValue ?? '')).toEqual([
      'AccessDeniedException',
      'InvalidRequestException',
    ]);
    expect(rendered.messageAttributes.failureCount?.StringValue).toBe('15');
  });

  test('shows ten kinds of failure and counts the rest as not shown', () => {
    // Prepare: 12 kinds; the last two have 1 and 2 failures.
    const events = Array.from({ length: 12 }, (_, kind) =>
      Array.from({ length: kind === 11 ? 1 : kind === 10 ? 2 : 3 }, (_, i) =>
        failure(kind * 10 + i, { errorCode: `Code${kind}` }),
      ),
    ).flat();

    // Act
    const rendered = render(events);

    // Assess
    expect(rendered.text).toContain('[10/12] StartQueryExecution failed 3 times: Code9\n');
    expect(rendered.text).not.toContain('[11/12]');
    expect(rendered.text).toContain('... and 3 more failures of 2 other kinds not shown.');
  });

  test('a kind of failure across several resources says how many others', () => {
    const events = ['a', 'b', 'c'].map((id, i) =>
      failure(i, { resources: [{ type: 'athena:workgroup', id }] }),
    );
    expect(render(events).text).toContain('  Resource: athena:workgroup a (and 2 others)\n');
  });

  test('no error code at all: the errorCode attribute is left out, the text says so', () => {
    const rendered = render([failure(1, { errorCode: undefined })]);
    expect(rendered.messageAttributes).not.toHaveProperty('errorCode');
    expect(rendered.text).toContain('[1/1] StartQueryExecution failed: no error code\n');
    expect(rendered.document.errorCodes).toEqual([]);
  });

  test('an error message with line breaks and a huge length stays one clipped line', () => {
    // Prepare
    const event = failure(1, { errorMessage: `first line\nsecond line ${'x'.repeat(5000)}` });

    // Act
    const rendered = render([event]);

    // Assess
    const line = rendered.text.split('\n').find((l) => l.startsWith('  Message:')) ?? '';
    expect(line.startsWith('  Message:  first line second line xxx')).toBe(true);
    expect(line.endsWith('...')).toBe(true);
    expect(line.length).toBeLessThan(700);
  });
});

describe('the 256 KB limit', () => {
  test('5,000 failures of one file: one message per service, each under 256 KB with the first events in full', () => {
    // Prepare: 5,000 failures spread over the four services, with realistic payloads.
    const events = Array.from({ length: 5000 }, (_, i) =>
      failure(i, {
        service: SERVICE_NAMES[i % 4] as ServiceName,
        errorCode: `Code${i % 7}`,
        requestParameters: {
          queryString: `SELECT * FROM t WHERE id = ${i} -- ${'pad '.repeat(40)}`,
          workGroup: 'wg',
        },
      }),
    );

    // Act
    const messages = SERVICE_NAMES.map((service) =>
      render(
        events.filter((e) => e.service === service),
        service,
      ),
    );

    // Assess
    expect(messages).toHaveLength(4);
    for (const message of messages) {
      expect(snsBytes(message)).toBe(message.publishBytes);
      expect(message.publishBytes).toBeLessThan(SNS_MAX_PUBLISH_BYTES);
      expect(message.publishBytes).toBeGreaterThan(SNS_MAX_PUBLISH_BYTES * 0.9); // the budget is used, not wasted
      const document = JSON.parse(
        (JSON.parse(message.message) as Record<string, string>).sqs as string,
      ) as AlertDocument;
      expect(document.failureCount).toBe(1250);
      expect(document.included).toBeGreaterThan(10);
      expect(document.included + document.omitted).toBe(1250);
      expect(document.events).toHaveLength(document.included);
      // The first N, in full and in order.
      const expected = events.filter((e) => e.service === document.service).slice(0, document.included);
      expect(document.events).toEqual(expected);
      expect(message.text).toMatch(/^\[7\/7\] StartQueryExecution failed 178 times: Code\d$/m);
      expect(message.subject).toBe(
        `trailwatch: 1250 failed ${{ glue: 'Glue', emr: 'EMR', athena: 'Athena', batch: 'Batch' }[document.service]} calls: StartQueryExecution Code${document.service === 'glue' ? 0 : document.service === 'emr' ? 1 : document.service === 'athena' ? 2 : 3}, +6 others (123456789012 us-east-1)`,
      );
    }
  });

  test('5,000 distinct signatures with suppressions still fit', () => {
    // Prepare: every failure its own signature and an earlier suppression for each.
    const events = Array.from({ length: 5000 }, (_, i) =>
      failure(i, { eventName: `Op${i}`, errorCode: `Code${i}` }),
    );
    const earlier = events.map((e, i) => ({ signature: signatureOf(e), count: i + 1, reportedTotal: i + 1 }));

    // Act
    const rendered = render(events, 'athena', { earlierSuppressed: earlier, suppressedInFile: 12 });

    // Assess
    expect(rendered.publishBytes).toBeLessThan(SNS_MAX_PUBLISH_BYTES);
    expect(rendered.document.groups).toHaveLength(50);
    expect(rendered.document.groupsOmitted).toBe(4950);
    expect(rendered.document.suppressed.earlier).toHaveLength(50);
    expect(rendered.document.suppressed.earlier[0]?.count).toBe(5000); // largest first
    expect(rendered.document.suppressed.earlierTotal).toBe((5000 * 5001) / 2);
    expect(rendered.document.errorCodes).toHaveLength(50);
    expect(rendered.document.errorCodesOmitted).toBe(4950);
    expect(JSON.parse(rendered.messageAttributes.errorCode?.StringValue ?? '')).toHaveLength(50);
  });

  test('one event too large to fit whole is sent without its payloads and listed as trimmed', () => {
    // Prepare: a 300 KB request (e.g. a Glue table with a huge schema).
    const big = failure(1, {
      requestParameters: { blob: 'x'.repeat(300_000) },
      responseElements: { other: 'y' },
    });

    // Act
    const rendered = render([big, failure(2)]);

    // Assess
    expect(rendered.publishBytes).toBeLessThan(SNS_MAX_PUBLISH_BYTES);
    expect(rendered.document.trimmed).toEqual([big.eventId]);
    expect(rendered.document.included).toBe(1);
    expect(rendered.document.omitted).toBe(1);
    expect(rendered.document.events[0]).not.toHaveProperty('requestParameters');
    expect(rendered.document.events[0]).toMatchObject({
      eventId: big.eventId,
      errorCode: 'InvalidRequestException',
    });
  });
});

describe('the 256 KB limit with huge summaries', () => {
  // An IAM role ARN with a path near IAM's 512-character limit: about 700 characters in all.
  const longRoleArn = (i: number): string =>
    `arn:aws:iam::123456789012:role/${'team/'.repeat(100)}${'p'.repeat(150)}/etl-${String(i).padStart(5, '0')}`;

  test("the reviewer's case: 5,000 failures from distinct 700-character roles fit, with events", () => {
    // Prepare: each failure its own signature (role, eventName, errorCode of plausible maximum length)
    // and an earlier suppression of each, so the summary alone would be hundreds of kilobytes.
    const events = Array.from({ length: 5000 }, (_, i) =>
      failure(i, {
        eventName: `Op${String(i).padStart(5, '0')}${'N'.repeat(120)}`,
        errorCode: `Code${String(i).padStart(5, '0')}${'E'.repeat(120)}`,
        principal: {
          type: 'AssumedRole',
          arn: `arn:aws:sts::123456789012:assumed-role/etl-${i}/session-${i}`,
          accountId: '123456789012',
          sessionIssuerArn: longRoleArn(i),
        },
      }),
    );
    expect(longRoleArn(0).length).toBeGreaterThan(690);
    const earlier = events.map((e, i) => ({ signature: signatureOf(e), count: i + 1, reportedTotal: i + 1 }));

    // Act
    const rendered = render(events, 'athena', { earlierSuppressed: earlier, suppressedInFile: 3 });

    // Assess: measured as the publisher measures it, and still carrying events.
    expect(snsBytes(rendered)).toBe(rendered.publishBytes);
    expect(rendered.publishBytes).toBeLessThanOrEqual(SNS_MAX_PUBLISH_BYTES);
    const document = JSON.parse(
      (JSON.parse(rendered.message) as Record<string, string>).sqs as string,
    ) as AlertDocument;
    expect(document).toEqual(rendered.document);
    expect(document.included).toBeGreaterThan(0);
    expect(document.groups.length + document.groupsOmitted).toBe(5000);
    expect(document.errorCodes.length + document.errorCodesOmitted).toBe(5000);
    for (const group of [...document.groups, ...document.suppressed.earlier]) {
      expect(group.principal).toHaveLength(256);
      expect(group.principal.endsWith('...')).toBe(true);
      expect(group.principal.startsWith('arn:aws:iam::123456789012:role/team/')).toBe(true);
    }
    expect(document.suppressed.earlierTotal).toBe((5000 * 5001) / 2);
  });

  test('hostile field values of hundreds of kilobytes never exceed the limit', () => {
    // Prepare: every free-text field huge, distinct and made of characters JSON escapes twice
    // (a control character costs 7 bytes in the publish), plus a huge `since`.
    const huge = (tag: string, i: number): string => `${tag}${i}:${'\u0001x'.repeat(10_000)}`;
    const events = Array.from({ length: 60 }, (_, i) =>
      failure(i, {
        eventName: huge('name', i),
        errorCode: huge('code', i),
        errorMessage: huge('message', i),
        eventId: huge('id', i),
        accountId: huge('account', 0),
        region: huge('region', 0),
        sourceIp: huge('ip', i),
        userAgent: huge('agent', i),
        principal: { type: 'IAMUser', arn: huge('arn', i), userName: huge('user', i) },
        resources: [{ type: 'athena:workgroup', id: huge('resource', i) }],
        requestParameters: { blob: huge('request', i) },
      }),
    );
    const earlier = events.map((e, i) => ({
      signature: signatureOf(e),
      count: i + 1,
      reportedTotal: i + 1,
      since: huge('since', i),
    }));

    // Act
    const source = { bucket: huge('bucket', 0), key: huge('key', 0) };
    const rendered = render(events, 'athena', { earlierSuppressed: earlier, suppressedInFile: 1, source });

    // Assess
    expect(snsBytes(rendered)).toBe(rendered.publishBytes);
    expect(rendered.publishBytes).toBeLessThanOrEqual(SNS_MAX_PUBLISH_BYTES);
    expect(rendered.subject.length).toBeLessThanOrEqual(100);
    expect(rendered.document.failureCount).toBe(60);
    expect(rendered.document.accountId.length).toBeLessThanOrEqual(256);
    for (const code of JSON.parse(rendered.messageAttributes.errorCode?.StringValue ?? '[]') as string[]) {
      expect(code.length).toBeLessThanOrEqual(256);
    }
    // No cut link in the text: a link too long to be usable is left out.
    expect(rendered.text).not.toContain('https://');
  });

  test('a limit too small for even the counts is an error, never an oversize message', () => {
    // Act and Assess
    expect(() =>
      renderAlert(
        {
          service: 'athena',
          source: SOURCE,
          events: [failure(1)],
          suppressedInFile: 0,
          earlierSuppressed: [],
          windowMinutes: 60,
        },
        { maxPublishBytes: 500 },
      ),
    ).toThrow(/does not fit in 500 bytes/);
  });
});
