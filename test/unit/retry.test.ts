import { backoffMs, isRetryable, retryWithin } from '../../lambdas/adapters/retry';

// The one retry module every adapter uses: what is worth another attempt, and how long to wait.

describe('isRetryable', () => {
  test.each([
    ['a 5xx answer', { name: 'InternalFailure', $metadata: { httpStatusCode: 503 } }, true],
    ['throttling by name (SNS)', { name: 'ThrottledException', $metadata: { httpStatusCode: 400 } }, true],
    [
      'DynamoDB provisioned throughput',
      {
        name: 'ProvisionedThroughputExceededException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      },
      true,
    ],
    [
      'a transaction whose token DynamoDB is still running (sent again with the same token)',
      { name: 'TransactionInProgressException', $fault: 'client', $metadata: { httpStatusCode: 400 } },
      true,
    ],
    [
      'a cancelled transaction (its reasons decide, not a blind retry)',
      { name: 'TransactionCanceledException', $fault: 'client', $metadata: { httpStatusCode: 400 } },
      false,
    ],
    ['the SDK says retryable', { name: 'X', $retryable: { throttling: true }, $fault: 'client' }, true],
    ['429', { name: 'TooMany', $metadata: { httpStatusCode: 429 } }, true],
    [
      'no answer at all (connection refused)',
      Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
      true,
    ],
    [
      'a rejected request',
      { name: 'ValidationException', $fault: 'client', $metadata: { httpStatusCode: 400 } },
      false,
    ],
    ['access denied', { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } }, false],
    ['not an object', 'boom', false],
  ])('%s: %p', (_what, err, expected) => {
    expect(isRetryable(err)).toBe(expected);
  });
});

describe('backoffMs', () => {
  test('doubles from the base up to the ceiling, half fixed and half jitter', () => {
    const policy = { baseMs: 100, maxMs: 300 };
    expect([1, 2, 3, 4].map((n) => backoffMs(n, { ...policy, random: () => 0 }))).toEqual([
      50, 100, 150, 150,
    ]);
    expect([1, 2, 3].map((n) => backoffMs(n, { ...policy, random: () => 0.999 }))).toEqual([100, 200, 300]);
  });
});

describe('retryWithin', () => {
  const fault = () => Object.assign(new Error('busy'), { $metadata: { httpStatusCode: 500 } });

  test('retries retryable errors with the backoff, then succeeds', async () => {
    const pauses: number[] = [];
    let calls = 0;
    const result = await retryWithin(
      { attempts: 4, baseMs: 10, maxMs: 100, random: () => 0, sleep: async (ms) => void pauses.push(ms) },
      async () => {
        calls += 1;
        if (calls < 3) throw fault();
        return 'ok';
      },
    );
    expect({ result, calls, pauses }).toEqual({ result: 'ok', calls: 3, pauses: [5, 10] });
  });

  test('stops at once on an error that is not retryable, and after the last attempt otherwise', async () => {
    const denied = Object.assign(new Error('denied'), { $metadata: { httpStatusCode: 403 } });
    let calls = 0;
    const policy = { attempts: 3, baseMs: 1, maxMs: 1, sleep: async () => undefined };
    await expect(retryWithin(policy, async () => (calls++, Promise.reject(denied)))).rejects.toBe(denied);
    expect(calls).toBe(1);
    calls = 0;
    await expect(retryWithin(policy, async () => (calls++, Promise.reject(fault())))).rejects.toThrow('busy');
    expect(calls).toBe(3);
  });

  test('makes no attempt once the deadline has passed', async () => {
    const attempt = jest.fn(async () => 'never');
    await expect(
      retryWithin({ attempts: 3, baseMs: 1, maxMs: 1 }, attempt, performance.now() - 1),
    ).rejects.toThrow('no time left before the deadline');
    expect(attempt).not.toHaveBeenCalled();
  });
});
