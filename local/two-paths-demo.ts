import * as http from 'node:http';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { AlertDocument } from '../lambdas/core/alert-document';
import { TrailwatchError } from '../lambdas/core/errors';
import { apiCallEntry, failedStartJobRun, logFileOf, type CloudTrailRecordJson } from './api-call-sample';
import { readOutbox, type OutboxMessage } from './sns-server';
import type { LocalStack } from './stack';

/** The local bus refused an event (PutEvents answered with an error or a failed entry). */
export class LocalPutEventsError extends TrailwatchError {}

/** One alert that arrived by one path: its message and how long trailwatch took from arrival to publish. */
export interface PathAlert {
  readonly path: 'eventbridge' | 's3';
  readonly eventId: string;
  readonly message: OutboxMessage;
  readonly document: AlertDocument;
  /** From the event reaching trailwatch (PutEvents answered, or the log file's upload answered) to the publish. */
  readonly trailwatchMs: number;
}

/**
 * Puts CloudTrail records on the local bus through its PutEvents route, as CloudTrail does for each
 * management event (the JSON protocol, as the SDK sends it); returns when the bus answered.
 */
export async function putOnLocalBus(
  stack: LocalStack,
  records: readonly CloudTrailRecordJson[],
): Promise<void> {
  const body = JSON.stringify({
    Entries: records.map((r) => {
      const entry = apiCallEntry(r);
      return { ...entry, Time: entry.Time.getTime() / 1000 };
    }),
  });
  // node:http, not fetch: fetch adds the Sec-Fetch-* headers of a browser, which the endpoint refuses.
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const request = http.request(
      stack.endpoints.events,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
  const answer = JSON.parse(text) as { FailedEntryCount?: number };
  if (status !== 200 || answer.FailedEntryCount !== 0) {
    throw new LocalPutEventsError(`the local bus refused the events: ${text}`);
  }
}

/** Uploads the records as one CloudTrail log file to the local bucket; returns its key once handled. */
export async function deliverLogFile(
  stack: LocalStack,
  records: readonly CloudTrailRecordJson[],
  suffix: string,
): Promise<string> {
  const file = logFileOf(records, suffix);
  await stack.clients.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: file.key, Body: file.body }));
  await stack.waitForObjects([file.key]);
  return file.key;
}

/** The alerts in the outbox that list the eventId, with their documents. */
export function alertsFor(
  stack: LocalStack,
  eventId: string,
): Array<{ message: OutboxMessage; document: AlertDocument }> {
  return readOutbox(stack.outbox).flatMap((message) => {
    const document = documentOf(message);
    return document?.events.some((e) => e.eventId === eventId) ? [{ message, document }] : [];
  });
}

function documentOf(message: OutboxMessage): AlertDocument | undefined {
  try {
    const bodies = JSON.parse(message.message) as { sqs?: string };
    return bodies.sqs ? (JSON.parse(bodies.sqs) as AlertDocument) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What `npm start` shows: a failed StartJobRun put on the bus alerts within the second (real-time
 * path); then its log file arrives with a second failure EventBridge never delivered: the file alerts
 * only that one (the S3 path is the backstop, and the first call is not alerted twice). `run` makes
 * the callers unique, so noise control (one alert per failure kind and hour) does not hold the demo
 * back on a second run within the hour.
 */
export async function runTwoPathsDemo(stack: LocalStack, run: string): Promise<PathAlert[]> {
  const apiCallsBefore = stack.apiCallsHandled;
  const realTime = failedStartJobRun(new Date(), undefined, `nightly-etl-${run}`);
  const putAt = Date.now();
  await putOnLocalBus(stack, [realTime]);
  await stack.waitForApiCalls(apiCallsBefore + 1);
  const dropped = failedStartJobRun(new Date(), undefined, `nightly-report-${run}`);
  const uploadAt = Date.now();
  await deliverLogFile(stack, [realTime, dropped], `DEMO${run}`);
  await stack.idle();
  const found: PathAlert[] = [];
  for (const [record, path, at] of [
    [realTime, 'eventbridge', putAt],
    [dropped, 's3', uploadAt],
  ] as const) {
    const eventId = String(record.eventID);
    for (const { message, document } of alertsFor(stack, eventId)) {
      const sentAt = Date.parse(document.delivery?.sentAt ?? message.receivedAt);
      found.push({ path, eventId, message, document, trailwatchMs: sentAt - at });
    }
  }
  return found;
}
