import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { logKey } from './samples';

/** A CloudTrail record of a failed call, as in a log file and in an EventBridge event's detail. */
export type CloudTrailRecordJson = Record<string, unknown>;

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

/**
 * The failure an on-call engineer wants within a minute: the nightly Glue job cannot start
 * (StartJobRun, ConcurrentRunsExceededException), at `time`, with its own eventID, called by `role`
 * (the caller is part of the noise-control signature: another role is another failure).
 */
export function failedStartJobRun(
  time: Date,
  eventId: string = randomUUID(),
  role = 'etl-runner',
): CloudTrailRecordJson {
  return {
    eventVersion: '1.08',
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLEETLRUNNER:nightly',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/nightly`,
      accountId: ACCOUNT,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROAEXAMPLEETLRUNNER',
          arn: `arn:aws:iam::${ACCOUNT}:role/${role}`,
          accountId: ACCOUNT,
          userName: role,
        },
      },
    },
    eventTime: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: 'glue.amazonaws.com',
    eventName: 'StartJobRun',
    awsRegion: REGION,
    sourceIPAddress: '10.0.0.12',
    userAgent: 'aws-sdk-js/3.0.0',
    errorCode: 'ConcurrentRunsExceededException',
    errorMessage: 'Concurrent runs exceeded for nightly-orders-etl',
    requestParameters: { jobName: 'nightly-orders-etl' },
    responseElements: null,
    requestID: randomUUID(),
    eventID: eventId,
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
  };
}

/** The PutEvents entry CloudTrail's delivery to EventBridge amounts to, for the local bus. */
export function apiCallEntry(record: CloudTrailRecordJson): {
  Source: string;
  DetailType: string;
  Detail: string;
  Time: Date;
} {
  const eventSource = String(record.eventSource);
  return {
    // aws.glue for glue.amazonaws.com: the service's prefix, as CloudTrail names the source.
    Source: `aws.${eventSource.replace(/\.amazonaws\.com$/, '').replace(/^elasticmapreduce$/, 'emr')}`,
    DetailType: 'AWS API Call via CloudTrail',
    Detail: JSON.stringify(record),
    Time: new Date(String(record.eventTime)),
  };
}

/** A gzipped CloudTrail log file holding the records, under the key CloudTrail would give it. */
export function logFileOf(
  records: readonly CloudTrailRecordJson[],
  suffix: string,
): { key: string; body: Buffer } {
  const first = records[0] ?? {};
  const key = logKey({
    accountId: String(first.recipientAccountId ?? ACCOUNT),
    region: String(first.awsRegion ?? REGION),
    time: new Date(String(first.eventTime ?? new Date().toISOString())),
    suffix,
  });
  return { key, body: gzipSync(JSON.stringify({ Records: records })) };
}
