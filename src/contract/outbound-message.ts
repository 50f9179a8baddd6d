import { z } from 'zod';
import { AgentId, ResourceName, TenantName, Timestamp } from './names.ts';
import { IdTypes } from './inbound-message.ts';
import { Attachment, RichContent, hasBody } from './rich-content.ts';
import { displayText, exactText } from './strings.ts';

const WhatsAppTemplateRef = z.object({
  name: exactText({ min: 1, max: 512 }),
  /** The template's language code, e.g. `en_US`. */
  language: exactText({ min: 2, max: 16 }),
  /** The Cloud API's `components` (parameters), passed through. */
  components: z.array(z.record(z.string(), z.unknown())).max(10).optional(),
});

const EmailParts = z.object({
  subject: displayText({ max: 998 }).optional(),
  html: displayText({ max: 1_000_000 }).optional(),
  /** An unsubscribe URL for `List-Unsubscribe` with `List-Unsubscribe-Post: List-Unsubscribe=One-Click`. */
  listUnsubscribeUrl: z.url().max(2048).optional(),
});

export const MessageOriginKinds = ['campaign', 'notification', 'compliance'] as const;

/**
 * `compliance` marks the one confirmation of an opt-out and the HELP answer: the only
 * messages that go to an opted-out address.
 */
const MessageOrigin = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('campaign'), campaign: ResourceName, attemptId: z.uuid() }),
  z.object({ kind: z.literal('notification'), notificationId: z.uuid(), category: z.enum(['transactional', 'marketing']) }),
  z.object({ kind: z.literal('compliance'), answer: z.enum(['opt-out', 'opt-in', 'help']) }),
]);
export type MessageOrigin = z.infer<typeof MessageOrigin>;

/**
 * A message for the customer, published by Parley to `parley.v1.outbound.<tenant>.<channel>`
 * (JetStream, `Nats-Msg-Id` = `id`). The channel adapter delivers it and answers with
 * delivery receipts that name the same `id`.
 */
export const OutboundMessage = z.object({
  version: z.literal(1),
  /** Parley's id of this message (UUID); receipts refer to it. */
  id: z.uuid(),
  tenant: TenantName,
  channel: ResourceName,
  conversationId: z.uuid(),
  to: z.object({ id: exactText({ min: 1, max: 256 }), idType: z.enum(IdTypes) }),
  /** The agent who wrote it; absent for system messages. */
  agentId: AgentId.optional(),
  timestamp: Timestamp,
  text: displayText({ max: 65536 }).optional(),
  attachments: z.array(Attachment).max(20).optional(),
  content: z.array(RichContent).max(10).optional(),
  /** WhatsApp: an approved template, the only message allowed outside the customer-service window. */
  template: WhatsAppTemplateRef.optional(),
  /** E-mail: the subject, an HTML part beside `text`, and `List-Unsubscribe` (RFC 8058). */
  email: EmailParts.optional(),
  /** Why an agentless message was sent (a campaign, a notification, a compliance answer); absent for replies. */
  origin: MessageOrigin.optional(),
}).refine((m) => hasBody(m) || m.template !== undefined, { message: 'a message needs text, attachments, content or a template' });
export type OutboundMessage = z.infer<typeof OutboundMessage>;
