import { randomUUID } from 'node:crypto';
import {
  DynamoDBClient,
  GetItemCommand,
  type BatchGetItemCommandInput,
  type BatchGetItemCommandOutput,
  type BatchWriteItemCommandInput,
  type BatchWriteItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { AlertStateError, AlertStateStore } from '../../lambdas/adapters/alert-state-store';
import { DeadlineExceededError } from '../../lambdas/adapters/timed-http-handler';
import { carriedDigest, messageRecordKey } from '../../lambdas/core/alert-ports';
import { alertStateTableDefinition } from '../../lambdas/adapters/alert-state-table';
import { LOCAL_CREDENTIALS } from '../../lambdas/adapters/aws-clients';
import { ensureTable } from '../../lambdas/adapters/table-definitions';
import { signatureKey, signatureOf } from '../../lambdas/core/alert-policy';
import { startDynalite, type DynaliteServer } from '../../local/dynalite-server';
import { AlertDelivery, NOTHING_PUBLISHED } from '../../lambdas/core/alert-delivery';
import { FULL_FAILURES_PER_SERVICE } from '../../lambdas/core/alert-overflow';
import type { NormalizedEvent } from '../../lambdas/core/normalized-event';
import { failure } from '../helpers/alert-events';
import { throttlingError } from '../helpers/dynamodb-faults';

const SOURCE = { bucket: 'b', key: 'k' };

describe('AlertStateStore against dynalite', () => {
  let dynalite: DynaliteServer;
  let client: DynamoDBClient;

  beforeAll(async () => {
    dynalite = await startDynalite();
    client = dynaliteClient();
  });
  afterAll(async () => {
    client?.destroy();
    await dynalite?.stop();
  });

  // A client of the test's dynalite; tests with injected faults add their middleware to their own.
  function dynaliteClient(options: { maxAttempts?: number } = {}): DynamoDBClient {
    return new DynamoDBClient({
      region: 'us-east-1',
      credentials: LOCAL_CREDENTIALS,
      endpoint: dynalite.endpoint,
      ...options,
    });
  }

  async function newStore(storeClient: DynamoDBClient = client, pauses: number[] = []) {
    const tableName = `alert-state-${randomUUID()}`;
    await ensureTable(client, alertStateTableDefinition(tableName), { pollMs: 20 });
    return new AlertStateStore({
      tableName,
      client: storeClient,
      sleep: async (ms) => {
        pauses.push(ms);
      },
      random: () => 0.5,
    });
  }

  test('a claim keeps others out until its lease ends; a sent message stays sent', async () => {
    // Prepare
    const store = await newStore();
    const key = messageRecordKey('f1', 'athena');
    const claim = (owner: string, nowMs: number) =>
      store.claimMessage(key, {
        owner,
        nowMs,
        leaseUntil: nowMs + 30_000,
        source: SOURCE,
        service: 'athena',
      });

    // Act
    const first = await claim('a', 1_000);
    const rival = await claim('b', 2_000);
    const afterLease = await claim('c', 40_000);
    await store.releaseClaim(key, 'a'); // a's claim was taken over: must not delete c's
    const stillC = await claim('d', 41_000);
    await store.markMessageSent(key, { messageId: 'm-1', sentAt: 42_000, eventCount: 3 });
    const afterSent = await claim('e', 999_999_999);

    // Assess
    expect(first).toEqual({ claimed: true });
    expect(rival).toMatchObject({
      claimed: false,
      record: { state: 'publishing', owner: 'a', leaseUntil: 31_000 },
    });
    expect(afterLease).toEqual({ claimed: true });
    expect(stillC).toMatchObject({ claimed: false, record: { owner: 'c' } });
    expect(afterSent).toMatchObject({
      claimed: false,
      record: { state: 'sent', messageId: 'm-1', sentAt: 42_000 },
    });
  });

  test('a sent record lists the held failures it carried (a String Set), none as an empty list, and older records as unlisted', async () => {
    // Prepare
    const store = await newStore();
    const carrying = messageRecordKey('f-carried', 'athena');
    const none = messageRecordKey('f-none', 'athena');
    const chat = messageRecordKey('f-carried', 'athena', 'chat');
    const digests = ['e-1', 'e-2', 'e-3'].map(carriedDigest);

    // Act
    await store.markMessageSent(carrying, { messageId: 'm-1', sentAt: 1, eventCount: 3, carried: digests });
    await store.markMessageSent(none, {
      messageId: NOTHING_PUBLISHED,
      sentAt: 1,
      eventCount: 0,
      carried: [],
    });
    await store.markMessageSent(chat, { messageId: 'm-2', sentAt: 1, eventCount: 3 });

    // Assess
    expect((await store.messageRecord(carrying))?.carried).toEqual(new Set(digests));
    expect((await store.messageRecord(none))?.carried).toEqual(new Set());
    expect((await store.messageRecord(chat))?.carried).toBeUndefined();
  });

  test('a sent record of 1,000 held failures with the longest eventIds the event table takes stays far under the 400 KB item limit', async () => {
    // Prepare: the event table's sort key (1,024 bytes) bounds an eventId to about 1,000 bytes; the record
    // keeps 12 characters of each one's hash, whatever its length.
    const tableName = `alert-state-${randomUUID()}`;
    await ensureTable(client, alertStateTableDefinition(tableName), { pollMs: 20 });
    const store = new AlertStateStore({ tableName, client });
    const key = messageRecordKey('f-big', 'athena');
    const ids = Array.from({ length: 1_000 }, (_, i) => `${String(i).padStart(4, '0')}${'x'.repeat(996)}`);

    // Act
    await store.markMessageSent(key, {
      messageId: 'm-big',
      sentAt: 1,
      eventCount: 1_000,
      carried: ids.map(carriedDigest),
    });

    // Assess: every id listed, and the item about 12 KB as DynamoDB sizes it (names and values; 13 write
    // units), where the ids themselves would be about 1 MB, past the limit.
    const record = await store.messageRecord(key);
    expect(record?.carried?.size).toBe(1_000);
    expect(ids.every((id) => record?.carried?.has(carriedDigest(id)))).toBe(true);
    const out = await client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: key } } }));
    const bytes = Object.entries(out.Item ?? {}).reduce(
      (sum, [name, value]) =>
        sum +
        Buffer.byteLength(name) +
        Buffer.byteLength(value.S ?? value.N ?? '') +
        (value.SS ?? []).reduce((n, v) => n + Buffer.byteLength(v), 0),
      0,
    );
    expect(bytes).toBeGreaterThan(12_000);
    expect(bytes).toBeLessThan(13_000);
    expect(Buffer.byteLength(ids.join(''))).toBeGreaterThan(400 * 1024);
  });

  test('releasing its own claim lets the next attempt claim at once', async () => {
    const store = await newStore();
    const key = messageRecordKey('f2', 'glue');
    const claim = (owner: string) =>
      store.claimMessage(key, { owner, nowMs: 1, leaseUntil: 30_001, source: SOURCE, service: 'glue' });
    expect(await claim('a')).toEqual({ claimed: true });
    await store.releaseClaim(key, 'a');
    expect(await claim('b')).toEqual({ claimed: true });
  });

  test('suppressed failures of one file are counted once, whatever the retries', async () => {
    // Prepare
    const store = await newStore();
    const signature = signatureOf(failure(1));
    const key = signatureKey(signature);

    // Act
    const count = (fileId: string, n: number, nowMs: number) =>
      store
        .countSuppressed([{ signatureKey: key, signature, count: n }], { fileId, nowMs })
        .then((keys) => keys.has(key));
    const counted = await count('file-a', 3, 1);
    const again = await count('file-a', 3, 2);
    const other = await count('file-b', 2, 3);
    const alerted = (sentAt: number, reportedTotal: number, messageKey: string) =>
      store.recordAlerted([{ signatureKey: key, signature, reportedTotal }], { sentAt, messageKey });
    await alerted(10, 5, 'msg#x');
    await alerted(5, 0, 'msg#older'); // older: ignored
    const afterNewWindow = await count('file-a', 1, 11);

    // Assess
    expect([counted, again, other, afterNewWindow]).toEqual([true, false, true, true]);
    expect((await store.windows([key])).get(key)).toEqual({
      lastAlertedAt: 10,
      suppressedTotal: 6,
      reportedTotal: 5,
    });
  });

  test('unprocessed batch items and keys (throttling, injected at the SDK) are sent again until done', async () => {
    // Prepare: dynalite never throttles, so the first batch call of each kind processes one item only.
    const throttled = dynaliteClient();
    const injected = { write: 0, get: 0 };
    throttled.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'BatchWriteItemCommand' && injected.write === 0) {
          injected.write += 1;
          const input = args.input as BatchWriteItemCommandInput;
          const [table, requests] = Object.entries(input.RequestItems ?? {})[0] ?? ['', []];
          const result = await next({ ...args, input: { RequestItems: { [table]: requests.slice(0, 1) } } });
          (result.output as BatchWriteItemCommandOutput).UnprocessedItems = { [table]: requests.slice(1) };
          return result;
        }
        if (context.commandName === 'BatchGetItemCommand' && injected.get === 0) {
          injected.get += 1;
          const input = args.input as BatchGetItemCommandInput;
          const [table, request] = Object.entries(input.RequestItems ?? {})[0] ?? ['', { Keys: [] }];
          const keys = request.Keys ?? [];
          const result = await next({
            ...args,
            input: { RequestItems: { [table]: { ...request, Keys: keys.slice(0, 1) } } },
          });
          (result.output as BatchGetItemCommandOutput).UnprocessedKeys = {
            [table]: { ...request, Keys: keys.slice(1) },
          };
          return result;
        }
        return next(args);
      },
      { step: 'initialize', name: 'injectUnprocessed' },
    );
    const pauses: number[] = [];
    const store = await newStore(throttled, pauses);
    const ids = Array.from({ length: 130 }, (_, i) => `e-${i}`);

    // Act
    await store.markEvents(ids.slice(0, 20), 'alerted', { nowMs: 1, messageKey: 'msg#1' });
    await store.markEvents(ids.slice(20), 'suppressed', { nowMs: 1 });
    const markers = await store.eventMarkers([...ids, 'never-marked']);

    // Assess
    expect(injected).toEqual({ write: 1, get: 1 });
    expect(pauses).toEqual([38, 38]); // a 50 ms ceiling, half fixed + half jitter (0.5)
    expect(markers.size).toBe(130);
    expect(markers.get('e-0')).toBe('alerted');
    expect(markers.get('e-129')).toBe('suppressed');
    expect(markers.has('never-marked')).toBe(false);
    throttled.destroy();
  });

  test('a batch of claims, some throttled (injected at the SDK), some final, some held by another file', async () => {
    // Prepare: every third PutItem is refused as throttled after the SDK's own retries would have given up.
    const throttling = dynaliteClient({ maxAttempts: 1 });
    let puts = 0;
    throttling.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'PutItemCommand' && ++puts % 3 === 0) {
          throw throttlingError();
        }
        return next(args);
      },
      { step: 'initialize', name: 'injectThrottling' },
    );
    const pauses: number[] = [];
    const store = await newStore(throttling, pauses);
    const ids = Array.from({ length: 60 }, (_, i) => `e-${i}`);
    const claim = (owner: string, nowMs: number) => ({
      owner,
      nowMs,
      leaseUntil: nowMs + 60_000,
      messageKey: `msg#${owner}#athena`,
    });
    // Another file holds 10..19 and has alerted 0..4; 5..9 it claimed and then let its lease run out.
    await store.claimEvents(ids.slice(5, 10), claim('other', 1));
    await store.claimEvents(ids.slice(10, 20), claim('other', 100_000));
    await store.markEvents(ids.slice(0, 5), 'alerted', { nowMs: 100_000, messageKey: 'msg#other#athena' });

    // Act
    const claims = await store.claimEvents(ids, claim('mine', 100_500));

    // Assess: every event in exactly one of the three; the throttled ones retried; the limit halved.
    expect([...claims.final.keys()].sort()).toEqual(ids.slice(0, 5).sort());
    expect([...claims.held.keys()].sort()).toEqual(ids.slice(10, 20).sort());
    expect([...claims.held.values()]).toEqual(Array(10).fill(160_000));
    // Each held claim names its message, so a claim for a message that was sent can read as alerted.
    expect([...claims.heldFor.keys()].sort()).toEqual(ids.slice(10, 20).sort());
    expect(new Set(claims.heldFor.values())).toEqual(new Set(['msg#other#athena']));
    expect(new Set(claims.heldBy.values())).toEqual(new Set(['other']));
    expect([...claims.claimed.keys()].sort()).toEqual([...ids.slice(5, 10), ...ids.slice(20)].sort());
    // The expired claims taken over name the message they were meant for; the others had none.
    expect(claims.claimed.get('e-5')).toEqual({
      previousMessageKey: 'msg#other#athena',
      previousOwner: 'other',
    });
    expect(claims.claimed.get('e-30')).toEqual({});
    expect(store.throttled).toBeGreaterThanOrEqual(20); // of the 60 + 15 PutItem calls, every third
    expect(pauses.length).toBe(store.throttled);
    const markers = await store.eventMarkers(ids);
    expect(markers.size).toBe(5);
    throttling.destroy();
  });

  test('a big file on the table: its overflow claims, named after its sent message, read as alerted for another file at once', async () => {
    // Prepare: one file with 300 failures past the ones held whole; the second file carries one of them.
    const store = await newStore();
    const published: string[] = [];
    const alerts = new AlertDelivery({
      ledger: store,
      publisher: { publish: async (m) => (published.push(m.subject), `m-${published.length}`) },
      // A wait would throw at once: the overflow claim must not read as held.
      claimWaitSeconds: 0,
    });
    const failures = Array.from({ length: FULL_FAILURES_PER_SERVICE + 300 }, (_, i) => failure(i));
    const first = await alerts.alertFile(failures, SOURCE);

    // Act
    const second = await alerts.alertFile([failures[FULL_FAILURES_PER_SERVICE + 7] as NormalizedEvent], {
      bucket: 'org',
      key: 'copy',
    });

    // Assess
    expect(first).toMatchObject({ messagesPublished: 1, eventsAlerted: failures.length });
    expect(second).toMatchObject({ messagesPublished: 0, eventsAlreadyAlerted: 1 });
    expect(published).toHaveLength(1);
  });

  test("a request refused because the invocation's time is up is not retried", async () => {
    // Prepare: the request deadline has passed (timed-http-handler refuses to send).
    const late = dynaliteClient({ maxAttempts: 1 });
    late.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'PutItemCommand') {
          throw new DeadlineExceededError("127.0.0.1: not sent, the invocation's time is up");
        }
        return next(args);
      },
      { step: 'initialize', name: 'pastTheDeadline' },
    );
    const pauses: number[] = [];
    const store = await newStore(late, pauses);

    // Act
    const err: unknown = await store
      .claimEvents(['e-1', 'e-2'], { owner: 'a', nowMs: 1, leaseUntil: 60_001, messageKey: 'msg#f#glue' })
      .catch((e: unknown) => e);

    // Assess: it fails at once, naming the call, with no pause spent on a retry.
    expect(err).toBeInstanceOf(AlertStateError);
    expect((err as Error).message).toContain(
      "PutItem failed: 127.0.0.1: not sent, the invocation's time is up",
    );
    expect(pauses).toEqual([]);
    late.destroy();
  });
});
