import { z } from 'zod';
import { ResourceName, Skill } from './names.ts';
import { Attachment, RichContent, hasBody } from './rich-content.ts';
import { Attributes, type IdTypes } from './inbound-message.ts';
import { displayText } from './strings.ts';

/**
 * What Parley asks a bot, by NATS request/reply on the subject a Channel's
 * `inboundFlow.bot.subject` names, for each customer message of a conversation the bot
 * handles (JSON; the bot answers with a BotAnswer).
 */
export interface BotRequest {
  version: 1;
  tenant: string;
  channel: string;
  conversationId: string;
  customer: { id: string; idType: (typeof IdTypes)[number]; name?: string };
  message: { id: string; text?: string; attachments?: Attachment[]; content?: RichContent[]; sentAt: string };
  /** Attributes the bot collected so far (from its earlier `reply` answers). */
  attributes: Record<string, string>;
}

/** The bot answers the customer and keeps the conversation. */
export const BotReply = z
  .object({
    action: z.literal('reply'),
    text: displayText({ max: 65536 }).optional(),
    attachments: z.array(Attachment).max(20).optional(),
    content: z.array(RichContent).max(10).optional(),
    /** Data collected so far, handed to the agent with the conversation. */
    attributes: Attributes.optional(),
  })
  .refine(hasBody, { message: 'a reply needs text, attachments or content' });

/** The bot hands the conversation to an agent, with what it learnt. */
export const BotHandoff = z.object({
  action: z.literal('handoff'),
  queue: ResourceName.optional(),
  skills: z.array(Skill).max(50).optional(),
  priority: z.number().int().min(0).max(100).optional(),
  attributes: Attributes.optional(),
});

export const BotAnswer = z.discriminatedUnion('action', [BotReply, BotHandoff]);
export type BotAnswer = z.infer<typeof BotAnswer>;
