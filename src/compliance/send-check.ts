import type { Kysely, Transaction } from 'kysely';
import type { OutboundMessage } from '../contract/index.ts';
import type { Database } from '../store/index.ts';
import { addressOfIdentity } from './recipient-address.ts';
import { isSuppressed } from './suppression.ts';

type Db = Kysely<Database> | Transaction<Database>;

export const SuppressionRefusalCodes = ['RecipientOptedOut', 'DoNotContact'] as const;
export type SuppressionRefusalCode = (typeof SuppressionRefusalCodes)[number];

/**
 * Why a message must not go out: the shape of the channels sender's `Refusal`, which it
 * turns into a `failed` receipt reading `<code>: <reason>` (what the agent sees).
 */
export interface SuppressionRefusal {
  readonly ok: false;
  readonly code: SuppressionRefusalCode;
  readonly reason: string;
}

/** What the check reads from the live configuration (`ConfigRegistry` has both). */
export interface SendCheckConfig {
  channel(tenant: string, name: string): { type: string } | undefined;
  campaign(tenant: string, name: string): { spec: { doNotContact: readonly string[] } } | undefined;
}

/**
 * The send-time suppression check, for the channels sender's `beforeSend` hook. It
 * refuses a message — an agent's reply, a campaign's, a notification — to an address that
 * opted out of this tenant (on any channel), or that is on a do-not-contact list for this
 * channel kind or for all kinds (a campaign: only the lists it names). It lets through:
 *
 * - compliance answers (`origin.kind = 'compliance'`): the opt-out confirmation and HELP;
 * - transactional notifications (`origin.category = 'transactional'`), which the
 *   notifications table records as such;
 * - customers known only by an opaque id (no phone or e-mail to look up).
 *
 * One indexed query per message.
 */
export function suppressionCheck(db: Db, config: SendCheckConfig): (message: OutboundMessage) => Promise<SuppressionRefusal | undefined> {
  return async (message) => {
    const origin = message.origin;
    if (origin?.kind === 'compliance') return undefined;
    if (origin?.kind === 'notification' && origin.category === 'transactional') return undefined;
    const address = addressOfIdentity(message.to);
    if (address === undefined) return undefined;
    const kind = config.channel(message.tenant, message.channel)?.type ?? '';
    // A campaign that is gone from the configuration: every list of the tenant (the strictest).
    const lists = origin?.kind === 'campaign' ? config.campaign(message.tenant, origin.campaign)?.spec.doNotContact : undefined;
    const found = await isSuppressed(db, message.tenant, address, kind, lists ? { lists } : {});
    if (!found) return undefined;
    return found.reason === 'opted-out'
      ? { ok: false, code: 'RecipientOptedOut', reason: `the customer opted out on ${found.since.toISOString()}; nothing more may be sent to them until they opt back in (START)` }
      : { ok: false, code: 'DoNotContact', reason: `the recipient is on the do-not-contact list ${found.listId}` };
  };
}
