import { randomUUID } from 'node:crypto';
import {
  DynamoDBClient,
  type BatchGetItemCommandInput,
  type BatchGetItemCommandOutput,
  type BatchWriteItemCommandInput,
  type BatchWriteItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { AlertStateStore } from '../../lambdas/adapters/alert-state-store';
import { messageRecordKey } from '../../lambdas/core/alert-ports';
import { alertStateTableDefinition } from '../../lambdas/adapters/alert-state-table';
import { LOCAL_CREDENTIALS } from '../../lambdas/adapters/aws-clients';
import { ensureTable } from '../../lambdas/adapters/table-definitions';
import { signatureKey, signatureOf } from '../../lambdas/core/alert-policy';
import { startDynalite, type DynaliteServer } from '../../local/dynalite-server';
import { failure } from '../helpers/alert-events';

const SOURCE = { bucket: 'b', key: 'k' };

describe('AlertStateStore against dynalite', () => {
  let dynalite: DynaliteServer;
  let client: DynamoDBClient;

  beforeAll(async () => {
    dynalite = await startDynalite();
    client = new DynamoDBClient({
      region: 'us-east-1',
      credentials: LOCAL_CREDENTIALS,
      endpoint: dynalite.endpoint,
    });
  });
  afterAll(async () => {
    client?.destroy();
    await dynalite?.stop();
  });

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
    const throttled = new DynamoDBClient({
      region: 'us-east-1',
      credentials: LOCAL_CREDENTIALS,
      endpoint: dynalite.endpoint,
    });
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
});
