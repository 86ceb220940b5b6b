import { describeOutcome } from '../../cli/commands/local';

describe('the --serve line of a processed object', () => {
  const summary = {
    bucket: 'trailwatch-logs',
    key: 'AWSLogs/1/CloudTrail/us-east-1/2024/05/01/f.json.gz',
    status: 'processed' as const,
    bytesRead: 1,
    recordsRead: 3,
    recordsSkipped: {},
    eventsStored: { glue: 2 },
    failedCalls: 2,
    failedCallsByService: { glue: 2 },
  };

  it('says why no alert was sent', () => {
    const line = describeOutcome({
      status: 'processed',
      ref: { bucket: summary.bucket, key: summary.key },
      summary: {
        ...summary,
        alerts: {
          messagesPublished: 0,
          eventsAlerted: 0,
          eventsSuppressed: 1,
          eventsAlreadyAlerted: 1,
          eventsIgnored: 0,
          byService: {},
        },
      },
    } as Parameters<typeof describeOutcome>[0]);
    expect(line).toBe(
      `processed  s3://${summary.bucket}/${summary.key}: 2 events (glue 2), 2 failed calls, 0 alerts sent ` +
        '(1 already alerted by an earlier run, 1 repeats counted)',
    );
  });
});
