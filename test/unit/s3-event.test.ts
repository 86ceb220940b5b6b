import { decodeS3EventKey, encodeS3EventKey, parseIngestEvent } from '../../lambdas/core/s3-event';

function s3Record(key: string, overrides: Record<string, unknown> = {}) {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: 'us-east-1',
    eventTime: '2024-01-31T23:56:01.123Z',
    eventName: 'ObjectCreated:Put',
    s3: {
      s3SchemaVersion: '1.0',
      bucket: { name: 'logs', arn: 'arn:aws:s3:::logs' },
      object: { key, size: 1234, eTag: 'abc', sequencer: '00' },
    },
    ...overrides,
  };
}

describe('S3 key encoding', () => {
  it.each([
    ['my+logs/AWSLogs/a.json.gz', 'my logs/AWSLogs/a.json.gz'],
    ['c%2B%2B/x.json.gz', 'c++/x.json.gz'],
    ['a+%2B+b', 'a + b'],
    ['caf%C3%A9/%281%29.json.gz', 'café/(1).json.gz'],
    ['plain/key.json.gz', 'plain/key.json.gz'],
  ])('decodes %s as %s', (encoded, key) => {
    expect(decodeS3EventKey(encoded)).toBe(key);
  });

  it('gives undefined for a malformed escape', () => {
    expect(decodeS3EventKey('bad%zz')).toBeUndefined();
  });

  it.each(['my logs+archive/AWSLogs/1/x.json.gz', "a b/c:d=e,f/(1)!*'~.json.gz", 'café/日本/x', '100%/x'])(
    'round-trips %s',
    (key) => {
      // Act
      const encoded = encodeS3EventKey(key);

      // Assess: no raw space or plus survives, and decoding restores the key.
      expect(encoded).not.toMatch(/ /);
      expect(encoded.includes('+') && key.includes('+') ? encoded.includes('%2B') : true).toBe(true);
      expect(decodeS3EventKey(encoded)).toBe(key);
    },
  );
});

