import type { Kysely } from 'kysely';
import type { Database, IdentityKey } from '../store/index.ts';

type Tx = Kysely<Database>;

const identityOf = (k: IdentityKey) => `${k.kind}\u0000${k.channel}\u0000${k.value}`;

/**
 * The identities of the new customers whose links a transaction's steps queued with their
 * writes (`linkNewCustomer`), not sent yet. Another message of the transaction bringing
 * one of them must send the writes before it reads the identity (its lookup, or its
 * link): it would find it not linked, and link it a second time.
 */
export class NewCustomersInWrites {
  private readonly byTransaction = new WeakMap<Tx, Set<string>>();

  add(tx: Tx, keys: readonly IdentityKey[]): void {
    let queued = this.byTransaction.get(tx);
    if (!queued) this.byTransaction.set(tx, (queued = new Set()));
    for (const k of keys) queued.add(identityOf(k));
  }

  /** Whether one of these identities was queued in the transaction (perhaps sent since: a flush then sends only what is left). */
  among(tx: Tx, keys: readonly IdentityKey[]): boolean {
    const queued = this.byTransaction.get(tx);
    return queued !== undefined && keys.some((k) => queued.has(identityOf(k)));
  }
}
