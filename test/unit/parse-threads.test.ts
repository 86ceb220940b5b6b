import { twoThreadsLikelyPay, watchedShareOfSample } from '../../lambdas/core/parse-threads';

const WATCHED = new Set(['glue.amazonaws.com', 'athena.amazonaws.com']);

function records(sources: readonly string[]): string {
  return `{"Records":[${sources.map((s, i) => `{"eventVersion":"1.08","eventSource":"${s}","eventID":"e${i}"}`).join(',')}`;
}

describe('watchedShareOfSample', () => {
  it('counts the records from the watched services among every record of the sample', () => {
    // Prepare: 3 of 8 records watched, and the sample cut in the middle of the last one
    const text = records([
      'glue.amazonaws.com',
      's3.amazonaws.com',
      'sts.amazonaws.com',
      'athena.amazonaws.com',
      'kms.amazonaws.com',
      'glue.amazonaws.com',
      'ec2.amazonaws.com',
      'iam.amazonaws.com',
    ]);
    const cut = text + ',{"eventVersion":"1.08","eventSou';
    // Act / Assess
    expect(watchedShareOfSample(cut, WATCHED)).toBe(3 / 8);
  });

  it('says nothing of a sample that names no eventSource', () => {
    expect(watchedShareOfSample('{"Records":[', WATCHED)).toBeUndefined();
    expect(watchedShareOfSample('not a log file at all', WATCHED)).toBeUndefined();
  });

  it('takes a spaced key as CloudTrail never writes it but JSON allows', () => {
    expect(watchedShareOfSample('{"eventSource" : "glue.amazonaws.com"}', WATCHED)).toBe(1);
  });
});

describe('twoThreadsLikelyPay', () => {
  it('chooses two threads from a share of 15% on, one below it or without a sample', () => {
    expect(twoThreadsLikelyPay(0.5)).toBe(true);
    expect(twoThreadsLikelyPay(0.15)).toBe(true);
    expect(twoThreadsLikelyPay(0.05)).toBe(false);
    expect(twoThreadsLikelyPay(undefined)).toBe(false);
  });
});
