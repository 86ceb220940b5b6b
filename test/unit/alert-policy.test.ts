import {
  fileId,
  groupByService,
  planServiceAlert,
  principalKey,
  signatureKey,
  signatureOf,
  windowActive,
  type SignatureWindow,
} from '../../lambdas/core/alert-policy';
import { cloudTrailEventUrl, resourceConsoleUrl } from '../../lambdas/core/console-links';
import { failure } from '../helpers/alert-events';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const MINUTE = 60_000;

describe('signatures', () => {
  test('same account, region, service, call, error and caller → same key; any difference → another', () => {
    // Prepare
    const base = failure(1);
    const variants = [
      failure(2, { accountId: '999999999999' }),
      failure(3, { region: 'eu-west-1' }),
      failure(4, { service: 'glue' }),
      failure(5, { eventName: 'GetQueryResults' }),
      failure(6, { errorCode: 'AccessDeniedException' }),
      failure(7, { principal: { type: 'IAMUser', arn: 'arn:aws:iam::123456789012:user/alice' } }),
    ];

    // Act
    const key = signatureKey(signatureOf(base));

    // Assess
    expect(
      signatureKey(
        signatureOf(failure(99, { errorMessage: 'other text', eventTime: '2026-01-01T00:00:00Z' })),
      ),
    ).toBe(key);
    expect(key).toMatch(/^sig#[0-9a-f]{32}$/);
    for (const variant of variants) expect(signatureKey(signatureOf(variant))).not.toBe(key);
  });

  test('field boundaries cannot collide', () => {
    const a = signatureOf(failure(1, { eventName: 'A', errorCode: 'B-C' }));
    const b = signatureOf(failure(1, { eventName: 'A-B', errorCode: 'C' }));
    expect(signatureKey(a)).not.toBe(signatureKey(b));
  });

  test.each([
    [{ type: 'IAMUser', arn: 'arn:aws:iam::1:user/a', principalId: 'P' }, 'arn:aws:iam::1:user/a'],
    [
      { type: 'AssumedRole', sessionIssuerArn: 'arn:aws:iam::1:role/r', principalId: 'P' },
      'arn:aws:iam::1:role/r',
    ],
    [
      // A poller's session name changes every run: the role is the stable caller.
      {
        type: 'AssumedRole',
        arn: 'arn:aws:sts::1:assumed-role/r/task-8f2c',
        sessionIssuerArn: 'arn:aws:iam::1:role/r',
      },
      'arn:aws:iam::1:role/r',
    ],
    [
      {
        type: 'FederatedUser',
        arn: 'arn:aws:sts::1:federated-user/f',
        sessionIssuerArn: 'arn:aws:iam::1:user/u',
      },
      'arn:aws:sts::1:federated-user/f',
    ],
    [{ type: 'AWSAccount', principalId: 'P' }, 'P'],
    [{ type: 'AWSService', invokedBy: 'glue.amazonaws.com' }, 'glue.amazonaws.com'],
    [{ type: 'Unknown' }, 'Unknown'],
  ])('principalKey(%j) = %s', (principal, expected) => {
    expect(principalKey(principal)).toBe(expected);
  });

  test('fileId is stable and distinguishes bucket from key', () => {
    expect(fileId({ bucket: 'b', key: 'k' })).toBe(fileId({ bucket: 'b', key: 'k' }));
    expect(fileId({ bucket: 'b/k', key: '' })).not.toBe(fileId({ bucket: 'b', key: '/k' }));
  });

  test('fileId follows the failures in the file: same ids in any order agree, other content differs', () => {
    const source = { bucket: 'b', key: 'k' };
    expect(fileId(source, ['e1', 'e2'])).toBe(fileId(source, ['e2', 'e1', 'e1']));
    expect(fileId(source, ['e1', 'e2'])).not.toBe(fileId(source, ['e1', 'e3']));
    expect(fileId(source, ['e1'])).not.toBe(fileId(source));
  });
});

describe('windowActive', () => {
  test.each([
    [undefined, false],
    [{ suppressedTotal: 0, reportedTotal: 0 }, false],
    [{ lastAlertedAt: NOW - 59 * MINUTE, suppressedTotal: 0, reportedTotal: 0 }, true],
    [{ lastAlertedAt: NOW - 60 * MINUTE, suppressedTotal: 0, reportedTotal: 0 }, false],
  ] as Array<[SignatureWindow | undefined, boolean]>)('%j → %s', (window, expected) => {
    expect(windowActive(window, NOW, 60)).toBe(expected);
  });
});

describe('planServiceAlert', () => {
  const repeated = failure(10);
  const other = failure(11, { errorCode: 'AccessDeniedException' });
  const fresh = failure(12, { eventName: 'StopQueryExecution' });
  const keyOf = (e: typeof repeated) => signatureKey(signatureOf(e));

  test('no windows: everything alerts, oldest first', () => {
    // Act
    const plan = planServiceAlert('athena', [fresh, repeated, other], new Map(), NOW, 60);

    // Assess
    expect(plan.alert.map((e) => e.eventId)).toEqual([repeated.eventId, other.eventId, fresh.eventId]);
    expect(plan.suppressed.size).toBe(0);
    expect(plan.earlierSuppressed).toEqual([]);
    expect([...plan.alertedSignatures.keys()].sort()).toEqual(
      [keyOf(repeated), keyOf(other), keyOf(fresh)].sort(),
    );
  });

  test('an open window suppresses its signature; a closed one alerts and reports what was suppressed', () => {
    // Prepare
    const windows = new Map<string, SignatureWindow>([
      [keyOf(repeated), { lastAlertedAt: NOW - 10 * MINUTE, suppressedTotal: 5, reportedTotal: 2 }],
      [keyOf(other), { lastAlertedAt: NOW - 61 * MINUTE, suppressedTotal: 9, reportedTotal: 2 }],
    ]);
    const sameAsRepeated = failure(13);

    // Act
    const plan = planServiceAlert('athena', [repeated, other, fresh, sameAsRepeated], windows, NOW, 60);

    // Assess
    expect(plan.alert.map((e) => e.eventId)).toEqual([other.eventId, fresh.eventId]);
    expect([...plan.suppressed.entries()].map(([k, v]) => [k, v.map((e) => e.eventId)])).toEqual([
      [keyOf(repeated), [repeated.eventId, sameAsRepeated.eventId]],
    ]);
    expect(plan.earlierSuppressed).toEqual([
      {
        signature: signatureOf(other),
        count: 7,
        since: new Date(NOW - 61 * MINUTE).toISOString(),
        reportedTotal: 9,
      },
    ]);
  });

  test('the window length is configurable', () => {
    const windows = new Map<string, SignatureWindow>([
      [keyOf(repeated), { lastAlertedAt: NOW - 10 * MINUTE, suppressedTotal: 0, reportedTotal: 0 }],
    ]);
    expect(planServiceAlert('athena', [repeated], windows, NOW, 5).alert).toHaveLength(1);
    expect(planServiceAlert('athena', [repeated], windows, NOW, 15).alert).toHaveLength(0);
  });
});

describe('groupByService', () => {
  test('stable service order, each group oldest first', () => {
    const groups = groupByService([
      failure(3, { service: 'batch' }),
      failure(2),
      failure(1, { service: 'glue' }),
      failure(0),
    ]);
    expect([...groups.keys()]).toEqual(['glue', 'athena', 'batch']);
    expect(groups.get('athena')?.map((e) => e.eventId)).toEqual(['evt-000000', 'evt-000002']);
  });
});

describe('console links', () => {
  test.each([
    [
      'glue',
      { type: 'glue:job', id: 'nightly etl' },
      'https://eu-west-1.console.aws.amazon.com/gluestudio/home?region=eu-west-1#/editor/job/nightly%20etl/details',
    ],
    [
      'glue',
      { type: 'glue:crawler', id: 'raw' },
      'https://eu-west-1.console.aws.amazon.com/glue/home?region=eu-west-1#/v2/data-catalog/crawlers/view/raw',
    ],
    [
      'emr',
      { type: 'emr:cluster', id: 'j-ABC' },
      'https://eu-west-1.console.aws.amazon.com/emr/home?region=eu-west-1#/clusterDetails/j-ABC',
    ],
    [
      'athena',
      { type: 'athena:query-execution', id: 'q-1' },
      'https://eu-west-1.console.aws.amazon.com/athena/home?region=eu-west-1#/query-editor/history/q-1',
    ],
    [
      'batch',
      { type: 'batch:job-queue', id: 'high' },
      'https://eu-west-1.console.aws.amazon.com/batch/home?region=eu-west-1#queues/detail/high',
    ],
    [
      'emr',
      { type: 'emr:step', id: 's-1' },
      'https://eu-west-1.console.aws.amazon.com/emr/home?region=eu-west-1#/clusters',
    ],
    ['batch', undefined, 'https://eu-west-1.console.aws.amazon.com/batch/home?region=eu-west-1#dashboard'],
  ] as const)('%s %j', (service, resource, expected) => {
    expect(resourceConsoleUrl(service, 'eu-west-1', resource)).toBe(expected);
  });

  test('partitions and bad regions', () => {
    expect(resourceConsoleUrl('glue', 'cn-north-1')).toBe(
      'https://console.amazonaws.cn/glue/home?region=cn-north-1',
    );
    expect(resourceConsoleUrl('glue', 'us-gov-west-1')).toBe(
      'https://console.amazonaws-us-gov.com/glue/home?region=us-gov-west-1',
    );
    expect(resourceConsoleUrl('glue', 'evil.com/#')).toBeUndefined();
    expect(resourceConsoleUrl('glue', undefined)).toBeUndefined();
    expect(cloudTrailEventUrl('us-east-1', 'a/b')).toBe(
      'https://us-east-1.console.aws.amazon.com/cloudtrail/home?region=us-east-1#/events/a%2Fb',
    );
  });
});
