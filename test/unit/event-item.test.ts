import {
  EventItemError,
  fromEventItem,
  toEventItem,
  truncateUtf8,
  utf8Length,
} from '../../lambdas/core/event-item';
import { normalizeRecord } from '../../lambdas/core/normalize';
import type { NormalizedEvent } from '../../lambdas/core/normalized-event';
import { peakSecond } from '../../bench/scale-traffic';
import { seededRandom } from '../../local/seeded-random';
import { seedRecords } from '../../local/seed-records';

const SOURCE = {
  bucket: 'trail-bucket',
  key: 'AWSLogs/123456789012/CloudTrail/us-east-1/2017/10/11/f.json.gz',
};
const OPTIONS = { retentionDays: 365, payloadMaxBytes: 32_768, ingestedAt: new Date('2017-10-11T22:35:00Z') };

function event(overrides: Partial<NormalizedEvent> = {}): NormalizedEvent {
  return {
    service: 'glue',
    eventSource: 'glue.amazonaws.com',
    eventName: 'StartJobRun',
    eventTime: '2017-10-11T22:29:49Z',
    eventId: 'e73dd117-cfd1-47d1-9e2f-d1271cad838c',
    requestId: 'b16f4050-aed3-11e7-b0b3-75564a46954f',
    eventType: 'AwsApiCall',
    eventVersion: '1.05',
    accountId: '123456789012',
    region: 'us-east-1',
    principal: { type: 'IAMUser', arn: 'arn:aws:iam::123456789012:user/johndoe', userName: 'johndoe' },
    sourceIp: '72.21.198.64',
    userAgent: 'aws-cli/1.11.148',
    failed: true,
    errorCode: 'ConcurrentRunsExceededException',
    errorMessage: 'Concurrent runs exceeded for nightly-etl',
    resources: [
      { type: 'glue:job', id: 'nightly-etl' },
      { type: 'glue:job', id: 'other' },
    ],
    requestParameters: { jobName: 'nightly-etl' },
    responseElements: null,
    ...overrides,
  };
}