describe('parseIngestEvent', () => {
  it('lists every record of an S3 notification, keys decoded, with size and delivery time', () => {
    // Prepare
    const event = {
      Records: [
        s3Record('my+logs%2Bx/AWSLogs/a.json.gz'),
        s3Record('b.json.gz', { eventName: 'ObjectRemoved:Delete' }),
      ],
    };

    // Act
    const result = parseIngestEvent(event);

    // Assess
    expect(result).toEqual({
      ok: true,
      objects: [
        {
          bucket: 'logs',
          key: 'my logs+x/AWSLogs/a.json.gz',
          size: 1234,
          eventName: 'ObjectCreated:Put',
          created: true,
          deliveredAt: new Date('2024-01-31T23:56:01.123Z'),
        },
        {
          bucket: 'logs',
          key: 'b.json.gz',
          size: 1234,
          eventName: 'ObjectRemoved:Delete',
          created: false,
          deliveredAt: new Date('2024-01-31T23:56:01.123Z'),
        },
      ],
      rejected: [],
    });
  });

  it('keeps a zero size (the object is empty) and omits a missing one', () => {
    const zero = s3Record('a.json.gz');
    zero.s3.object.size = 0;
    const missing = s3Record('b.json.gz');
    delete (missing.s3.object as { size?: number }).size;

    const result = parseIngestEvent({ Records: [zero, missing] });

    expect(result.ok && result.objects.map((o) => o.size)).toEqual([0, undefined]);
  });

  it('reads an EventBridge Object Created event, key as given', () => {
    // Prepare
    const event = {
      version: '0',
      id: 'c9888434',
      'detail-type': 'Object Created',
      source: 'aws.s3',
      account: '111122223333',
      time: '2024-01-31T23:56:02Z',
      region: 'us-east-1',
      resources: ['arn:aws:s3:::logs'],
      detail: {
        version: '0',
        bucket: { name: 'logs' },
        object: { key: 'my logs+x/AWSLogs/a.json.gz', size: 10, etag: 'e', sequencer: '1' },
        reason: 'PutObject',
      },
    };

    // Act
    const result = parseIngestEvent(event);

    // Assess
    expect(result).toEqual({
      ok: true,
      objects: [
        {
          bucket: 'logs',
          key: 'my logs+x/AWSLogs/a.json.gz',
          size: 10,
          eventName: 'Object Created',
          created: true,
          deliveredAt: new Date('2024-01-31T23:56:02Z'),
        },
      ],
      rejected: [],
    });
  });

  it("accepts S3's test event with no objects", () => {
    const result = parseIngestEvent({
      Service: 'Amazon S3',
      Event: 's3:TestEvent',
      Time: '2024-01-01T00:00:00Z',
      Bucket: 'logs',
      RequestId: 'r',
      HostId: 'h',
    });
    expect(result).toEqual({ ok: true, objects: [], rejected: [] });
  });

  it('reads the valid records of a notification when others are malformed (issue 15, case 9)', () => {
    // Prepare: a good record, one with a bad escape, one without a bucket, one not from S3, a good one.
    const noBucket = { ...s3Record('c.json.gz'), s3: { object: { key: 'c.json.gz' } } };
    const event = {
      Records: [
        s3Record('a.json.gz'),
        s3Record('bad%zz.json.gz'),
        noBucket,
        'not a record',
        s3Record('b%2Bc.json.gz'),
      ],
    };

    // Act
    const result = parseIngestEvent(event);

    // Assess: both valid objects, and each rejected record with its index, its field and what it names.
    if (!result.ok) throw new Error(result.message);
    expect(result.objects.map((o) => o.key)).toEqual(['a.json.gz', 'b+c.json.gz']);
    expect(result.rejected).toEqual([
      {
        index: 1,
        message: "Records.1.s3.object.key: 'bad%zz.json.gz' is not valid URL encoding",
        bucket: 'logs',
        key: 'bad%zz.json.gz',
      },
      { index: 2, message: expect.stringMatching(/^Records\.2\.s3\.bucket: /), key: 'c.json.gz' },
      { index: 3, message: expect.stringMatching(/^Records\.3: /) },
    ]);
  });

  it('names a long undecodable key cut to 200 characters', () => {
    const key = `${'k'.repeat(1000)}%zz`;
    const result = parseIngestEvent({ Records: [s3Record('a.json.gz'), s3Record(key)] });
    if (!result.ok) throw new Error(result.message);
    expect(result.rejected[0]?.message.length).toBeLessThan(300);
    expect(result.rejected[0]?.key).toBe(`${'k'.repeat(200)}…`);
  });

  it.each([
    ['null', null, /expected an event object/],
    ['a string', 'hello', /expected an event object/],
    ['an empty object', {}, /not an S3 notification/],
    ['no records', { Records: [] }, /Records/],
    [
      'a record without key',
      { Records: [{ ...s3Record('x'), s3: { bucket: { name: 'logs' }, object: {} } }] },
      /Records\.0\.s3\.object\.key/,
    ],
    [
      'another event source',
      { Records: [s3Record('x', { eventSource: 'aws:sqs' })] },
      /Records\.0\.eventSource/,
    ],
    ['a bad escape in a key', { Records: [s3Record('a%zz')] }, /not valid URL encoding/],
    [
      'two records, both bad',
      { Records: [s3Record('a%zz'), s3Record('b%zz')] },
      /^Records\.0\.s3\.object\.key: 'a%zz' is not valid URL encoding \(and 1 more records rejected\)$/,
    ],
    [
      'an EventBridge event of another type',
      {
        source: 'aws.s3',
        'detail-type': 'Object Deleted',
        detail: { bucket: { name: 'b' }, object: { key: 'k' } },
      },
      /detail-type/,
    ],
  ])('refuses %s, saying where', (_name, event, message) => {
    const result = parseIngestEvent(event);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(message);
  });
});
