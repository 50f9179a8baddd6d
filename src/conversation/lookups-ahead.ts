import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { externalIdOf } from '../contract/index.ts';
import type { ConfigRegistry } from '../config/index.ts';
import { identitiesOf, linkCustomers, lookupInbounds, type CustomerLink, type Database, type InboundLookup, type InboundLookupRequest } from '../store/index.ts';
import { conversationPartitionKey } from '../partition/index.ts';
import type { ActorStepper, Fence } from '../runtime/index.ts';
import type { OpenConversations } from './open-conversations.ts';
import type { ReceivedMessage } from './receive-message.ts';

type Tx = Kysely<Database>;

/**
 * The lookups of a transaction's new customers, read in one statement before its work
 * runs (`lookupInbounds`), and their new identities linked in one more (`linkCustomers`),
 * instead of two round trips each: a burst of first messages is mostly lookups. Read for
 * the first message of each key whose conversation this router does not hold active
 * (`OpenConversations`: its follow-ups step from memory) and that is no e-mail reply
 * threaded by references (its lookup reads the messages it references). A message takes its lookup once, and
 * only if no step of the transaction changed its key's conversation since
 * (`ActorStepper.steppedByKey`): otherwise it looks up again.
 *
 * Linking ahead puts a new customer's links before the work that comes earlier in the
 * transaction: a follow-up there bringing the same phone links it after, to whichever
 * customer got it first. The two are different senders, whose order the router never knew.
 */
export class LookupsAhead {
  private readonly byTransaction = new WeakMap<Tx, Map<ReceivedMessage, InboundLookup>>();

  constructor(
    private readonly config: ConfigRegistry,
    private readonly open: OpenConversations,
  ) {}

  /** Reads ahead for the customer messages among `work` (an agent starting a conversation reads for itself). */
  async read(tx: Tx, work: readonly { fence: Fence; input: unknown }[], actors: ActorStepper): Promise<void> {
    const keys = new Set<string>();
    const messages: ReceivedMessage[] = [];
    const requests: InboundLookupRequest[] = [];
    for (const { fence, input } of work) {
      if ('start' in (input as object)) continue;
      const envelope = input as ReceivedMessage;
      const channel = this.config.channel(envelope.tenant, envelope.channel);
      if (!channel) continue;
      const externalId = externalIdOf(envelope.from);
      const key = conversationPartitionKey(envelope.tenant, channel.name, externalId);
      const first = !keys.has(key);
      keys.add(key);
      if (!first || envelope.references?.length) continue;
      // Held open and active: its follow-up steps from memory (passivated: it is looked up, with the others).
      const open = this.open.get(key);
      if (open && actors.activeActor(tx, 'conversation', { tenant: envelope.tenant, id: open.id, partition: fence.partition }, fence.epoch)) continue;
      messages.push(envelope);
      requests.push({ partition: fence.partition, tenant: envelope.tenant, channel: channel.name, platformMessageId: envelope.messageId, keys: identitiesOf(channel.name, envelope.from), externalId });
    }
    // One lookup costs the same either way.
    if (requests.length < 2) return;
    const found = await lookupInbounds(tx, requests);
    await this.link(tx, messages, requests, found);
    this.byTransaction.set(tx, new Map(messages.map((message, i) => [message, found[i] as InboundLookup])));
  }

  /**
   * The senders with an identity not linked (new customers, mostly) are linked in one
   * statement too, under the locks the lookup took. A sender sharing such an identity
   * with one linked here is left to link itself, after: a statement does not see its own
   * inserts, and the two must find the same customer.
   */
  private async link(tx: Tx, messages: readonly ReceivedMessage[], requests: readonly InboundLookupRequest[], found: InboundLookup[]): Promise<void> {
    const taken = new Set<string>();
    const linking: { lookup: InboundLookup; link: CustomerLink }[] = [];
    requests.forEach((request, i) => {
      const lookup = found[i] as InboundLookup;
      if (lookup.seen || !lookup.identitiesLocked) return;
      const identities = request.keys.map((k) => `${k.kind}\u0000${k.channel}\u0000${k.value}`);
      if (identities.some((identity) => taken.has(identity))) return;
      for (const identity of identities) taken.add(identity);
      const name = (messages[i] as ReceivedMessage).from.name ?? null;
      linking.push({ lookup, link: { tenant: request.tenant, keys: request.keys, created: { id: randomUUID(), name } } });
    });
    if (linking.length === 0) return;
    const customers = await linkCustomers(tx, linking.map((l) => l.link));
    linking.forEach(({ lookup }, i) => (lookup.customerId = customers[i]));
  }

  /** The lookup read ahead for this message, once; undefined when there is none, or its key's conversation was stepped since. */
  take(tx: Tx, envelope: ReceivedMessage, key: string, actors: ActorStepper): InboundLookup | undefined {
    const ahead = this.byTransaction.get(tx);
    const found = ahead?.get(envelope);
    if (!found) return undefined;
    ahead?.delete(envelope);
    return actors.steppedByKey(tx, 'conversation', key) ? undefined : found;
  }
}