describe('toEventItem', () => {
  it('writes the keys, the index keys and every field of a failed event', () => {
    // Act
    const item = toEventItem(event(), SOURCE, OPTIONS);
    // Assess: the whole item, so an extra or missing attribute fails too.
    expect(item).toEqual({
      // FNV-1a of the eventId, modulo glue's 32 shards, is 10.
      pk: 'glue#2017-10-11#10',
      sk: '2017-10-11T22:29:49Z#e73dd117-cfd1-47d1-9e2f-d1271cad838c',
      service: 'glue',
      // No eventId (it is in sk), eventSource (glue's own) or eventType (AwsApiCall): see below.
      eventName: 'StartJobRun',
      eventTime: '2017-10-11T22:29:49Z',
      requestId: 'b16f4050-aed3-11e7-b0b3-75564a46954f',
      eventVersion: '1.05',
      accountId: '123456789012',
      region: 'us-east-1',
      // The ARN once, as the index key, not again inside the principal.
      principal: { type: 'IAMUser', userName: 'johndoe' },
      principalArn: 'arn:aws:iam::123456789012:user/johndoe',
      sourceIp: '72.21.198.64',
      userAgent: 'aws-cli/1.11.148',
      failed: true,
      errorCode: 'ConcurrentRunsExceededException',
      errorMessage: 'Concurrent runs exceeded for nightly-etl',
      resources: [
        { type: 'glue:job', id: 'nightly-etl' },
        { type: 'glue:job', id: 'other' },
      ],
      resourceKey: '123456789012#us-east-1#glue:job#nightly-etl',
      failurePk: 'glue#2017-10-11#10',
      requestParameters: '{"jobName":"nightly-etl"}',
      // No responseElements: CloudTrail's null response, the usual one.
      s3Bucket: 'trail-bucket',
      s3Key: SOURCE.key,
      ingestedAt: '2017-10-11T22:35:00.000Z',
      expiresAt: 1507760989 + 365 * 86_400,
    });
  });

  it('leaves out the sparse index keys of a successful call with no resource and no ARN', () => {
    // Prepare
    const e = event({
      failed: false,
      errorCode: undefined,
      errorMessage: undefined,
      resources: [],
      principal: { type: 'AWSService', invokedBy: 'glue.amazonaws.com' },
      requestParameters: undefined,
      responseElements: undefined,
    });
    // Act
    const item = toEventItem(e, SOURCE, OPTIONS);
    // Assess
    for (const absent of ['failurePk', 'resourceKey', 'principalArn', 'errorCode', 'requestParameters']) {
      expect(item).not.toHaveProperty(absent);
    }
    // No response at all, unlike the usual null one (left out), is said by a null.
    expect(item.responseElements).toBeNull();
    expect(fromEventItem(item)).not.toHaveProperty('responseElements');
    expect(Object.values(item)).not.toContain(undefined);
  });

  it.each([
    ['an empty ARN', { principal: { type: 'IAMUser', arn: '' } }, 'principalArn'],
    [
      'an ARN over 2048 bytes',
      { principal: { type: 'IAMUser', arn: `arn:aws:iam::1:user/${'u'.repeat(2040)}` } },
      'principalArn',
    ],
    [
      'a resource key over 2048 bytes',
      { resources: [{ type: 'glue:job', id: 'j'.repeat(2040) }] },
      'resourceKey',
    ],
  ])('leaves an event with %s out of that index instead of failing its batch', (_name, change, absent) => {
    const item = toEventItem(event(change as Partial<NormalizedEvent>), SOURCE, OPTIONS);
    expect(item).not.toHaveProperty(absent);
    expect(item.pk).toBe('glue#2017-10-11#10');
  });

  it('uses the UTC day of the event time, not of the write, for pk and failurePk', () => {
    const item = toEventItem(event({ eventTime: '2017-12-31T23:59:59Z' }), SOURCE, {
      ...OPTIONS,
      ingestedAt: new Date('2018-01-01T00:10:00Z'),
    });
    expect([item.pk, item.failurePk]).toEqual(['glue#2017-12-31#10', 'glue#2017-12-31#10']);
  });

  it('is deterministic: expiresAt counts from the event, whatever the write time', () => {
    // Act
    const a = toEventItem(event(), SOURCE, OPTIONS);
    const b = toEventItem(event(), SOURCE, OPTIONS);
    const later = toEventItem(event(), SOURCE, { ...OPTIONS, ingestedAt: new Date('2019-01-01T00:00:00Z') });
    // Assess
    expect(b).toEqual(a);
    expect(later.expiresAt).toBe(a.expiresAt);
    expect(toEventItem(event(), SOURCE, { ...OPTIONS, retentionDays: 30 }).expiresAt).toBe(
      1507760989 + 30 * 86_400,
    );
  });

  describe('payload cap', () => {
    const cap = 64;
    it.each([
      ['fits exactly', 'x'.repeat(cap - 2), false],
      ['one byte over', 'x'.repeat(cap - 1), true],
      ['multi-byte characters straddling the cap', 'é'.repeat(40), true],
      ['4-byte emoji straddling the cap', '😀'.repeat(20), true],
    ])('%s', (_name, text, truncated) => {
      // Prepare: JSON of a string is the text plus two quotes.
      const e = event({ requestParameters: text, responseElements: { big: text } });
      // Act
      const item = toEventItem(e, SOURCE, { ...OPTIONS, payloadMaxBytes: cap });
      // Assess
      expect(utf8Length(item.requestParameters ?? '')).toBeLessThanOrEqual(cap);
      expect(item.requestParametersTruncated).toBe(truncated ? true : undefined);
      expect(item.responseElementsTruncated).toBe(true);
      expect(item.requestParameters).not.toContain('\uFFFD');
      expect(JSON.stringify(text).startsWith(item.requestParameters ?? '?')).toBe(true);
    });
  });

  it('keeps an item with thousands of resources under the 400 KB item limit, resourceKey from the first', () => {
    // Prepare
    const resources = Array.from({ length: 20_000 }, (_, i) => ({
      type: 'glue:job',
      id: `job-${i}-${'n'.repeat(20)}`,
    }));
    // Act
    const item = toEventItem(event({ resources }), SOURCE, OPTIONS);
    // Assess
    expect(utf8Length(JSON.stringify(item))).toBeLessThan(400_000);
    expect(item.resourcesTruncated).toBe(true);
    expect(item.resources.length).toBeGreaterThan(1000);
    expect(item.resourceKey).toBe(`123456789012#us-east-1#glue:job#job-0-${'n'.repeat(20)}`);
  });

  it('refuses an event whose time is not a time', () => {
    expect(() => toEventItem(event({ eventTime: 'yesterday' }), SOURCE, OPTIONS)).toThrow(EventItemError);
  });

  describe('sort key order', () => {
    it('keys a fractional time by its second and keeps the eventTime attribute as given', () => {
      // Act
      const item = toEventItem(
        event({ eventTime: '2017-10-11T22:29:59.500Z', eventId: 'b' }),
        SOURCE,
        OPTIONS,
      );
      // Assess
      expect(item.sk).toBe('2017-10-11T22:29:59Z#b');
      expect(item.eventTime).toBe('2017-10-11T22:29:59.500Z');
    });

    it('sorts keys lexically in time order across whole and fractional seconds', () => {
      // Prepare: in time order; the fraction in the middle once sorted before the whole second ('.' < 'Z').
      const times = [
        ['2017-10-11T22:29:58.999Z', 'z'],
        ['2017-10-11T22:29:59Z', 'a'],
        ['2017-10-11T22:29:59.500Z', 'b'],
        ['2017-10-11T22:30:00Z', 'a'],
        ['2017-10-11T22:30:00.001Z', 'c'],
      ] as const;
      // Act
      const keys = times.map(
        ([eventTime, eventId]) => toEventItem(event({ eventTime, eventId }), SOURCE, OPTIONS).sk,
      );
      // Assess: ties within a second go by eventId, every second after the one before.
      expect([...keys].sort()).toEqual(keys);
      expect(keys).toEqual([
        '2017-10-11T22:29:58Z#z',
        '2017-10-11T22:29:59Z#a',
        '2017-10-11T22:29:59Z#b',
        '2017-10-11T22:30:00Z#a',
        '2017-10-11T22:30:00Z#c',
      ]);
    });
  });
});

