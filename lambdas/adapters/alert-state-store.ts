import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type AttributeValue,
  type CancellationReason,
  type Put,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { AdaptiveLimit } from '../core/adaptive-limit';
import type { SignatureWindow } from '../core/alert-policy';
import {
  earlierClaims,
  type AlertedWindow,
  type AlertLedger,
  type ClaimResult,
  type EarlierClaim,
  type EventClaim,
  type EventClaims,
  type EventMarkerState,
  type MessageClaim,
  type MessageRecord,
  type PreviousClaim,
  type SuppressedCount,
} from '../core/alert-ports';
import { TrailwatchError } from '../core/errors';
import { backoffMs, isRetryable, sleepMs } from './retry';
import { DeadlineExceededError } from './timed-http-handler';

/** A DynamoDB call on the alert state table failed (after the SDK's own retries). */
export class AlertStateError extends TrailwatchError {}

/**
 * How claimEvents writes its conditional claims: `transactions` (TransactWriteItems, up to 100 a call),
 * `single` (one conditional PutItem each, for a DynamoDB without transactions such as dynalite), or
 * `detect` (transactions, unless the endpoint's first answer says it has no such operation: then
 * single writes for the rest of the store's life).
 */
export type ClaimWrites = 'transactions' | 'single' | 'detect';

/** Options of AlertStateStore. */
export interface AlertStateStoreOptions {
  readonly tableName: string;
  readonly client?: DynamoDBClient;
  /** How long event markers and message records are kept (TTL); default 365 days, like the events. */
  readonly markerRetentionDays?: number;
  /** How long an idle signature window is kept; default 30 days. */
  readonly windowRetentionDays?: number;
  /** Pause before re-sending unprocessed batch items; injected by tests. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Jitter source of that pause in [0, 1); default Math.random. */
  readonly random?: () => number;
  /**
   * Most single-item requests (and batch requests) in flight at once; the limit starts at a quarter of
   * it, halves on throttling and grows back by one per success. Default 64.
   */
  readonly maxConcurrency?: number;
  /** How event claims are written (see ClaimWrites); default `single`. */
  readonly claimWrites?: ClaimWrites;
}

const BATCH_GET_LIMIT = 100;
const BATCH_WRITE_LIMIT = 25;
// TransactWriteItems takes up to 100 actions (4 MB in all; a claim item is about 200 bytes).
const TRANSACT_WRITE_LIMIT = 100;
const UNPROCESSED_ROUNDS = 8;
// Requests of the store in flight at once (claims, releases, batches, transactions), at most.
const MAX_CONCURRENCY = 64;

/** Key of the per-eventId marker item. */
export function eventMarkerKey(eventId: string): string {
  return `evt#${eventId}`;
}

// The two updates of a signature window. Suppressed: counted once per file (its id joins countedFiles
// in the same update). Alerted: lastAlertedAt only moves forward, and the counted files start empty.
const SIGNATURE_UPDATES = {
  suppressed: {
    update:
      'ADD suppressedTotal :n, countedFiles :files SET kind = :kind, signature = :sig, lastSuppressedAt = :now, expiresAt = :exp',
    condition: 'NOT contains(countedFiles, :file)',
  },
  alerted: {
    update:
      'SET kind = :kind, signature = :sig, lastAlertedAt = :at, reportedTotal = :rep, lastMessage = :msg, expiresAt = :exp REMOVE countedFiles',
    condition: 'attribute_not_exists(lastAlertedAt) OR lastAlertedAt < :at',
  },
} as const;

// Unprocessed items mean the table is throttling: back off from 50 ms, at most 2 s.
const UNPROCESSED_BACKOFF = { baseMs: 50, maxMs: 2_000 } as const;

/**
 * The alert ledger on DynamoDB: the alert state table (docs/alerts.md#state): per-eventId markers, per-(file, service) message
 * records with a short publishing lease, and per-signature suppression windows. Every write is a
 * conditional write or an idempotent overwrite, so each step can be repeated safely; the one
 * transaction, of up to 100 event claims, only saves requests (each claim keeps its own condition).
 */
export class AlertStateStore implements AlertLedger {
  private readonly tableName: string;
  private readonly client: DynamoDBClient;
  private readonly markerTtlSeconds: number;
  private readonly windowTtlSeconds: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  // Shared by every request of this store: one file's claims, markers and windows back off together.
  private readonly limit: AdaptiveLimit;
  private readonly maxConcurrency: number;
  // `detect` until the first transaction's answer settles it.
  private claimWrites: ClaimWrites;
  private throttledRequests = 0;

