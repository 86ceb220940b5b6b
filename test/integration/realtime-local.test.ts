import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { LOCAL_CREDENTIALS } from '../../lambdas/adapters/aws-clients';
import type { AlertDocument } from '../../lambdas/core/alert-document';
import { apiCallEntry, failedStartJobRun, logFileOf } from '../../local/api-call-sample';
import { readOutbox } from '../../local/sns-server';
import { startLocalStack, type LocalStack } from '../../local/stack';

// The exactly-once guarantee across the two paths, end to end on the embedded stack: the same failed
// call put on the local bus (PutEvents, as CloudTrail does within seconds) and delivered in its log
// file (S3, minutes later), in either order and at the same time. Each case has its own caller, so
// noise control (one alert per failure kind and hour) does not hide one case's alert behind another's.

let tmp: string;
let stack: LocalStack;
let events: EventBridgeClient;
let apiCalls = 0;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trailwatch-realtime-'));
  stack = await startLocalStack({ dataDir: tmp, persistTables: false });
  events = new EventBridgeClient({
    region: stack.region,
    credentials: LOCAL_CREDENTIALS,
    endpoint: stack.endpoints.events,
  });
});
afterAll(async () => {
  events.destroy();
  await stack.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function putOnBus(record: Record<string, unknown>): Promise<void> {
  const out = await events.send(new PutEventsCommand({ Entries: [apiCallEntry(record)] }));
  expect(out.FailedEntryCount).toBe(0);
  apiCalls += 1;
  await stack.waitForApiCalls(apiCalls);
}

async function upload(records: Array<Record<string, unknown>>, suffix: string): Promise<void> {
  const file = logFileOf(records, suffix);
  await stack.clients.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: file.key, Body: file.body }));
  await stack.waitForObjects([file.key]);
}

/** The alerts and the stored items that name the eventId, and by which path each alert came. */
async function outcomeOf(eventId: string) {
  await stack.idle();
  // The alert topic's messages (each alert goes to the chat topic too, in its own format).
  const alerts = readOutbox(stack.outbox)
    .filter((m) => m.topicArn === stack.topicArn)
    .map((m) => JSON.parse((JSON.parse(m.message) as { sqs: string }).sqs) as AlertDocument)
    .filter((d) => d.events.some((e) => e.eventId === eventId));
  const scan = await stack.clients.dynamodb.send(new ScanCommand({ TableName: stack.tableName }));
  const items = (scan.Items ?? []).filter((i) => i.sk?.S?.endsWith(`#${eventId}`));
  return { paths: alerts.map((a) => a.delivery?.path), items };
}

describe('one failed call by EventBridge and in its log file, on the embedded stack', () => {
  test('EventBridge, then the log file: one alert (real time), one item naming the log file', async () => {
    // Prepare
    const call = failedStartJobRun(new Date(), 'rt-eventbridge-first', 'rt-eventbridge-first-role');

    // Act
    await putOnBus(call);
    await upload([call], 'EBFIRST');

    // Assess
    const { paths, items } = await outcomeOf('rt-eventbridge-first');
    expect(paths).toEqual(['eventbridge']);
    expect(items).toHaveLength(1);
    expect(items[0]?.s3Bucket?.S).toBe(stack.bucket);
  });

  test('the log file, then EventBridge: one alert (from S3), one item, not overwritten', async () => {
    // Prepare
    const call = failedStartJobRun(new Date(), 'rt-s3-first', 'rt-s3-first-role');

    // Act
    await upload([call], 'S3FIRST');
    await putOnBus(call);

    // Assess
    const { paths, items } = await outcomeOf('rt-s3-first');
    expect(paths).toEqual(['s3']);
    expect(items).toHaveLength(1);
    expect(items[0]?.s3Bucket?.S).toBe(stack.bucket);
  });

  test('both at once: one alert, one item', async () => {
    // Prepare
    const call = failedStartJobRun(new Date(), 'rt-both', 'rt-both-role');

    // Act
    await Promise.all([putOnBus(call), upload([call], 'BOTH')]);

    // Assess
    const { paths, items } = await outcomeOf('rt-both');
    expect(paths).toHaveLength(1);
    expect(items).toHaveLength(1);
  });

  test('only in the log file (EventBridge dropped it): one alert from S3', async () => {
    // Prepare
    const call = failedStartJobRun(new Date(), 'rt-s3-only', 'rt-s3-only-role');

    // Act
    await upload([call], 'S3ONLY');

    // Assess
    const { paths, items } = await outcomeOf('rt-s3-only');
    expect(paths).toEqual(['s3']);
    expect(items).toHaveLength(1);
  });

  test('a call that did not fail is not delivered by the rule (and alerts nothing)', async () => {
    // Prepare
    const ok = failedStartJobRun(new Date(), 'rt-succeeded', 'rt-succeeded-role');
    delete ok.errorCode;
    delete ok.errorMessage;

    // Act
    const out = await events.send(new PutEventsCommand({ Entries: [apiCallEntry(ok)] }));
    await stack.idle();

    // Assess: accepted by the bus, matched by no rule: nothing stored by the real-time path.
    expect(out.FailedEntryCount).toBe(0);
    const { paths, items } = await outcomeOf('rt-succeeded');
    expect(paths).toEqual([]);
    expect(items).toHaveLength(0);
  });
});
