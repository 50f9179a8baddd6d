import { z } from 'zod';
import { MediaTypes } from './media.ts';
import { AgentId, Skill, TenantName, Timestamp } from './names.ts';
import { Attachment, RichContent, hasBody } from './rich-content.ts';

export const Presences = ['offline', 'available', 'away'] as const;
export type Presence = (typeof Presences)[number];

const base = {
  version: z.literal(1),
  /** Unique per command (UUID); used as `Nats-Msg-Id` and echoed in `command.result`. */
  commandId: z.uuid(),
  tenant: TenantName,
  agentId: AgentId,
  issuedAt: Timestamp,
};


/** Creates or updates the agent's profile (admin). */
export const ConfigureAgent = z.object({
  ...base,
  type: z.literal('agent.configure'),
  name: z.string().min(1).max(256),
  skills: z.array(Skill).max(100),
  /** Conversations at once per media type (0–25); missing types default to 0. */
  capacity: z.partialRecord(z.enum(MediaTypes), z.number().int().min(0).max(25)),
});

export const SetPresence = z.object({ ...base, type: z.literal('presence.set'), presence: z.enum(Presences) });

export const AcceptOffer = z.object({ ...base, type: z.literal('offer.accept'), offerId: z.uuid() });

export const RejectOffer = z.object({
  ...base,
  type: z.literal('offer.reject'),
  offerId: z.uuid(),
  reason: z.string().max(256).optional(),
});

export const SendMessage = z
  .object({
    ...base,
    type: z.literal('message.send'),
    conversationId: z.uuid(),
    text: z.string().max(65536).optional(),
    attachments: z.array(Attachment).max(20).optional(),
    content: z.array(RichContent).max(10).optional(),
  })
  .refine(hasBody, {
    message: 'a message needs text, attachments or content',
  });

/** The agent ends its interaction: the conversation is parked until the customer writes again. */
export const CloseConversation = z.object({
  ...base,
  type: z.literal('conversation.close'),
  conversationId: z.uuid(),
});

/**
 * A command from an agent client (through the gateway) to
 * `parley.v1.agent.cmd.<tenant>.<agentId>` (JetStream, `Nats-Msg-Id` = `commandId`).
 */
export const AgentCommand = z.discriminatedUnion('type', [
  ConfigureAgent,
  SetPresence,
  AcceptOffer,
  RejectOffer,
  SendMessage,
  CloseConversation,
]);
export type AgentCommand = z.infer<typeof AgentCommand>;
export type AgentCommandType = AgentCommand['type'];