  constructor(options: AlertStateStoreOptions) {
    this.tableName = options.tableName;
    this.client = options.client ?? new DynamoDBClient({});
    this.markerTtlSeconds = (options.markerRetentionDays ?? 365) * 86_400;
    this.windowTtlSeconds = (options.windowRetentionDays ?? 30) * 86_400;
    this.sleep = options.sleep ?? sleepMs;
    this.random = options.random ?? Math.random;
    this.maxConcurrency = Math.max(1, Math.floor(options.maxConcurrency ?? MAX_CONCURRENCY));
    this.claimWrites = options.claimWrites ?? 'single';
    this.limit = new AdaptiveLimit({
      initial: Math.max(1, Math.floor(this.maxConcurrency / 4)),
      max: this.maxConcurrency,
    });
  }

  /** Requests DynamoDB throttled (or left items of unprocessed) since this store was made; each retry counts. */
  get throttled(): number {
    return this.throttledRequests;
  }

  /** How event claims are written now: `detect` until the first claims settle it. */
  get claimWriting(): ClaimWrites {
    return this.claimWrites;
  }

  /** Requests currently allowed in flight (halved on throttling, grown back by one per success). */
  get concurrency(): number {
    return this.limit.limit;
  }

  /** Markers of the given events that exist (strongly consistent reads), by eventId. */
  async eventMarkers(eventIds: readonly string[]): Promise<Map<string, EventMarkerState>> {
    const items = await this.batchGet([...new Set(eventIds)].map(eventMarkerKey), ['pk', 'state']);
    const markers = new Map<string, EventMarkerState>();
    for (const item of items) {
      const state = item.state?.S;
      if (state === 'alerted' || state === 'suppressed') markers.set(item.pk?.S?.slice(4) ?? '', state);
    }
    return markers;
  }

  /** Suppression windows of the given signature keys (absent keys have never alerted). */
  async windows(signatureKeys: readonly string[]): Promise<Map<string, SignatureWindow>> {
    const items = await this.batchGet(
      [...new Set(signatureKeys)],
      ['pk', 'lastAlertedAt', 'suppressedTotal', 'reportedTotal'],
    );
    const windows = new Map<string, SignatureWindow>();
    for (const item of items) {
      const lastAlertedAt = item.lastAlertedAt?.N;
      windows.set(item.pk?.S ?? '', {
        ...(lastAlertedAt !== undefined ? { lastAlertedAt: Number(lastAlertedAt) } : {}),
        suppressedTotal: Number(item.suppressedTotal?.N ?? '0'),
        reportedTotal: Number(item.reportedTotal?.N ?? '0'),
      });
    }
    return windows;
  }

