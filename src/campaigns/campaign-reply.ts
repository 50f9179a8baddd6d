import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { addressOfIdentity, type ChannelIdentity } from '../compliance/index.ts';
import type { ConfigRegistry } from '../config/index.ts';
import { subjects } from '../contract/index.ts';
import type { Database } from '../store/index.ts';
import { campaignDb } from './tables.ts';

/** Where a customer's reply to a campaign message goes. */
export interface CampaignReply {
  campaign: string;
  /** The conversation the campaign message opened: the reply joins it. */
  conversationId: string;
  /** The campaign's reply queue; undefined: answered by the campaign's keyword rules. */
  queue: string | undefined;
  /** Without a queue: close the conversation after this long without a customer message. */
  noReplyCloseMs: number;
}

/**
 * The open campaign attempt a reply belongs to: the latest message a campaign with
 * `spec.replies` handed to the channel for `address` (E.164 or lower-cased e-mail) on this
 * channel, within the campaign's reply window before `at`. Undefined: an ordinary
 * inbound message. Meant for the router's inbound path, before it opens a conversation.
 */
/** The longest reply window of the tenant's campaigns on the channel; 0: none of them waits for replies there. */
function longestReplyWindow(config: ConfigRegistry, tenant: string, channel: string): number {
  return Math.max(0, ...config.allCampaigns().filter((c) => c.tenant === tenant && c.spec.channel === channel).map((c) => c.spec.replies?.window ?? 0));
}

export async function findCampaignReply(
  db: Kysely<Database>,
  config: ConfigRegistry,
  message: { tenant: string; channel: string; address: string; at: Date },
): Promise<CampaignReply | undefined> {
  const longest = longestReplyWindow(config, message.tenant, message.channel);
  if (longest === 0) return undefined;
  const rows = await campaignDb(db)
    .selectFrom('campaign_attempts')
    .select(['campaign', 'conversation_id', 'published_at'])
    .where('tenant', '=', message.tenant)
    .where('channel', '=', message.channel)
    .where('address', '=', message.address)
    .where('status', 'in', ['published', 'sent', 'delivered'])
    .where('attempted_at', '>=', new Date(message.at.getTime() - longest))
    .orderBy('attempted_at', 'desc')
    .limit(10)
    .execute();
  for (const row of rows) {
    const replies = config.campaign(message.tenant, row.campaign)?.spec.replies;
    const sentAt = row.published_at ?? message.at;
    if (replies && message.at.getTime() - sentAt.getTime() <= replies.window) {
      return { campaign: row.campaign, conversationId: row.conversation_id, queue: replies.queue, noReplyCloseMs: replies.noReplyClose };
    }
  }
  return undefined;
}

/** How the router takes a customer message that replies to a campaign. */
export interface CampaignReplyRoute {
  campaign: string;
  /** The campaign message's conversation, or a new one when that one was used and closed already. */
  conversationId: string;
  /** The campaign's reply queue; undefined: the campaign's reply bot answers (keyword rules). */
  queue: string | undefined;
  /** The reply bot: asked for each customer message while no queue is named. */
  bot: { subject: string; timeoutMs: number } | null;
  /** Without a queue: the conversation closes after this long without a customer message. */
  noReplyCloseMs: number | undefined;
}

/** How long the router waits for the reply bot (it answers from memory). */
const REPLY_BOT_TIMEOUT_MS = 5_000;

/**
 * Called by the router for a customer message that opens a new conversation: when the
 * address received a campaign message within the campaign's reply window, the reply is
 * tied to that campaign — on the campaign message's conversation, the attempt marked
 * replied (campaign results count replies) — and routed to the campaign's queue or, without
 * one, to its reply bot. Undefined: an ordinary message. Runs in the router's transaction.
 */
export async function routeCampaignReply(
  tx: Kysely<Database>,
  config: ConfigRegistry,
  message: { tenant: string; channel: string; from: ChannelIdentity; at: Date },
): Promise<CampaignReplyRoute | undefined> {
  // Most channels have no campaign waiting for replies: their senders' addresses need not
  // be normalized (a phone number's parse was 2 % of the router's CPU in the cluster bench).
  if (longestReplyWindow(config, message.tenant, message.channel) === 0) return undefined;
  const address = addressOfIdentity(message.from);
  if (!address) return undefined;
  const reply = await findCampaignReply(tx, config, { tenant: message.tenant, channel: message.channel, address, at: message.at });
  if (!reply) return undefined;
  // The campaign conversation exists once a first reply started it; closed since, a new reply starts another.
  const taken = await tx.selectFrom('conversations').select('id').where('id', '=', reply.conversationId).executeTakeFirst();
  const conversationId = taken ? randomUUID() : reply.conversationId;
  await campaignDb(tx)
    .updateTable('campaign_attempts')
    .set((eb) => ({ replied_at: eb.fn.coalesce('replied_at', eb.val(message.at)), reply_conversation_id: eb.fn.coalesce('reply_conversation_id', eb.val(conversationId)) }))
    .where('tenant', '=', message.tenant)
    .where('campaign', '=', reply.campaign)
    .where('conversation_id', '=', reply.conversationId)
    .execute();
  return {
    campaign: reply.campaign,
    conversationId,
    queue: reply.queue,
    bot: reply.queue === undefined ? { subject: subjects.campaignReplies(message.tenant, reply.campaign), timeoutMs: REPLY_BOT_TIMEOUT_MS } : null,
    noReplyCloseMs: reply.queue === undefined ? reply.noReplyCloseMs : undefined,
  };
}
