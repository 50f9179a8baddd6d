import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { CampaignResource, ConfigRegistry } from '../config/index.ts';
import { z } from 'zod';
import { encode, subjects, type BotAnswer } from '../contract/index.ts';
import type { Logger } from '../observability/index.ts';

type Replies = NonNullable<CampaignResource['spec']['replies']>;

/** What the bot reads of a `BotRequest`: the customer's text, if any. */
const ReplyRequest = z.object({ message: z.object({ text: z.string().optional() }) });

/** Queue group: one process answers each request, whichever holds the conversation. */
const QUEUE_GROUP = 'parley-campaign-replies';

const fold = (text: string): string => text.trim().normalize('NFC').toLocaleUpperCase('und');

/**
 * The answer to a reply of a campaign without a reply queue: the first keyword rule one of
 * whose `match` the whole reply is (trimmed, any case) → its answer; else `otherwise`;
 * else a handoff to the conversation's queue (the channel's), so that a person reads it.
 */
export function answerCampaignReply(replies: Replies | undefined, text: string | undefined): BotAnswer {
  const said = text === undefined ? '' : fold(text);
  const rule = said === '' ? undefined : replies?.keywords?.find((k) => k.match.some((m) => fold(m) === said));
  if (rule) return { action: 'reply', text: rule.answer };
  if (replies?.otherwise) return { action: 'reply', text: replies.otherwise };
  return { action: 'handoff' };
}

/**
 * Answers the router's bot requests for campaign reply conversations (subject
 * `parley.v1.campaign.replies.<tenant>.<campaign>`) from the live configuration. Runs in
 * every process that runs the campaign service; the conversation's bot timer hands the
 * conversation to an agent if no process answers.
 */
export function startCampaignReplyBot(nc: NatsConnection, config: ConfigRegistry, logger?: Logger): { stop(): Promise<void> } {
  const subscription: Subscription = nc.subscribe(subjects.all.campaignReplies, {
    queue: QUEUE_GROUP,
    callback: (err, msg) => {
      if (err) {
        logger?.warn('campaign reply bot subscription failed', { error: String(err) });
        return;
      }
      // The subject names the tenant and the campaign: the body is not trusted for either.
      const [tenant = '', campaign = ''] = msg.subject.split('.').slice(-2);
      // A throw here would end the connection's reader (every subscription of the process): what cannot be read is not answered, and the asker's timeout hands the conversation on.
      let text: string | undefined;
      try {
        const request = ReplyRequest.safeParse(msg.json<unknown>());
        if (!request.success) {
          logger?.warn('unreadable campaign reply request', { subject: msg.subject, error: z.prettifyError(request.error) });
          return;
        }
        text = request.data.message.text;
      } catch (parseErr) {
        logger?.warn('unreadable campaign reply request', { subject: msg.subject, error: String(parseErr) });
        return;
      }
      const replies = config.campaign(tenant, campaign)?.spec.replies;
      msg.respond(encode(answerCampaignReply(replies, text)));
    },
  });
  return {
    async stop() {
      subscription.unsubscribe();
      await subscription.closed;
    },
  };
}