  /** The message record of one (file, service), if any (strongly consistent). */
  async messageRecord(key: string): Promise<MessageRecord | undefined> {
    const out = await this.call('GetItem', () =>
      this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: key } }, ConsistentRead: true }),
      ),
    );
    return out.Item ? toMessageRecord(out.Item) : undefined;
  }

  /**
   * Claims the right to publish the message of one (file, service) until `leaseUntil`, or renews the
   * owner's own claim. Fails (returns the record) when the message was sent, or another invocation
   * holds an unexpired claim: a
   * duplicate S3 notification processed concurrently must not publish the same alert twice.
   */
  async claimMessage(key: string, claim: MessageClaim): Promise<ClaimResult> {
    // An update, not a put: a record of uncertain publishes keeps its count when it is claimed again.
    const claimed = await this.conditional('UpdateItem', () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: key } },
          UpdateExpression:
            'SET #kind = :kind, #state = :publishing, #owner = :owner, #lease = :lease, #claimedAt = :now, ' +
            '#bucket = :bucket, #key = :key, #service = :service, #exp = :exp',
          // Its own owner passes too: the SDK's retry of a claim whose answer was lost finds the claim it made.
          ConditionExpression:
            'attribute_not_exists(pk) OR (#state <> :sent AND (#lease < :now OR #owner = :owner))',
          // Every name through a placeholder: several (bucket, key, service, owner, state) are reserved words.
          ExpressionAttributeNames: {
            '#kind': 'kind',
            '#state': 'state',
            '#owner': 'owner',
            '#lease': 'leaseUntil',
            '#claimedAt': 'claimedAt',
            '#bucket': 'bucket',
            '#key': 'key',
            '#service': 'service',
            '#exp': 'expiresAt',
          },
          ExpressionAttributeValues: {
            ':kind': { S: 'message' },
            ':publishing': { S: 'publishing' },
            ':sent': { S: 'sent' },
            ':owner': { S: claim.owner },
            ':lease': { N: String(claim.leaseUntil) },
            ':now': { N: String(claim.nowMs) },
            ':bucket': { S: claim.source.bucket },
            ':key': { S: claim.source.key },
            ':service': { S: claim.service },
            ':exp': { N: String(Math.floor(claim.nowMs / 1000) + this.markerTtlSeconds) },
          },
        }),
      ),
    );
    if (claimed) return { claimed: true };
    const record = await this.messageRecord(key);
    if (!record) {
      // The record vanished between the two calls (TTL): claiming again is safe.
      return this.claimMessage(key, claim);
    }
    return { claimed: false, record };
  }

  /**
   * Claims failed events, each under its own condition: an event with no item, with its own owner's
   * claim (the retry of a write whose answer was lost), or with an expired claim is claimed, and a
   * takeover names the message the earlier claimant meant (its old item's). The writes are transactions
   * of up to 100 conditional Puts, or one conditional PutItem each (ClaimWrites). The events whose
   * condition failed are classified from their items (what a cancelled transaction returned, else read
   * in BatchGetItem calls, strongly consistent): final, held (with the message the claim names and its
   * owner), or gone in between (claimed again).
   */
  async claimEvents(eventIds: readonly string[], claim: EventClaim): Promise<EventClaims> {
    const claimed = new Map<string, PreviousClaim>();
    const final = new Map<string, EventMarkerState>();
    const held = new Map<string, number>();
    const heldFor = new Map<string, string>();
    const heldBy = new Map<string, string>();
    let todo = [...new Set(eventIds)];
    for (let round = 0; todo.length > 0; round++) {
      if (round >= UNPROCESSED_ROUNDS) {
        throw new AlertStateError(
          `alert state table ${this.tableName}: ${todo.length} event claims kept changing between the write and the read`,
        );
      }
      const refused: string[] = [];
      // The refused events' items a cancelled transaction returned (ALL_OLD); the others are read here.
      const found = new Map<string, Record<string, AttributeValue>>();
      await this.writeClaims(todo, claim, { claimed, refused, found });
      const unread = refused.filter((id) => !found.has(id));
      const items = await this.batchGet(unread.map(eventMarkerKey), [
        'pk',
        'state',
        'leaseUntil',
        'message',
        'owner',
      ]);
      for (const item of items) found.set(item.pk?.S?.slice(4) ?? '', item);
      todo = [];
      for (const id of refused) {
        const item = found.get(id);
        const state = item?.state?.S;
        if (state === 'alerted' || state === 'suppressed') final.set(id, state);
        else if (state === 'claimed') {
          held.set(id, Number(item?.leaseUntil?.N ?? '0'));
          // The message the claim is for: one that was sent makes the claim read as alerted.
          const message = item?.message?.S;
          if (message !== undefined) heldFor.set(id, message);
          const holder = item?.owner?.S;
          if (holder !== undefined) heldBy.set(id, holder);
        }
        // The item vanished between the two calls (TTL): claim it again.
        else todo.push(id);
      }
    }
    return { claimed, final, held, heldFor, heldBy };
  }

  // One round of claims, in transactions or single writes: each id ends up claimed or refused.
  private async writeClaims(ids: readonly string[], claim: EventClaim, into: ClaimRound): Promise<void> {
    let todo = ids;
    if (this.claimWrites === 'detect' && todo.length > 0) {
      // One transaction alone first: its answer settles which writes this endpoint takes.
      const first = todo.slice(0, TRANSACT_WRITE_LIMIT);
      try {
        await this.transactClaims(first, claim, into);
        this.claimWrites = 'transactions';
      } catch (err) {
        if (!(err instanceof TransactionsUnsupportedError)) throw err;
        this.claimWrites = 'single';
        await this.writeClaims(first, claim, into);
      }
      todo = todo.slice(first.length);
    }
    if (this.claimWrites === 'single') {
      await this.each(todo, async (id) => {
        const written = await this.tryClaimEvent(id, claim);
        if (written === undefined) into.refused.push(id);
        else into.claimed.set(id, written);
      });
    } else {
      await this.each(chunks(todo, TRANSACT_WRITE_LIMIT), (chunk) => this.transactClaims(chunk, claim, into));
    }
  }

  // The claims of up to 100 events in transactions until each is written or refused. A cancelled
  // transaction writes nothing: the events whose condition failed are classified from their old items
  // (an expired claim is taken over in the next transaction, under a condition naming that very claim, so
  // its message key is the one taken over); the others go again, after a backoff when the cancellation
  // was a conflict with another write or throttling.
  private async transactClaims(ids: readonly string[], claim: EventClaim, into: ClaimRound): Promise<void> {
    let todo: ClaimPut[] = ids.map((id) => ({ id }));
    for (let round = 1; todo.length > 0; round++) {
      if (round > UNPROCESSED_ROUNDS) {
        throw new AlertStateError(
          `alert state table ${this.tableName}: a transaction of ${todo.length} event claims kept being cancelled`,
        );
      }
      const reasons = await this.transact(todo, claim);
      if (reasons === undefined) {
        for (const put of todo) into.claimed.set(put.id, previousOf(put));
        return;
      }
      const again: ClaimPut[] = [];
      let conflicted = false;
      let throttled = false;
      for (const [i, put] of todo.entries()) {
        const reason = reasons[i];
        const code = reason?.Code ?? 'None';
        if (code === 'None') {
          again.push(put);
        } else if (code === 'TransactionConflict') {
          again.push(put);
          conflicted = true;
        } else if (THROTTLED_CODES.has(code)) {
          again.push(put);
          throttled = true;
        } else if (code === 'ConditionalCheckFailed') {
          const old = reason?.Item;
          const state = old?.state?.S;
          const lease = Number(old?.leaseUntil?.N ?? '0');
          const owner = old?.owner?.S;
          if (old === undefined) {
            again.push({ id: put.id }); // gone in between (TTL)
          } else if (state === 'claimed' && owner === claim.owner) {
            // A takeover that committed before its answer was lost: the claim is ours already.
            into.claimed.set(put.id, previousOf(put));
          } else if (state === 'claimed' && owner !== undefined && lease < claim.nowMs) {
            const message = old.message?.S;
            const earlier = earlierOf(old);
            again.push({
              id: put.id,
              takeover: {
                owner,
                lease,
                ...(message !== undefined ? { message } : {}),
                ...(earlier.length > 0 ? { earlier } : {}),
              },
            });
          } else {
            into.refused.push(put.id);
            into.found.set(put.id, old);
          }
        } else {
          throw new AlertStateError(
            `alert state table ${this.tableName}: TransactWriteItems cancelled the claim of event ${put.id}: ` +
              `${code}${reason?.Message ? ` (${reason.Message})` : ''}`,
          );
        }
      }
      // Throttling slows the whole store down (the adaptive limit); a conflict with another write of the
      // same events only waits for it to finish.
      if (throttled) await this.backOff(round);
      else if (conflicted)
        await this.sleep(backoffMs(round, { ...UNPROCESSED_BACKOFF, random: this.random }));
      todo = again;
    }
  }

  // One TransactWriteItems of conditional claim Puts: undefined when it committed, else the reasons of its
  // cancellation, one per Put in order. One token for every send of the same transaction: DynamoDB
  // answers a repeat within 10 minutes of one that committed from that commit, without writing again (the
  // SDK's own retries resend the token it generated; our re-sends under the limit must keep it too). A
  // repeat that DynamoDB runs again anyway finds our own claims, which the condition accepts.
  private async transact(
    puts: readonly ClaimPut[],
    claim: EventClaim,
  ): Promise<CancellationReason[] | undefined> {
    const input = {
      TransactItems: puts.map((put) => ({ Put: this.claimPut(put, claim) })),
      ClientRequestToken: randomUUID(),
    };
    try {
      await this.limited(() => this.client.send(new TransactWriteItemsCommand(input)));
      return undefined;
    } catch (err) {
      if (err instanceof TransactionCanceledException) {
        if (err.CancellationReasons?.length === puts.length) return err.CancellationReasons;
      } else if ((err as { name?: unknown }).name === 'UnknownOperationException') {
        throw new TransactionsUnsupportedError(
          `alert state table ${this.tableName}: the DynamoDB endpoint has no TransactWriteItems (UnknownOperationException)`,
          { cause: err },
        );
      }
      throw this.wrap('TransactWriteItems', err);
    }
  }

  // The conditional Put of one claim in a transaction: no item or the owner's own claim, or, for a takeover
  // of an expired claim read from a cancellation, that exact claim still in place.
  private claimPut(put: ClaimPut, claim: EventClaim): Put {
    const item = this.claimItem(put.id, claim, keptBy(put.takeover));
    const returnOld = { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } as const;
    if (put.takeover === undefined) {
      // Not the single write's condition: an expired claim must fail here, so its old item (the message
      // it names) comes back; a transaction that succeeds returns no old items.
      return {
        TableName: this.tableName,
        Item: item,
        ConditionExpression: 'attribute_not_exists(pk) OR (#state = :claimed AND #owner = :owner)',
        ExpressionAttributeNames: { '#state': 'state', '#owner': 'owner' },
        ExpressionAttributeValues: { ':claimed': { S: 'claimed' }, ':owner': { S: claim.owner } },
        ...returnOld,
      };
    }
    return {
      TableName: this.tableName,
      Item: item,
      ConditionExpression: '#state = :claimed AND #owner = :previousOwner AND leaseUntil = :previousLease',
      ExpressionAttributeNames: { '#state': 'state', '#owner': 'owner' },
      ExpressionAttributeValues: {
        ':claimed': { S: 'claimed' },
        ':previousOwner': { S: put.takeover.owner },
        ':previousLease': { N: String(put.takeover.lease) },
      },
      ...returnOld,
    };
  }

  // The item of one event's claim; a takeover's keeps the claims before it (`earlier`, oldest first).
  private claimItem(
    eventId: string,
    claim: EventClaim,
    earlier: readonly EarlierClaim[] = [],
  ): Record<string, AttributeValue> {
    return {
      ...(earlier.length > 0 ? { earlier: { L: earlier.map(earlierItem) } } : {}),
      pk: { S: eventMarkerKey(eventId) },
      kind: { S: 'event' },
      state: { S: 'claimed' },
      owner: { S: claim.owner },
      leaseUntil: { N: String(claim.leaseUntil) },
      at: { N: String(claim.nowMs) },
      message: { S: claim.messageKey },
      expiresAt: { N: String(Math.floor(claim.nowMs / 1000) + this.markerTtlSeconds) },
    };
  }

  // One event's conditional claim: what it took over (its previous message, if any), or undefined when the
  // condition failed (a final marker, or another owner's unexpired claim). An expired claim of another
  // owner is read first, then taken over under a condition naming it, so the new claim can keep it.
  private async tryClaimEvent(eventId: string, claim: EventClaim): Promise<PreviousClaim | undefined> {
    let old: Record<string, AttributeValue> | undefined;
    const written = await this.conditional('PutItem', async () => {
      const out = await this.limited(() =>
        this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: this.claimItem(eventId, claim),
            ...eventClaimCondition(claim),
            ReturnValues: 'ALL_OLD',
          }),
        ),
      );
      old = out.Attributes;
    });
    if (written) {
      const previous = old?.message?.S;
      const previousOwner = old?.owner?.S;
      return previous !== undefined
        ? { previousMessageKey: previous, ...(previousOwner !== undefined ? { previousOwner } : {}) }
        : {};
    }
    const out = await this.call('GetItem', () =>
      this.client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: eventMarkerKey(eventId) } },
          ConsistentRead: true,
        }),
      ),
    );
    const item = out.Item;
    const owner = item?.owner?.S;
    const lease = Number(item?.leaseUntil?.N ?? 'NaN');
    if (item?.state?.S !== 'claimed' || owner === undefined || !(lease < claim.nowMs)) return undefined;
    const message = item.message?.S;
    const earlier = earlierOf(item);
    const takeover = {
      owner,
      lease,
      ...(message !== undefined ? { message } : {}),
      ...(earlier.length > 0 ? { earlier } : {}),
    };
    const taken = await this.conditional('PutItem', () =>
      this.limited(() =>
        this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: this.claimItem(eventId, claim, keptBy(takeover)),
            // That very claim still in place, or already ours (the SDK's retry of this write after a lost answer).
            ConditionExpression:
              '#state = :claimed AND ((#owner = :previousOwner AND leaseUntil = :previousLease) OR #owner = :owner)',
            ExpressionAttributeNames: { '#state': 'state', '#owner': 'owner' },
            ExpressionAttributeValues: {
              ':claimed': { S: 'claimed' },
              ':previousOwner': { S: owner },
              ':previousLease': { N: String(lease) },
              ':owner': { S: claim.owner },
            },
          }),
        ),
      ),
    );
    return taken ? previousOf({ id: eventId, takeover }) : undefined;
  }

  /** Ends the owner's own claims on events (lease 0), keeping the message key they name. */
  async releaseEvents(eventIds: readonly string[], owner: string): Promise<void> {
    await this.each([...new Set(eventIds)], async (eventId) => {
      // A failed condition: the event was marked, or another invocation took the claim over.
      await this.conditional('UpdateItem', () =>
        this.limited(() =>
          this.client.send(
            new UpdateItemCommand({
              TableName: this.tableName,
              Key: { pk: { S: eventMarkerKey(eventId) } },
              UpdateExpression: 'SET leaseUntil = :zero',
              ConditionExpression: '#state = :claimed AND #owner = :owner',
              ExpressionAttributeNames: { '#state': 'state', '#owner': 'owner' },
              ExpressionAttributeValues: {
                ':zero': { N: '0' },
                ':claimed': { S: 'claimed' },
                ':owner': { S: owner },
              },
            }),
          ),
        ),
      );
    });
  }

  /**
   * Gives up a claim after a publish that failed for good, so the Lambda's retry can publish at once
   * instead of waiting for the lease to run out. Only the owner's own unsent claim is deleted.
   */
  async releaseClaim(key: string, owner: string): Promise<void> {
    // A failed condition: someone else took over the expired claim, and it is theirs now.
    await this.conditional('DeleteItem', () =>
      this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: key } },
          ConditionExpression: '#state = :publishing AND #owner = :owner',
          ExpressionAttributeNames: { '#state': 'state', '#owner': 'owner' },
          ExpressionAttributeValues: { ':publishing': { S: 'publishing' }, ':owner': { S: owner } },
        }),
      ),
    );
  }

  /** Records a publish whose outcome is unknown: `uncertain`, one more `uncertainPublishes`, lease 0 (a sent record is left alone). */
  async recordUncertainPublish(key: string, details: { owner: string; atMs: number }): Promise<void> {
    await this.conditional('UpdateItem', () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: key } },
          UpdateExpression:
            'SET #state = :uncertain, leaseUntil = :zero, lastUncertainAt = :at, lastUncertainOwner = :owner ' +
            'ADD uncertainPublishes :one',
          ConditionExpression: 'attribute_not_exists(pk) OR #state <> :sent',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':uncertain': { S: 'uncertain' },
            ':sent': { S: 'sent' },
            ':zero': { N: '0' },
            ':one': { N: '1' },
            ':at': { N: String(details.atMs) },
            ':owner': { S: details.owner },
          },
        }),
      ),
    );
  }

  /**
   * Records that SNS accepted the message: the single write that closes the duplicate window. The held
   * failures it carried go in `carried` (a String Set; DynamoDB has no empty set, so none is
   * `carriedCount` 0 without it).
   */
  async markMessageSent(
    key: string,
    sent: { messageId: string; sentAt: number; eventCount: number; carried?: readonly string[] },
  ): Promise<void> {
    const carried = sent.carried === undefined ? [] : [...new Set(sent.carried)];
    const listed = sent.carried !== undefined;
    await this.call('UpdateItem', () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: key } },
          UpdateExpression:
            'SET #state = :sent, messageId = :id, sentAt = :at, eventCount = :n' +
            (listed ? ', carriedCount = :c' : '') +
            (carried.length > 0 ? ', carried = :ids' : listed ? ' REMOVE carried' : ''),
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':sent': { S: 'sent' },
            ':id': { S: sent.messageId },
            ':at': { N: String(sent.sentAt) },
            ':n': { N: String(sent.eventCount) },
            ...(listed ? { ':c': { N: String(carried.length) } } : {}),
            ...(carried.length > 0 ? { ':ids': { SS: carried } } : {}),
          },
        }),
      ),
    );
  }

  /** Writes markers for events (overwrites are harmless: the same event gets the same state). */
  async markEvents(
    eventIds: readonly string[],
    state: EventMarkerState,
    details: { nowMs: number; messageKey?: string },
  ): Promise<void> {
    const expiresAt = String(Math.floor(details.nowMs / 1000) + this.markerTtlSeconds);
    const requests: WriteRequest[] = [...new Set(eventIds)].map((eventId) => ({
      PutRequest: {
        Item: {
          pk: { S: eventMarkerKey(eventId) },
          kind: { S: 'event' },
          state: { S: state },
          at: { N: String(details.nowMs) },
          ...(details.messageKey !== undefined ? { message: { S: details.messageKey } } : {}),
          expiresAt: { N: expiresAt },
        },
      },
    }));
    await this.each(chunks(requests, BATCH_WRITE_LIMIT), (batch) => this.batchWrite(batch));
  }

  /**
   * Adds one log file's suppressed failures to their signatures' windows, once per file: the file id
   * goes into each window's `countedFiles` set in the same conditional update, so a retry of the file
   * does not count them again. One update per signature, side by side. Returns the keys counted now.
   */
  async countSuppressed(
    counts: readonly SuppressedCount[],
    update: { fileId: string; nowMs: number },
  ): Promise<ReadonlySet<string>> {
    const counted = new Set<string>();
    await this.each(counts, async ({ signatureKey, signature, count }) => {
      const written = await this.updateSignature('suppressed', signatureKey, signature, update.nowMs, {
        ':n': { N: String(count) },
        ':files': { SS: [update.fileId] },
        ':file': { S: update.fileId },
        ':now': { N: String(update.nowMs) },
      });
      if (written) counted.add(signatureKey);
    });
    return counted;
  }

  /**
   * Opens a new window for each signature that was just alerted, side by side: lastAlertedAt moves
   * forward only (a slower, older invocation cannot shorten a newer window), reportedTotal records what
   * the alert reported, and the per-window counted file set starts empty.
   */
  async recordAlerted(
    windows: readonly AlertedWindow[],
    alerted: { sentAt: number; messageKey: string },
  ): Promise<void> {
    // A failed condition: a newer alert already opened a later window (or an earlier attempt did this).
    await this.each(windows, async ({ signatureKey, signature, reportedTotal }) => {
      await this.updateSignature('alerted', signatureKey, signature, alerted.sentAt, {
        ':at': { N: String(alerted.sentAt) },
        ':rep': { N: String(reportedTotal) },
        ':msg': { S: alerted.messageKey },
      });
    });
  }

  // One conditional update of a signature window item; its kind, signature and expiry are always set.
  private updateSignature(
    kind: keyof typeof SIGNATURE_UPDATES,
    key: string,
    signature: SuppressedCount['signature'],
    atMs: number,
    values: Record<string, AttributeValue>,
  ): Promise<boolean> {
    const { update, condition } = SIGNATURE_UPDATES[kind];
    return this.conditional('UpdateItem', () =>
      this.limited(() =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: { pk: { S: key } },
            UpdateExpression: update,
            ConditionExpression: condition,
            ExpressionAttributeValues: {
              ...values,
              ':kind': { S: 'signature' },
              ':sig': { S: JSON.stringify(signature) },
              ':exp': { N: String(Math.floor(atMs / 1000) + this.windowTtlSeconds) },
            },
          }),
        ),
      ),
    );
  }

  // A conditional write: true when written, false when its condition failed; other errors are ours.
  private async conditional(operation: string, write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw this.wrap(operation, err);
    }
  }

  // BatchGetItem in chunks of 100, side by side; unprocessed keys (throttling) are asked again after a backoff.
  private async batchGet(
    keys: readonly string[],
    attributes: string[],
  ): Promise<Array<Record<string, AttributeValue>>> {
    const found: Array<Record<string, AttributeValue>> = [];
    await this.each(chunks(keys, BATCH_GET_LIMIT), async (chunk) => {
      let pending: Array<Record<string, AttributeValue>> | undefined = chunk.map((pk) => ({ pk: { S: pk } }));
      for (let round = 0; pending && pending.length > 0; round++) {
        if (round >= UNPROCESSED_ROUNDS) {
          throw new AlertStateError(
            `alert state table ${this.tableName}: BatchGetItem kept leaving keys unprocessed`,
          );
        }
        if (round > 0) await this.backOff(round);
        const keysThisRound: Array<Record<string, AttributeValue>> = pending;
        const out = await this.call('BatchGetItem', () =>
          this.limited(() =>
            this.client.send(
              new BatchGetItemCommand({
                RequestItems: {
                  [this.tableName]: {
                    Keys: keysThisRound,
                    ConsistentRead: true,
                    ProjectionExpression: attributes.map((_, j) => `#a${j}`).join(', '),
                    ExpressionAttributeNames: Object.fromEntries(attributes.map((a, j) => [`#a${j}`, a])),
                  },
                },
              }),
            ),
          ),
        );
        found.push(...(out.Responses?.[this.tableName] ?? []));
        pending = out.UnprocessedKeys?.[this.tableName]?.Keys;
      }
    });
    return found;
  }

  private async batchWrite(requests: WriteRequest[]): Promise<void> {
    let pending: WriteRequest[] | undefined = requests;
    for (let round = 0; pending && pending.length > 0; round++) {
      if (round >= UNPROCESSED_ROUNDS) {
        throw new AlertStateError(
          `alert state table ${this.tableName}: BatchWriteItem kept leaving items unprocessed`,
        );
      }
      if (round > 0) await this.backOff(round);
      const thisRound: WriteRequest[] = pending;
      const out = await this.call('BatchWriteItem', () =>
        this.limited(() =>
          this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.tableName]: thisRound } })),
        ),
      );
      pending = out.UnprocessedItems?.[this.tableName];
    }
  }

  // Unprocessed items are DynamoDB throttling part of a batch: fewer requests in flight, then a pause.
  private async backOff(round: number): Promise<void> {
    this.limit.throttled();
    this.throttledRequests++;
    await this.sleep(backoffMs(round, { ...UNPROCESSED_BACKOFF, random: this.random }));
  }

  // One request under the shared adaptive limit. Throttling (and other transient faults) left after the
  // SDK's own retries halves the limit and is sent again after a backoff, up to UNPROCESSED_ROUNDS times.
  // Used only for requests that may be repeated: conditional claims that pass for their own owner,
  // releases, reads, marker overwrites and the signature updates guarded by their conditions.
  private async limited<T>(send: () => Promise<T>): Promise<T> {
    for (let round = 1; ; round++) {
      await this.limit.acquire();
      try {
        const out = await send();
        this.limit.succeeded();
        return out;
      } catch (err) {
        // The invocation's time is up: nothing more is sent, and pausing would only eat what is left.
        if (
          err instanceof ConditionalCheckFailedException ||
          err instanceof DeadlineExceededError ||
          !isRetryable(err) ||
          round >= UNPROCESSED_ROUNDS
        ) {
          throw err;
        }
      } finally {
        this.limit.release();
      }
      await this.backOff(round);
    }
  }

  // Runs `work` for every item with at most maxConcurrency running (the adaptive limit then bounds the
  // requests). After a failure no further item starts; the ones running finish, then the first error is thrown.
  private async each<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    let failure: { error: unknown } | undefined;
    const worker = async (): Promise<void> => {
      while (failure === undefined && next < items.length) {
        const item = items[next++] as T;
        try {
          await work(item);
        } catch (error) {
          failure ??= { error };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.maxConcurrency, items.length) }, worker));
    if (failure !== undefined) throw failure.error;
  }

  private async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.wrap(operation, err);
    }
  }

  private wrap(operation: string, err: unknown): AlertStateError {
    if (err instanceof AlertStateError) return err;
    return new AlertStateError(
      `alert state table ${this.tableName}: ${operation} failed: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

/** The endpoint answered TransactWriteItems with UnknownOperationException (dynalite): nothing was written. */
class TransactionsUnsupportedError extends AlertStateError {}

// What one round of claims collects: the claimed events, the refused ones and the refused items known.
interface ClaimRound {
  readonly claimed: Map<string, PreviousClaim>;
  readonly refused: string[];
  readonly found: Map<string, Record<string, AttributeValue>>;
}

// One event's Put in a claim transaction; `takeover` is the expired claim it replaces, as last read.
interface ClaimPut {
  readonly id: string;
  readonly takeover?: Takeover;
}

// An expired claim being taken over, as last read: its owner, lease, message and the claims it had kept.
interface Takeover {
  readonly owner: string;
  readonly lease: number;
  readonly message?: string;
  readonly earlier?: readonly EarlierClaim[];
}

function previousOf(put: ClaimPut): PreviousClaim {
  const message = put.takeover?.message;
  if (message === undefined) return {};
  const earlier = put.takeover?.earlier;
  return {
    previousMessageKey: message,
    previousOwner: put.takeover?.owner as string,
    ...(earlier !== undefined && earlier.length > 0 ? { earlier } : {}),
  };
}

// What a takeover's claim keeps: the claims the replaced one kept, and that one.
function keptBy(takeover: Takeover | undefined): EarlierClaim[] {
  if (takeover === undefined) return [];
  const replaced =
    takeover.message !== undefined ? { messageKey: takeover.message, owner: takeover.owner } : undefined;
  return earlierClaims(takeover.earlier, replaced);
}

function earlierItem(claim: EarlierClaim): AttributeValue {
  return {
    M: {
      message: { S: claim.messageKey },
      ...(claim.owner !== undefined ? { owner: { S: claim.owner } } : {}),
    },
  };
}

// The claims an event's claim item kept (none on items written before claims kept them).
function earlierOf(item: Record<string, AttributeValue>): EarlierClaim[] {
  const kept: EarlierClaim[] = [];
  for (const value of item.earlier?.L ?? []) {
    const messageKey = value.M?.message?.S;
    const owner = value.M?.owner?.S;
    if (messageKey !== undefined) kept.push({ messageKey, ...(owner !== undefined ? { owner } : {}) });
  }
  return kept;
}

// Cancellation reasons that mean the table throttled the transaction.
const THROTTLED_CODES = new Set(['ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);

// An event's claim is written at once when it has no item or is the owner's own claim; an expired claim
// of another owner is read and taken over under a condition naming it (it is kept in the new claim).
function eventClaimCondition(claim: EventClaim) {
  return {
    ConditionExpression: 'attribute_not_exists(pk) OR (#state = :claimed AND #owner = :owner)',
    ExpressionAttributeNames: { '#state': 'state', '#owner': 'owner' },
    ExpressionAttributeValues: { ':claimed': { S: 'claimed' }, ':owner': { S: claim.owner } },
  };
}

function toMessageRecord(item: Record<string, AttributeValue>): MessageRecord {
  const sentAt = item.sentAt?.N;
  const messageId = item.messageId?.S;
  const state = item.state?.S;
  const uncertain = item.uncertainPublishes?.N;
  // Listed from carriedCount on (an empty list has no set); a record without it is from before the list.
  const carried = item.carriedCount?.N !== undefined ? new Set(item.carried?.SS ?? []) : undefined;
  const eventCount = state === 'sent' ? item.eventCount?.N : undefined;
  const bucket = item.bucket?.S;
  const objectKey = item.key?.S;
  return {
    key: item.pk?.S ?? '',
    state: state === 'sent' || state === 'uncertain' ? state : 'publishing',
    ...(uncertain !== undefined ? { uncertainPublishes: Number(uncertain) } : {}),
    owner: item.owner?.S ?? '',
    leaseUntil: Number(item.leaseUntil?.N ?? '0'),
    ...(messageId !== undefined ? { messageId } : {}),
    ...(sentAt !== undefined ? { sentAt: Number(sentAt) } : {}),
    ...(carried !== undefined ? { carried } : {}),
    ...(eventCount !== undefined ? { eventCount: Number(eventCount) } : {}),
    ...(bucket !== undefined && objectKey !== undefined ? { source: { bucket, key: objectKey } } : {}),
  };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
