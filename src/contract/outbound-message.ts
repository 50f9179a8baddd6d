import { z } from 'zod';
import { AgentId, ResourceName, TenantName, Timestamp } from './names.ts';
import { IdTypes } from './inbound-message.ts';
import { Attachment, RichContent, hasBody } from './rich-content.ts';
import { displayText, exactText } from './strings.ts';

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
}).refine(hasBody, { message: 'a message needs text, attachments or content' });
export type OutboundMessage = z.infer<typeof OutboundMessage>;
