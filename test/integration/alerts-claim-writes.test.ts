// The event claims' contract, run against both ways the store writes them: one conditional PutItem each
// (dynalite, which has no transactions) and TransactWriteItems of up to 100 (moto); then the faults of the
// transaction path only the SDK level produces (a lost answer after the commit, conflicts, throttling).
import { randomUUID } from 'node:crypto';
import {
  DynamoDBClient,
  TransactionCanceledException,
  type CancellationReason,
  type TransactWriteItemsCommandInput,
} from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { AlertStateError, AlertStateStore, type ClaimWrites } from '../../lambdas/adapters/alert-state-store';
import { alertStateTableDefinition } from '../../lambdas/adapters/alert-state-table';
import { LOCAL_CREDENTIALS } from '../../lambdas/adapters/aws-clients';
import { ensureTable } from '../../lambdas/adapters/table-definitions';
import type { EventClaim, EventClaims } from '../../lambdas/core/alert-ports';
import { startDynalite, type DynaliteServer } from '../../local/dynalite-server';
import { describeWithMoto, startMoto, type MotoServer } from '../helpers/moto';
import { throttlingError } from '../helpers/dynamodb-faults';

interface Server {
  readonly endpoint: string;
  stop(): Promise<void>;
}

function clientOf(
  endpoint: string,
  options: { maxAttempts?: number; requestHandler?: NodeHttpHandler } = {},
) {
  return new DynamoDBClient({ region: 'us-east-1', credentials: LOCAL_CREDENTIALS, endpoint, ...options });
}

function claimBy(owner: string, nowMs: number, leaseMs = 60_000): EventClaim {
  return { owner, nowMs, leaseUntil: nowMs + leaseMs, messageKey: `msg#${owner}#glue` };
}

const sorted = (keys: Iterable<string>): string[] => [...keys].sort();

