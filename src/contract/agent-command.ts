import { z } from 'zod';
import { MediaTypes } from './media.ts';
import { AgentId, ResourceName, Skill, TenantName, Timestamp } from './names.ts';
import { Attachment, RichContent, hasBody } from './rich-content.ts';
import { Customer } from './inbound-message.ts';
import { displayText, exactText, safeRecord } from './strings.ts';
import { TRANSFER_NOTE_MAX } from './transfer-note.ts';

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
  name: displayText({ min: 1, max: 256 }),
  skills: z.array(Skill).max(100),
  /** Conversations at once per media type (0–25); missing types default to 0. */
  capacity: z.partialRecord(z.enum(MediaTypes), z.number().int().min(0).max(25)),
  /** Proficiency (1–5) per skill; a listed skill without a rating counts as 3. */
  proficiency: safeRecord(Skill, z.number().int().min(1).max(5)).optional(),
  /** Languages the agent speaks (BCP 47 primary tags such as fr, en). */
  languages: z.array(z.string().regex(/^[a-z]{2,3}$/)).max(20).optional(),
  /** Labels that queues select members by. */
  labels: safeRecord(z.string().regex(/^[A-Za-z0-9][-A-Za-z0-9_./]{0,62}$/), exactText({ max: 63 })).optional(),
  /**
   * Which media may still be offered while the agent is busy on another (Genesys'
   * "interrupted by"): `{ email: ['message'] }` lets an agent working an e-mail get messages.
   * Default: messaging types mix, and e-mail is interruptible by messaging.
   */
  interruptibleBy: z.partialRecord(z.enum(MediaTypes), z.array(z.enum(MediaTypes))).optional(),
  /** Offers are accepted at once on the agent's behalf. @default false */
  autoAccept: z.boolean().optional(),
  /** Offers missed in a row (timed out) after which the agent is set away; 0 never. @default 3 */
  awayAfterMissedOffers: z.number().int().min(0).max(100).optional(),
});

/**
 * The profile an admin sets: `agent.configure` without the command's envelope. The one
 * type of it (the agent actor's `agent.configure` event carries it).
 */
export type AgentProfile = Omit<z.infer<typeof ConfigureAgent>, keyof typeof base | 'type'>;

export const SetPresence = z.object({ ...base, type: z.literal('presence.set'), presence: z.enum(Presences) });

export const AcceptOffer = z.object({ ...base, type: z.literal('offer.accept'), offerId: z.uuid() });

export const RejectOffer = z.object({
  ...base,
  type: z.literal('offer.reject'),
  offerId: z.uuid(),
  reason: displayText({ max: 256 }).optional(),
});

export const SendMessage = z
  .object({
    ...base,
    type: z.literal('message.send'),
    conversationId: z.uuid(),
    text: displayText({ max: 65536 }).optional(),
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
  /** Required when the queue defines wrap-up codes and requires one. */
  wrapUpCode: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).optional(),
});

/** A blind transfer: the conversation leaves this agent for another queue or one named agent. */
export const TransferConversation = z.object({
  ...base,
  type: z.literal('conversation.transfer'),
  conversationId: z.uuid(),
  to: z.union([z.strictObject({ queue: ResourceName }), z.strictObject({ agentId: AgentId })]),
  /** For the next agent: shown on their offer and in the timeline. */
  note: z.string().trim().min(1).max(TRANSFER_NOTE_MAX).optional(),
});

/**
 * A template the channel lists (`spec.whatsapp.templates`), by name and language, with one
 * value per `{{n}}` placeholder of its body, in order. WhatsApp refuses a body parameter
 * with a new line or a tab.
 */
export const StartTemplate = z.strictObject({
  name: exactText({ min: 1, max: 512 }),
  language: exactText({ min: 2, max: 16 }),
  parameters: z.array(displayText({ min: 1, max: 1024 }).refine((p) => !/[\n\t]/.test(p), 'a template parameter has no new line or tab')).max(20).default([]),
});
export type StartTemplate = z.infer<typeof StartTemplate>;

/**
 * The agent starts a conversation with a customer (outbound): to an address on the
 * channel, or to a known customer's identity there. The conversation, `conversationId`
 * (chosen by the gateway), is the agent's at once: no queue, no offer.
 */
export const StartConversation = z
  .object({
    ...base,
    type: z.literal('conversation.start'),
    conversationId: z.uuid(),
    channel: ResourceName,
    to: Customer.pick({ id: true, idType: true }).strict().optional(),
    customerId: z.uuid().optional(),
    text: displayText({ min: 1, max: 65536 }).optional(),
    /** WhatsApp: an approved template of the channel instead of `text`, the only start allowed outside the 24 h window. */
    template: StartTemplate.optional(),
  })
  .refine((c) => (c.to === undefined) !== (c.customerId === undefined), { message: 'give either `to` (an address) or `customerId`' })
  .refine((c) => (c.text === undefined) !== (c.template === undefined), { message: 'give either `text` or `template`' });

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
  TransferConversation,
  StartConversation,
]);
export type AgentCommand = z.infer<typeof AgentCommand>;
export type AgentCommandType = AgentCommand['type'];
