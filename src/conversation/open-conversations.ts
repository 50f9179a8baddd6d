import { flatString } from '../runtime/index.ts';
import type { IdentityKey } from '../store/index.ts';

/** Keys remembered at most (beyond, the memory starts afresh: a few messages then look their conversation up again). */
const REMEMBERED = 100_000;

/** What a customer message needs to join its conversation without reading the store. */
export interface OpenConversation {
  id: string;
  customerId: string;
  /** The sender's identities when they were linked (`identitySignature`): different ones must be linked first. */
  identities: string;
}

/**
 * The conversation open for each conversation key (a customer on a channel), as this
 * router last found or started it, so that a follow-up of an active conversation is
 * stepped from memory without the lookup (`receiveMessage`). Only a hint: the
 * conversation's state is trusted only while the host holds it active under the
 * partition's epoch, and a key whose conversation is closed, or not active, is looked up.
 */
export class OpenConversations {
  private readonly byKey = new Map<string, OpenConversation>();

  get(key: string): OpenConversation | undefined {
    return this.byKey.get(key);
  }

  set(key: string, open: OpenConversation): void {
    if (this.byKey.size >= REMEMBERED && !this.byKey.has(key)) this.byKey.clear();
    // Kept as long as the conversation is open: in one piece (see `flatString`).
    this.byKey.set(flatString(key), open);
  }
}

/** The sender's identities as one string, to tell whether a message brings identities not linked yet. */
export function identitySignature(keys: readonly IdentityKey[]): string {
  return keys.map((k) => `${k.kind}\u0000${k.channel}\u0000${k.value}`).join('\u0001');
}