describe('fromEventItem', () => {
  it('gives back the normalized event with its provenance', () => {
    // Prepare
    const original = event();
    // Act
    const stored = fromEventItem(toEventItem(original, SOURCE, OPTIONS));
    // Assess
    expect(stored).toEqual({
      ...original,
      source: SOURCE,
      ingestedAt: '2017-10-11T22:35:00.000Z',
      expiresAt: 1507760989 + 365 * 86_400,
    });
  });

  it('hands back a cut payload as its text, flagged', () => {
    const stored = fromEventItem(
      toEventItem(event({ requestParameters: { q: 'y'.repeat(100) } }), SOURCE, {
        ...OPTIONS,
        payloadMaxBytes: 20,
      }),
    );
    expect(stored.requestParameters).toBe('{"q":"yyyyyyyyyyyyyy');
    expect(stored.requestParametersTruncated).toBe(true);
  });

  it.each([
    [{ pk: 'x', sk: 'y' }, 'service'],
    ['failed', 'failed'],
    ['expiresAt', 'expiresAt'],
  ])('names the first bad field (%p)', (change, field) => {
    // Prepare
    const item: Record<string, unknown> = { ...toEventItem(event(), SOURCE, OPTIONS) };
    if (typeof change === 'string') item[change] = 'not-the-right-type';
    else {
      for (const key of Object.keys(item)) delete item[key];
      Object.assign(item, change);
    }
    // Act + Assess
    expect(() => fromEventItem(item)).toThrow(new RegExp(`: ${field}: `));
  });
});

