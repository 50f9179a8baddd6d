import type { Kysely } from 'kysely';
import type { DeliveryReceipt } from '../contract/index.ts';
import { applyReceipts, type Database, type ReceiptUpdate } from '../store/index.ts';

/** Receipts applied in one statement at most. */
const MAX_BATCH = 500;

interface Waiting {
  receipt: ReceiptUpdate;
  resolve: (known: boolean) => void;
  reject: (err: unknown) => void;
}

/**
 * Applies the receipts the consume loop hands over one by one in batches: those that
 * came in the same turn of the event loop go in one statement (`applyReceipts`), so a
 * campaign's thousands of receipts a second cost a statement per batch, not a
 * transaction each. Each receipt still gets its own answer: whether it names a message
 * Parley sent (else the caller dead-letters it).
 */
export class ReceiptBatch {
  private waiting: Waiting[] = [];
  private flushQueued = false;

  constructor(private readonly db: Kysely<Database>) {}

  /** Resolves once the receipt is applied: whether its message is Parley's own. */
  apply(r: DeliveryReceipt): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ receipt: { tenant: r.tenant, messageId: r.messageId, status: r.status, at: new Date(r.timestamp), reason: r.reason }, resolve, reject });
      if (this.waiting.length >= MAX_BATCH) return this.flush();
      if (this.flushQueued) return;
      this.flushQueued = true;
      setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    this.flushQueued = false;
    const batch = this.waiting;
    if (batch.length === 0) return;
    this.waiting = [];
    applyReceipts(
      this.db,
      batch.map((w) => w.receipt),
    ).then(
      (known) => {
        for (const w of batch) w.resolve(known.has(w.receipt.messageId));
      },
      (err: unknown) => {
        for (const w of batch) w.reject(err);
      },
    );
  }
}