// The same cases for each way of writing: each must give the same three sets as the other.
function claimContract(label: string, claimWrites: ClaimWrites, start: () => Promise<Server | undefined>) {
  describe(`event claims, ${label}`, () => {
    let server: Server | undefined;
    let client: DynamoDBClient;

    beforeAll(async () => {
      server = await start();
      if (server) client = clientOf(server.endpoint);
    });
    afterAll(async () => {
      client?.destroy();
      await server?.stop();
    });

    async function newStore(): Promise<AlertStateStore> {
      const tableName = `alert-state-${randomUUID()}`;
      await ensureTable(client, alertStateTableDefinition(tableName), { pollMs: 20 });
      return new AlertStateStore({ tableName, client, claimWrites, sleep: async () => undefined });
    }

    test('unclaimed events are claimed; a second owner finds them held until the lease ends', async () => {
      const store = await newStore();
      const first = await store.claimEvents(['e-1', 'e-2'], claimBy('a', 1_000));
      const rival = await store.claimEvents(['e-1', 'e-2'], claimBy('b', 2_000));
      expect(first.claimed).toEqual(
        new Map([
          ['e-1', {}],
          ['e-2', {}],
        ]),
      );
      expect(rival).toEqual({
        claimed: new Map(),
        final: new Map(),
        held: new Map([
          ['e-1', 61_000],
          ['e-2', 61_000],
        ]),
        // The message each held claim names: a claim naming a sent message reads as alerted.
        heldFor: new Map([
          ['e-1', 'msg#a#glue'],
          ['e-2', 'msg#a#glue'],
        ]),
        // And who holds it: a file's overflow claim for a sent message is counted; an invocation's only
        // if the message's record lists the event.
        heldBy: new Map([
          ['e-1', 'a'],
          ['e-2', 'a'],
        ]),
      });
    });

    test("the owner's own claim is claimed again (the retry of a write whose answer was lost)", async () => {
      const store = await newStore();
      await store.claimEvents(['e-1'], claimBy('a', 1_000));
      const again = await store.claimEvents(['e-1'], claimBy('a', 1_500));
      expect(sorted(again.claimed.keys())).toEqual(['e-1']);
      // The single write names its own message as the previous one, the transaction none; the protocol
      // reads previousMessageKey only where it differs from the message being claimed for.
      const previous = again.claimed.get('e-1')?.previousMessageKey;
      expect(previous ?? 'msg#a#glue').toBe('msg#a#glue');
    });

    test('an expired claim and a released one are taken over, naming the message they were meant for', async () => {
      const store = await newStore();
      await store.claimEvents(['e-expired'], claimBy('dead', 1_000));
      await store.claimEvents(['e-released'], claimBy('gave-up', 1_000));
      await store.releaseEvents(['e-released'], 'gave-up');
      const taken = await store.claimEvents(['e-expired', 'e-released'], claimBy('c', 70_000));
      expect(taken.claimed).toEqual(
        new Map([
          ['e-expired', { previousMessageKey: 'msg#dead#glue', previousOwner: 'dead' }],
          ['e-released', { previousMessageKey: 'msg#gave-up#glue', previousOwner: 'gave-up' }],
        ]),
      );
      // The takeover holds: the earlier owners now find c's claim.
      const late = await store.claimEvents(['e-expired'], claimBy('dead', 70_500));
      expect(late.held).toEqual(new Map([['e-expired', 130_000]]));
    });

    test('a takeover keeps the claims it replaced: a chain of three takeovers hands on both earlier ones', async () => {
      // Prepare: a's claim expires and b takes it over; b stops at once (its claim expires too).
      const store = await newStore();
      await store.claimEvents(['e-1'], claimBy('a', 1_000));
      const byB = await store.claimEvents(['e-1'], claimBy('b', 70_000));
      expect(byB.claimed.get('e-1')).toEqual({ previousMessageKey: 'msg#a#glue', previousOwner: 'a' });

      // Act: c takes b's over, then d takes c's over; b's own claim written again over its own keeps none.
      const byC = await store.claimEvents(['e-1'], claimBy('c', 140_000));
      const byD = await store.claimEvents(['e-1'], claimBy('d', 210_000));
      await store.claimEvents(['e-2'], claimBy('b', 1_000));
      const own = await store.claimEvents(['e-2'], claimBy('b', 1_500));
      const after = await store.claimEvents(['e-2'], claimBy('e', 70_000));

      // Assess: each takeover names the claim it replaced and the ones that claim had kept, oldest first.
      expect(byC.claimed.get('e-1')).toEqual({
        previousMessageKey: 'msg#b#glue',
        previousOwner: 'b',
        earlier: [{ messageKey: 'msg#a#glue', owner: 'a' }],
      });
      expect(byD.claimed.get('e-1')).toEqual({
        previousMessageKey: 'msg#c#glue',
        previousOwner: 'c',
        earlier: [
          { messageKey: 'msg#a#glue', owner: 'a' },
          { messageKey: 'msg#b#glue', owner: 'b' },
        ],
      });
      expect(sorted(own.claimed.keys())).toEqual(['e-2']);
      expect(after.claimed.get('e-2')).toEqual({ previousMessageKey: 'msg#b#glue', previousOwner: 'b' });
    });

    test('final markers stay final, whoever claims', async () => {
      const store = await newStore();
      await store.markEvents(['e-a'], 'alerted', { nowMs: 1, messageKey: 'msg#x#glue' });
      await store.markEvents(['e-s'], 'suppressed', { nowMs: 1 });
      const claims = await store.claimEvents(['e-a', 'e-s', 'e-new'], claimBy('a', 10));
      expect(claims.final).toEqual(
        new Map([
          ['e-a', 'alerted'],
          ['e-s', 'suppressed'],
        ]),
      );
      expect(sorted(claims.claimed.keys())).toEqual(['e-new']);
    });

    test('a mixed batch of 250 (repeated ids among them): each event in exactly one of the three', async () => {
      // Prepare: of e-0..e-249, every fifth alerted, every seventh held live by another owner, every
      // eleventh an expired claim; spread so each transaction of 100 has some of each.
      const store = await newStore();
      const ids = Array.from({ length: 250 }, (_, i) => `e-${i}`);
      const alerted = ids.filter((_, i) => i % 5 === 0);
      const live = ids.filter((_, i) => i % 5 !== 0 && i % 7 === 0);
      const expired = ids.filter((_, i) => i % 5 !== 0 && i % 7 !== 0 && i % 11 === 0);
      await store.claimEvents(expired, claimBy('dead', 1_000));
      await store.claimEvents(live, claimBy('live', 100_000));
      await store.markEvents(alerted, 'alerted', { nowMs: 1, messageKey: 'msg#x#glue' });

      // Act: every id asked twice.
      const claims: EventClaims = await store.claimEvents(
        [...ids, ...ids.slice(0, 120)],
        claimBy('mine', 100_500),
      );

      // Assess
      const claimedIds = ids.filter((id) => !alerted.includes(id) && !live.includes(id));
      expect(sorted(claims.final.keys())).toEqual(sorted(alerted));
      expect(sorted(claims.held.keys())).toEqual(sorted(live));
      expect(new Set(claims.held.values())).toEqual(new Set([160_000]));
      expect(sorted(claims.claimed.keys())).toEqual(sorted(claimedIds));
      for (const id of expired)
        expect(claims.claimed.get(id)).toEqual({
          previousMessageKey: 'msg#dead#glue',
          previousOwner: 'dead',
        });
      const fresh = claimedIds.filter((id) => !expired.includes(id));
      for (const id of fresh) expect(claims.claimed.get(id)).toEqual({});
      // What was written: a third owner finds exactly the claimed ones held by mine.
      const after = await store.claimEvents(ids, claimBy('third', 100_600));
      expect(sorted([...after.held].filter(([, until]) => until === 160_500).map(([id]) => id))).toEqual(
        sorted(claimedIds),
      );
    });
  });
}

