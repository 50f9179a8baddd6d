import type { Kysely } from 'kysely';
import type { ConfigRegistry } from '../config/index.ts';
import type { Database } from '../store/index.ts';
import { campaignDb } from './tables.ts';

/** Where a customer's reply to a campaign message goes. */
export interface CampaignReply {
  campaign: string;
  /** The conversation the campaign message opened: the reply joins it. */
  conversationId: string;
  /** The campaign's reply queue; undefined: answer by the channel's keyword rules. */
  queue: string | undefined;
  /** Close the conversation after this long without a reply. */
  noReplyCloseMs: number;
}

/**
 * The open campaign attempt a reply belongs to: the latest message a campaign with
 * `spec.replies` handed to the channel for `address` (E.164 or lower-cased e-mail) on this
 * channel, within the campaign's reply window before `at`. Undefined: an ordinary
 * inbound message. Meant for the router's inbound path, before it opens a conversation.
 */
export async function findCampaignReply(
  db: Kysely<Database>,
  config: ConfigRegistry,
  message: { tenant: string; channel: string; address: string; at: Date },
): Promise<CampaignReply | undefined> {
  const longest = Math.max(0, ...config.allCampaigns().filter((c) => c.tenant === message.tenant && c.spec.channel === message.channel).map((c) => c.spec.replies?.window ?? 0));
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
