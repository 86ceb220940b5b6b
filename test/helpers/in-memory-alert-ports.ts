import type { RenderedAlert } from '../../lambdas/core/alert-document';
import type { SignatureWindow } from '../../lambdas/core/alert-policy';
// One namespace import: the port types are the adapter's too, and listing them twice is noise.
import * as Ports from '../../lambdas/core/alert-ports';

interface WindowItem {
  lastAlertedAt?: number;
  suppressedTotal: number;
  reportedTotal: number;
  countedFiles: Set<string>;
}

// Every operation yields once before it acts, so concurrent deliveries interleave between calls as
// they would against a table; each operation itself is atomic, like a single conditional write.
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The alert ledger in memory, with the conditions of the DynamoDB one (docs/alerts.md#state). */
export class InMemoryAlertLedger implements Ports.AlertLedger {
  readonly markers = new Map<string, Ports.EventMarkerState>();
  readonly messages = new Map<string, Ports.MessageRecord>();
  readonly signatureWindows = new Map<string, WindowItem>();
  /** Claims on events not yet marked: owner, lease and the message they are meant for. */
  readonly eventClaims = new Map<
    string,
    { owner: string; leaseUntil: number; messageKey: string; earlier?: Ports.EarlierClaim[] }
  >();

  async eventMarkers(eventIds: readonly string[]): Promise<Map<string, Ports.EventMarkerState>> {
    await tick();
    const found = new Map<string, Ports.EventMarkerState>();
    for (const id of eventIds) {
      const state = this.markers.get(id);
      if (state) found.set(id, state);
    }
    return found;
  }

  async windows(signatureKeys: readonly string[]): Promise<Map<string, SignatureWindow>> {
    await tick();
    const found = new Map<string, SignatureWindow>();
    for (const key of signatureKeys) {
      const item = this.signatureWindows.get(key);
      if (item)
        found.set(key, {
          ...(item.lastAlertedAt !== undefined ? { lastAlertedAt: item.lastAlertedAt } : {}),
          suppressedTotal: item.suppressedTotal,
          reportedTotal: item.reportedTotal,
        });
    }
    return found;
  }

  async messageRecord(key: string): Promise<Ports.MessageRecord | undefined> {
    await tick();
    return this.messages.get(key);
  }

  async claimMessage(key: string, claim: Ports.MessageClaim): Promise<Ports.ClaimResult> {
    await tick();
    const record = this.messages.get(key);
    if (
      record === undefined ||
      (record.state !== 'sent' && (record.leaseUntil < claim.nowMs || record.owner === claim.owner))
    ) {
      this.messages.set(key, {
        key,
        state: 'publishing',
        owner: claim.owner,
        leaseUntil: claim.leaseUntil,
        source: claim.source,
        ...(record?.uncertainPublishes !== undefined
          ? { uncertainPublishes: record.uncertainPublishes }
          : {}),
      });
      return { claimed: true };
    }
    return { claimed: false, record };
  }

  async claimEvents(eventIds: readonly string[], claim: Ports.EventClaim): Promise<Ports.EventClaims> {
    await tick();
    const claimed = new Map<string, Ports.PreviousClaim>();
    const final = new Map<string, Ports.EventMarkerState>();
    const held = new Map<string, number>();
    const heldFor = new Map<string, string>();
    const heldBy = new Map<string, string>();
    for (const id of new Set(eventIds)) {
      const marker = this.markers.get(id);
      if (marker) {
        final.set(id, marker);
        continue;
      }
      const current = this.eventClaims.get(id);
      if (current && current.owner !== claim.owner && current.leaseUntil >= claim.nowMs) {
        held.set(id, current.leaseUntil);
        heldFor.set(id, current.messageKey);
        heldBy.set(id, current.owner);
        continue;
      }
      // A takeover keeps the claims before it; the owner's own claim written again keeps none (as the
      // table's transaction, whose Put overwrites the item, does).
      const taken = current !== undefined && current.owner !== claim.owner;
      const earlier = taken
        ? Ports.earlierClaims(current.earlier, { messageKey: current.messageKey, owner: current.owner })
        : [];
      claimed.set(id, {
        ...(current ? { previousMessageKey: current.messageKey, previousOwner: current.owner } : {}),
        ...(taken && current.earlier?.length ? { earlier: current.earlier } : {}),
      });
      this.eventClaims.set(id, {
        owner: claim.owner,
        leaseUntil: claim.leaseUntil,
        messageKey: claim.messageKey,
        ...(earlier.length > 0 ? { earlier } : {}),
      });
    }
    return { claimed, final, held, heldFor, heldBy };
  }

  async releaseEvents(eventIds: readonly string[], owner: string): Promise<void> {
    await tick();
    for (const id of eventIds) {
      const current = this.eventClaims.get(id);
      if (current?.owner === owner) this.eventClaims.set(id, { ...current, leaseUntil: 0 });
    }
  }

  async releaseClaim(key: string, owner: string): Promise<void> {
    await tick();
    const record = this.messages.get(key);
    if (record?.state === 'publishing' && record.owner === owner) this.messages.delete(key);
  }

  async recordUncertainPublish(key: string, details: { owner: string }): Promise<void> {
    await tick();
    const record = this.messages.get(key);
    if (record?.state === 'sent') return;
    this.messages.set(key, {
      key,
      state: 'uncertain',
      owner: record?.owner ?? details.owner,
      leaseUntil: 0,
      uncertainPublishes: (record?.uncertainPublishes ?? 0) + 1,
      ...(record?.source ? { source: record.source } : {}),
    });
  }

  async markMessageSent(
    key: string,
    sent: { messageId: string; sentAt: number; eventCount: number; carried?: readonly string[] },
  ): Promise<void> {
    await tick();
    const record = this.messages.get(key);
    this.messages.set(key, {
      key,
      owner: record?.owner ?? '',
      leaseUntil: record?.leaseUntil ?? 0,
      state: 'sent',
      messageId: sent.messageId,
      sentAt: sent.sentAt,
      eventCount: sent.eventCount,
      ...(record?.source ? { source: record.source } : {}),
      ...(sent.carried !== undefined ? { carried: new Set(sent.carried) } : {}),
      ...(record?.uncertainPublishes !== undefined ? { uncertainPublishes: record.uncertainPublishes } : {}),
    });
  }

  async markEvents(eventIds: readonly string[], state: Ports.EventMarkerState): Promise<void> {
    await tick();
    for (const id of eventIds) {
      this.markers.set(id, state);
      this.eventClaims.delete(id);
    }
  }

  async countSuppressed(
    counts: readonly Ports.SuppressedCount[],
    update: { fileId: string },
  ): Promise<ReadonlySet<string>> {
    await tick();
    const counted = new Set<string>();
    for (const { signatureKey, count } of counts) {
      const item = this.window(signatureKey);
      if (item.countedFiles.has(update.fileId)) continue;
      item.countedFiles.add(update.fileId);
      item.suppressedTotal += count;
      counted.add(signatureKey);
    }
    return counted;
  }

  async recordAlerted(windows: readonly Ports.AlertedWindow[], alerted: { sentAt: number }): Promise<void> {
    await tick();
    for (const { signatureKey, reportedTotal } of windows) {
      const item = this.window(signatureKey);
      if (item.lastAlertedAt !== undefined && item.lastAlertedAt >= alerted.sentAt) continue;
      item.lastAlertedAt = alerted.sentAt;
      item.reportedTotal = reportedTotal;
      item.countedFiles = new Set();
    }
  }

  private window(key: string): WindowItem {
    let item = this.signatureWindows.get(key);
    if (!item) {
      item = { suppressedTotal: 0, reportedTotal: 0, countedFiles: new Set() };
      this.signatureWindows.set(key, item);
    }
    return item;
  }
}

/** A publisher that keeps what it was given; `failures` first publishes throw (as SNS refusing them). */
export class InMemoryPublisher implements Ports.AlertPublisher {
  readonly published: RenderedAlert[] = [];
  constructor(private failures = 0) {}

  async publish(message: RenderedAlert): Promise<string> {
    await tick();
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('publish refused');
    }
    this.published.push(message);
    return `message-${this.published.length}`;
  }

  /** Per eventId, how many published messages list it. */
  timesCarried(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const message of this.published) {
      for (const e of message.document.events) counts[e.eventId] = (counts[e.eventId] ?? 0) + 1;
    }
    return counts;
  }
}