async function dynalite(): Promise<Server> {
  const server: DynaliteServer = await startDynalite();
  return server;
}

async function moto(): Promise<Server | undefined> {
  const server: MotoServer | undefined = await startMoto();
  return server;
}

claimContract('one conditional PutItem each, on dynalite', 'single', dynalite);
describeWithMoto('claims in TransactWriteItems on moto', () => {
  claimContract('TransactWriteItems of up to 100, on moto', 'transactions', moto);
});

// A handler whose answers to chosen TransactWriteItems calls are lost after the server acted on them, and
// that records the ClientRequestToken of every TransactWriteItems it sends.
class LosingHandler extends NodeHttpHandler {
  readonly tokens: string[] = [];
  constructor(private readonly lose: (n: number) => boolean) {
    super();
  }
  override async handle(...args: Parameters<NodeHttpHandler['handle']>) {
    const [request] = args;
    const transaction = String(request.headers['x-amz-target']).endsWith('.TransactWriteItems');
    const out = await super.handle(...args);
    if (!transaction) return out;
    const body: unknown = request.body;
    // Decoded as bytes: the SDK's body is a Uint8Array whose string methods warn.
    const text = typeof body === 'string' ? body : new TextDecoder().decode(body as Uint8Array);
    const input = JSON.parse(text) as TransactWriteItemsCommandInput;
    this.tokens.push(input.ClientRequestToken ?? '');
    if (this.lose(this.tokens.length)) {
      (out.response.body as { destroy?: () => void } | undefined)?.destroy?.();
      throw Object.assign(new Error('injected: socket hang up after the request was sent'), {
        name: 'TimeoutError',
        code: 'ECONNRESET',
      });
    }
    return out;
  }
}