describe('attributes left out of the item (docs/table.md)', () => {
  const SESSION = 'arn:aws:sts::123456789012:assumed-role/etl-runner/nightly';
  const session = (principal: Partial<NormalizedEvent['principal']>): NormalizedEvent =>
    event({ principal: { type: 'AssumedRole', arn: SESSION, ...principal } as NormalizedEvent['principal'] });

  it('leaves out of a role session what its ARN says, and gives all of it back', () => {
    // Prepare: what CloudTrail gives for an assumed role without a path.
    const original = session({
      accountId: '123456789012',
      principalId: 'AROAEXAMPLE:nightly',
      userName: 'etl-runner',
      sessionIssuerArn: 'arn:aws:iam::123456789012:role/etl-runner',
    });
    // Act
    const item = toEventItem(original, SOURCE, OPTIONS);
    // Assess: only what the ARN cannot say is stored.
    expect(item.principal).toEqual({ principalId: 'AROAEXAMPLE:nightly' });
    expect(fromEventItem(item).principal).toEqual(original.principal);
  });

  it.each<[string, Partial<NormalizedEvent['principal']>, Record<string, unknown>]>([
    [
      'a role with a path (its issuer ARN is stored)',
      {
        accountId: '123456789012',
        userName: 'etl-runner',
        sessionIssuerArn: 'arn:aws:iam::123456789012:role/service-role/etl-runner',
      },
      { sessionIssuerArn: 'arn:aws:iam::123456789012:role/service-role/etl-runner' },
    ],
    [
      'fields CloudTrail left out (null, not rebuilt; no issuer, so no userName is rebuilt either)',
      {},
      { sessionIssuerArn: null, accountId: null },
    ],
    [
      'values that differ from the ARN',
      { type: 'FederatedUser', accountId: '999999999999', userName: 'someone' },
      { type: 'FederatedUser', accountId: '999999999999', userName: 'someone', sessionIssuerArn: null },
    ],
  ])('keeps %s', (_name, principal, stored) => {
    // Act
    const original = session(principal);
    const item = toEventItem(original, SOURCE, OPTIONS);
    // Assess
    expect(item.principal).toEqual(stored);
    expect(fromEventItem(item)).toEqual(expect.objectContaining({ principal: original.principal }));
  });

  it.each<[string, Partial<NormalizedEvent>, Record<string, unknown>]>([
    [
      'an EMR Serverless eventSource',
      { service: 'emr', eventSource: 'emr-serverless.amazonaws.com' },
      { eventSource: 'emr-serverless.amazonaws.com' },
    ],
    ['another eventType', { eventType: 'AwsServiceEvent' }, { eventType: 'AwsServiceEvent' }],
    ['no eventType (null)', { eventType: undefined }, { eventType: null }],
    ['a response', { responseElements: { jobRunId: 'jr_1' } }, { responseElements: '{"jobRunId":"jr_1"}' }],
    ['no response (null)', { responseElements: undefined }, { responseElements: null }],
  ])('stores %s and reads it back', (_name, change, stored) => {
    // Act
    const original = event(change);
    const item = toEventItem(original, SOURCE, OPTIONS);
    // Assess
    expect(item).toEqual(expect.objectContaining(stored));
    expect(fromEventItem(item)).toEqual({
      ...original,
      source: SOURCE,
      ingestedAt: '2017-10-11T22:35:00.000Z',
      expiresAt: 1507760989 + 365 * 86_400,
    });
  });

  it('gives back every event of the seed records and of one peak second of the benchmark organization', () => {
    // Prepare: real identity shapes (users, role sessions, services) and every tenth of the 9,002
    // generated calls (each call mix entry and identity shape many times over).
    const records = [
      ...seedRecords().map((seed) => seed.record),
      ...peakSecond(seededRandom(20240501))
        .flatMap((file) => file.records)
        .filter((_, i) => i % 10 === 0),
    ];
    let compacted = 0;
    for (const record of records) {
      const result = normalizeRecord(record);
      if (!result.ok) continue;
      // Act
      const item = toEventItem(result.event, SOURCE, OPTIONS);
      // Assess: what went in comes out, whatever was left out of the item.
      expect(fromEventItem(item)).toEqual({
        ...result.event,
        source: SOURCE,
        ingestedAt: OPTIONS.ingestedAt.toISOString(),
        expiresAt: expect.any(Number) as number,
      });
      if (item.eventId === undefined && item.principal.type === undefined) compacted++;
    }
    // The generated role sessions were left out of their items (so the rules really ran).
    expect(compacted).toBeGreaterThan(850);
  });

  it('stores no principal field of an identity without a session ARN away', () => {
    const original = event({
      principal: {
        type: 'IAMUser',
        arn: 'arn:aws:iam::123456789012:user/jo',
        accountId: '123456789012',
        userName: 'jo',
      },
    });
    const item = toEventItem(original, SOURCE, OPTIONS);
    expect(item.principal).toEqual({ type: 'IAMUser', accountId: '123456789012', userName: 'jo' });
    expect(fromEventItem(item).principal).toEqual(original.principal);
  });
});

describe('truncateUtf8', () => {
  it('never splits a character and never exceeds the cap', () => {
    const text = 'aé😀中'.repeat(50);
    for (let cap = 0; cap < 120; cap++) {
      const cut = truncateUtf8(text, cap);
      expect(utf8Length(cut)).toBeLessThanOrEqual(cap);
      expect(text.startsWith(cut)).toBe(true);
      expect(utf8Length(cut)).toBeGreaterThan(cap - 4);
    }
  });
});
