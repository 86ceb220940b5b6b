// normalizeRecord on good and bad records: the schema's leniency, skip reasons naming the field,
// time normalization to UTC `Z`, and "never throws" on arbitrary input.
import fc from 'fast-check';
import { cloudTrailRecordSchema } from '../../lambdas/core/cloudtrail-record';
import { normalizeEventTime } from '../../lambdas/core/event-time';
import { normalizeRecord } from '../../lambdas/core/normalize';

function minimal(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventTime: '2024-05-01T08:00:00Z',
    eventSource: 'batch.amazonaws.com',
    eventName: 'ListJobs',
    eventID: '874f89fa-70fc-4798-bc00-EXAMPLE',
    ...overrides,
  };
}

const REASONS = [
  'invalid-record',
  'missing-field',
  'invalid-field',
  'invalid-time',
  'unwatched-service',
  'normalize-error',
];

describe('records that are not objects', () => {
  it.each([
    ['null', null],
    ['a number', 42],
    ['a string', '{"eventName":"x"}'],
    ['a list', [minimal()]],
    ['a boolean', true],
    ['undefined', undefined],
  ])('%s is skipped as invalid-record', (_label, raw) => {
    // Act
    const result = normalizeRecord(raw);
    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'invalid-record' });
  });
});

describe('required fields', () => {
  it.each(['eventSource', 'eventName', 'eventTime', 'eventID'])(
    'a record without %s is skipped as missing-field, naming it',
    (field) => {
      // Prepare
      const raw = minimal();
      delete raw[field];
      // Act
      const result = normalizeRecord(raw);
      // Assess
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.reason).toBe('missing-field');
      expect(result.message).toContain(field);
    },
  );

  it.each(['eventSource', 'eventName', 'eventTime', 'eventID'])(
    'an empty or null %s counts as missing',
    (field) => {
      // Act
      const empty = normalizeRecord(minimal({ [field]: '' }));
      const nulled = normalizeRecord(minimal({ [field]: null }));
      // Assess
      expect(empty).toMatchObject({ ok: false, reason: 'missing-field' });
      expect(nulled).toMatchObject({ ok: false, reason: 'missing-field' });
    },
  );

  it('names the first required field when several are missing', () => {
    // Act
    const result = normalizeRecord({ eventSource: 'glue.amazonaws.com' });
    // Assess
    expect(result).toEqual({ ok: false, reason: 'missing-field', message: 'eventName is missing' });
  });

  it('an eventName that is not a string is an invalid-field', () => {
    // Act
    const result = normalizeRecord(minimal({ eventName: 7 }));
    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'invalid-field' });
    expect(!result.ok && result.message).toMatch(/^eventName /);
  });

  it('an optional field of the wrong type is an invalid-field naming it', () => {
    // Act
    const result = normalizeRecord(minimal({ userIdentity: 'root' }));
    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'invalid-field' });
    expect(!result.ok && result.message).toMatch(/^userIdentity /);
  });

  it('an eventSource of another service is unwatched-service', () => {
    // Act
    const result = normalizeRecord(minimal({ eventSource: 's3.amazonaws.com', eventID: undefined }));
    // Assess
    expect(result).toEqual({
      ok: false,
      reason: 'unwatched-service',
      message: 'eventSource s3.amazonaws.com is not a watched service',
    });
  });

  it('the Batch seed’s eventID, which is not a UUID, is accepted', () => {
    // Act
    const result = normalizeRecord(minimal());
    // Assess
    expect(result.ok && result.event.eventId).toBe('874f89fa-70fc-4798-bc00-EXAMPLE');
  });
});