function cancellation(codes: string[]): TransactionCanceledException {
  const reasons: CancellationReason[] = codes.map((Code) => ({ Code }));
  return new TransactionCanceledException({
    message: `injected: Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
    $metadata: { httpStatusCode: 400 },
    CancellationReasons: reasons,
  });
}

describeWithMoto('claim transactions under faults (moto, injected at the SDK)', () => {
  let server: MotoServer | undefined;
  let setup: DynamoDBClient;

  beforeAll(async () => {
    server = await startMoto();
    if (server) setup = clientOf(server.endpoint);
  });
  afterAll(async () => {
    setup?.destroy();
    await server?.stop();
  });

  async function newStore(client: DynamoDBClient, pauses: number[] = []): Promise<AlertStateStore> {
    const tableName = `alert-state-${randomUUID()}`;
    await ensureTable(setup, alertStateTableDefinition(tableName), { pollMs: 20 });
    return new AlertStateStore({
      tableName,
      client,
      claimWrites: 'transactions',
      sleep: async (ms) => {
        pauses.push(ms);
      },
      random: () => 0.5,
    });
  }

  test("the SDK's retry of a committed transaction whose answer was lost keeps the claims ours", async () => {
    const handler = new LosingHandler((n) => n === 1);
    const client = clientOf(server?.endpoint ?? '', { requestHandler: handler });
    const store = await newStore(client);

    const claims = await store.claimEvents(['e-1', 'e-2', 'e-3'], claimBy('a', 1_000));

    // The retry carried the first send's token, and found (or was answered from) its own commit.
    expect(handler.tokens).toHaveLength(2);
    expect(handler.tokens[1]).toBe(handler.tokens[0]);
    expect(claims).toEqual({
      claimed: new Map([
        ['e-1', {}],
        ['e-2', {}],
        ['e-3', {}],
      ]),
      final: new Map(),
      held: new Map(),
      heldFor: new Map(),
      heldBy: new Map(),
    });
    client.destroy();
  });

  test("the store's own re-send after the SDK gave up keeps the token, and a lost takeover stays ours", async () => {
    // Prepare: no SDK retries; the first transaction's answer (a cancellation: e-old's claim expired) is
    // fine, the takeover's answer is lost after it committed.
    const handler = new LosingHandler((n) => n === 3);
    const client = clientOf(server?.endpoint ?? '', { maxAttempts: 1, requestHandler: handler });
    const pauses: number[] = [];
    const store = await newStore(client, pauses);
    await store.claimEvents(['e-old'], claimBy('dead', 1_000));
    const before = handler.tokens.length;

    // Act
    const claims = await store.claimEvents(['e-old', 'e-new'], claimBy('b', 70_000));

    // Assess: the re-send of the takeover used its token (moto ran it again: its condition, dead's claim,
    // failed on b's own claim, which counts as claimed; e-new went once more on its own); the claim is b's
    // and names dead's message.
    const tokens = handler.tokens.slice(before);
    expect(tokens).toHaveLength(4);
    expect(tokens[2]).toBe(tokens[1]);
    expect(new Set(tokens).size).toBe(3);
    expect(claims.claimed).toEqual(
      new Map([
        ['e-old', { previousMessageKey: 'msg#dead#glue', previousOwner: 'dead' }],
        ['e-new', {}],
      ]),
    );
    expect(pauses).toHaveLength(1); // the re-send's backoff
    client.destroy();
  });

  test('a transaction conflict waits and goes again, without lowering the limit', async () => {
    const client = clientOf(server?.endpoint ?? '');
    let injected = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'TransactWriteItemsCommand' && injected++ === 0) {
          throw cancellation(['None', 'TransactionConflict', 'None']);
        }
        return next(args);
      },
      { step: 'initialize', name: 'injectConflict' },
    );
    const pauses: number[] = [];
    const store = await newStore(client, pauses);
    const limit = store.concurrency;

    const claims = await store.claimEvents(['e-1', 'e-2', 'e-3'], claimBy('a', 1_000));

    expect(sorted(claims.claimed.keys())).toEqual(['e-1', 'e-2', 'e-3']);
    expect(pauses).toEqual([38]); // 50 ms ceiling, half fixed + half jitter (0.5)
    expect(store.throttled).toBe(0);
    expect(store.concurrency).toBeGreaterThanOrEqual(limit);
    client.destroy();
  });

  test('throttling, in cancellation reasons or of the whole call, goes through the adaptive limit', async () => {
    const client = clientOf(server?.endpoint ?? '', { maxAttempts: 1 });
    let calls = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'TransactWriteItemsCommand') return next(args);
        calls += 1;
        if (calls === 1) throw cancellation(['ThrottlingError', 'None']);
        if (calls === 2) {
          throw throttlingError();
        }
        return next(args);
      },
      { step: 'initialize', name: 'injectThrottling' },
    );
    const pauses: number[] = [];
    const store = await newStore(client, pauses);
    const limit = store.concurrency;

    const claims = await store.claimEvents(['e-1', 'e-2'], claimBy('a', 1_000));

    expect(sorted(claims.claimed.keys())).toEqual(['e-1', 'e-2']);
    expect(calls).toBe(3);
    expect(store.throttled).toBe(2);
    expect(pauses).toHaveLength(2);
    expect(store.concurrency).toBeLessThan(limit);
    client.destroy();
  });

  test('a cancellation for any other reason fails the claims with one line naming the table and event', async () => {
    const client = clientOf(server?.endpoint ?? '');
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'TransactWriteItemsCommand')
          throw cancellation(['None', 'ValidationError']);
        return next(args);
      },
      { step: 'initialize', name: 'injectValidation' },
    );
    const store = await newStore(client);

    const err: unknown = await store.claimEvents(['e-1', 'e-2'], claimBy('a', 1)).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(AlertStateError);
    expect((err as Error).message).toMatch(
      /^alert state table alert-state-[0-9a-f-]+: TransactWriteItems cancelled the claim of event e-2: ValidationError$/,
    );
    client.destroy();
  });

  test('detect: an endpoint with transactions keeps them', async () => {
    const client = clientOf(server?.endpoint ?? '');
    const commands: string[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        commands.push(context.commandName ?? '');
        return next(args);
      },
      { step: 'initialize', name: 'countCommands' },
    );
    const tableName = `alert-state-${randomUUID()}`;
    await ensureTable(setup, alertStateTableDefinition(tableName), { pollMs: 20 });
    const store = new AlertStateStore({ tableName, client, claimWrites: 'detect' });

    const ids = Array.from({ length: 150 }, (_, i) => `e-${i}`);
    const claims = await store.claimEvents(ids, claimBy('a', 1));

    expect(claims.claimed.size).toBe(150);
    expect(store.claimWriting).toBe('transactions');
    expect(commands).toEqual(['TransactWriteItemsCommand', 'TransactWriteItemsCommand']);
    client.destroy();
  });
});

describe('claim writes on dynalite (no transactions)', () => {
  let server: DynaliteServer;
  let setup: DynamoDBClient;
  beforeAll(async () => {
    server = await startDynalite();
    setup = clientOf(server.endpoint);
  });
  afterAll(async () => {
    setup?.destroy();
    await server?.stop();
  });

  async function tableOn(): Promise<string> {
    const tableName = `alert-state-${randomUUID()}`;
    await ensureTable(setup, alertStateTableDefinition(tableName), { pollMs: 20 });
    return tableName;
  }

  test('detect: one refused transaction, then single writes for good', async () => {
    const client = clientOf(server.endpoint);
    const commands: string[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        commands.push(context.commandName ?? '');
        return next(args);
      },
      { step: 'initialize', name: 'countCommands' },
    );
    const store = new AlertStateStore({ tableName: await tableOn(), client, claimWrites: 'detect' });

    const first = await store.claimEvents(['e-1', 'e-2'], claimBy('a', 1));
    const second = await store.claimEvents(['e-2', 'e-3'], claimBy('b', 2));

    expect(sorted(first.claimed.keys())).toEqual(['e-1', 'e-2']);
    expect(sorted(second.claimed.keys())).toEqual(['e-3']);
    expect(sorted(second.held.keys())).toEqual(['e-2']);
    expect(store.claimWriting).toBe('single');
    expect(commands.filter((c) => c === 'TransactWriteItemsCommand')).toHaveLength(1);
    expect(commands.filter((c) => c === 'PutItemCommand')).toHaveLength(4);
    client.destroy();
  });

  test('transactions asked for where there are none: one clear error', async () => {
    const client = clientOf(server.endpoint);
    const tableName = await tableOn();
    const store = new AlertStateStore({ tableName, client, claimWrites: 'transactions' });

    const err: unknown = await store.claimEvents(['e-1'], claimBy('a', 1)).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(AlertStateError);
    expect((err as Error).message).toBe(
      `alert state table ${tableName}: the DynamoDB endpoint has no TransactWriteItems (UnknownOperationException)`,
    );
    client.destroy();
  });
});