describe('eventTime', () => {
  it.each([
    ['2017-05-16T22:00:58Z', '2017-05-16T22:00:58Z'],
    ['2024-01-01T02:00:00+02:00', '2024-01-01T00:00:00Z'],
    ['2024-01-01T00:00:00-0530', '2024-01-01T05:30:00Z'],
    ['2019-12-31T23:30:00-01:00', '2020-01-01T00:30:00Z'],
    ['2024-01-01T00:00:00.123Z', '2024-01-01T00:00:00.123Z'],
    ['2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00Z'],
    ['2024-01-01T00:00:00.123456789+01:00', '2023-12-31T23:00:00.123Z'],
    ['2024-01-01T00:00:00', '2024-01-01T00:00:00Z'],
    ['2024-02-29T12:00:00z', '2024-02-29T12:00:00Z'],
    ['2024-02-29T23:59:59.9999Z', '2024-02-29T23:59:59.999Z'],
    ['0050-06-01T00:00:00Z', '0050-06-01T00:00:00Z'],
  ])('%s becomes %s', (input, expected) => {
    // Act
    const result = normalizeRecord(minimal({ eventTime: input }));
    // Assess
    expect(result.ok && result.event.eventTime).toBe(expected);
  });

  it.each([
    ['words', 'yesterday'],
    ['month 13', '2024-13-01T00:00:00Z'],
    ['29 February of a common year', '2023-02-29T00:00:00Z'],
    ['31 April', '2024-04-31T00:00:00Z'],
    ['hour 24', '2024-01-01T24:00:00Z'],
    ['minute 60', '2024-01-01T00:60:00Z'],
    ['a date without time', '2024-01-01'],
    ['an offset of 25 hours', '2024-01-01T00:00:00+25:00'],
    ['a number', 1714550400],
    ['an object', { time: 'now' }],
  ])('%s is an invalid-time', (_label, input) => {
    // Act
    const result = normalizeRecord(minimal({ eventTime: input }));
    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'invalid-time' });
    expect(!result.ok && result.message).toMatch(/^eventTime /);
  });

  it('normalizeEventTime agrees with Date on random instants and offsets', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('1990-01-01T00:00:00Z'),
          max: new Date('2090-01-01T00:00:00Z'),
          noInvalidDate: true,
        }),
        fc.integer({ min: -14 * 60, max: 14 * 60 }),
        (date, offsetMinutes) => {
          // Prepare: write the instant in local time at the offset, whole seconds, as CloudTrail would.
          const instant = Math.floor(date.getTime() / 1000) * 1000;
          const local = new Date(instant + offsetMinutes * 60_000).toISOString().slice(0, 19);
          const sign = offsetMinutes < 0 ? '-' : '+';
          const abs = Math.abs(offsetMinutes);
          const text = `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          // Act
          const normalized = normalizeEventTime(text);
          // Assess
          expect(normalized).toBe(new Date(instant).toISOString().slice(0, 19) + 'Z');
        },
      ),
    );
  });
});

describe('leniency', () => {
  it.each(['1.01', '1.02', '1.03', '1.04', '1.05', '1.06', '1.07', '1.08', '1.09', '1.10', '1.11'])(
    'eventVersion %s is accepted and kept',
    (version) => {
      // Act
      const result = normalizeRecord(minimal({ eventVersion: version }));
      // Assess
      expect(result.ok && result.event.eventVersion).toBe(version);
    },
  );

  it('accepts every optional field CloudTrail documents, null responseElements included', () => {
    // Prepare
    const raw = minimal({
      eventVersion: '1.11',
      userIdentity: { type: 'AWSService', invokedBy: 'batch.amazonaws.com' },
      awsRegion: 'eu-west-1',
      sourceIPAddress: 'batch.amazonaws.com',
      userAgent: 'batch.amazonaws.com',
      requestParameters: null,
      responseElements: null,
      additionalEventData: { x: 1 },
      requestID: 'req-1',
      readOnly: true,
      resources: [
        {
          ARN: 'arn:aws:batch:eu-west-1:123456789012:job-queue/q',
          accountId: '123456789012',
          type: 'AWS::Batch::JobQueue',
        },
      ],
      eventType: 'AwsApiCall',
      apiVersion: '2016-08-10',
      managementEvent: true,
      recipientAccountId: '123456789012',
      sharedEventID: 'shared-1',
      vpcEndpointId: 'vpce-1',
      eventCategory: 'Management',
      tlsDetails: {
        tlsVersion: 'TLSv1.3',
        cipherSuite: 'TLS_AES_128_GCM_SHA256',
        clientProvidedHostHeader: 'batch.eu-west-1.amazonaws.com',
      },
      addendum: { reason: 'DELIVERY_DELAY' },
      sessionCredentialFromConsole: 'true',
      edgeDeviceDetails: {},
      serviceEventDetails: {},
    });
    // Act
    const result = normalizeRecord(raw);
    // Assess
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.event).toMatchObject({
      region: 'eu-west-1',
      sourceIp: 'batch.amazonaws.com',
      requestId: 'req-1',
      readOnly: true,
      eventType: 'AwsApiCall',
      accountId: '123456789012',
      requestParameters: null,
      responseElements: null,
    });
  });

  it('passes unknown fields through the schema untouched', () => {
    // Prepare
    const raw = minimal({
      someFutureField: { nested: [1, 2] },
      userIdentity: { type: 'IAMUser', someFutureIdentityField: 'x' },
    });
    // Act
    const parsed = cloudTrailRecordSchema().parse(raw);
    // Assess
    expect(parsed).toMatchObject({
      someFutureField: { nested: [1, 2] },
      userIdentity: { someFutureIdentityField: 'x' },
    });
  });

  it('leaves absent optional fields out of the event instead of setting them undefined', () => {
    // Act
    const result = normalizeRecord(minimal());
    // Assess
    expect(result.ok && Object.keys(result.event)).toEqual([
      'service',
      'eventSource',
      'eventName',
      'eventTime',
      'eventId',
      'principal',
      'failed',
      'resources',
    ]);
  });
});

describe('never throws', () => {
  it('on arbitrary values', () => {
    fc.assert(
      fc.property(fc.anything(), (raw) => {
        // Act
        const result = normalizeRecord(raw);
        // Assess
        expect(result.ok || REASONS.includes(result.reason)).toBe(true);
      }),
    );
  });

  it('on records with the required fields and arbitrary other content', () => {
    const services = fc.constantFrom(
      'glue.amazonaws.com',
      'elasticmapreduce.amazonaws.com',
      'athena.amazonaws.com',
      'batch.amazonaws.com',
    );
    const fields = fc.dictionary(
      fc.constantFrom(
        'requestParameters',
        'responseElements',
        'userIdentity',
        'errorCode',
        'readOnly',
        'resources',
        'recipientAccountId',
        'extra',
      ),
      fc.jsonValue(),
    );
    fc.assert(
      fc.property(services, fc.string({ minLength: 1 }), fields, (eventSource, eventName, extra) => {
        // Prepare
        const raw = { ...extra, eventSource, eventName, eventTime: '2024-05-01T08:00:00Z', eventID: 'e' };
        // Act
        const result = normalizeRecord(raw);
        // Assess
        if (result.ok) {
          expect(result.event.resources.every((r) => typeof r.id === 'string' && r.id !== '')).toBe(true);
        } else {
          expect(['invalid-field']).toContain(result.reason);
        }
      }),
    );
  });
});
