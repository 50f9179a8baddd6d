import { z } from 'zod';
import { ResourceName, TenantName, Timestamp } from './names.ts';
import { displayText, exactText } from './strings.ts';

export const DeliveryStatuses = ['sent', 'delivered', 'read', 'failed'] as const;
export type DeliveryStatus = (typeof DeliveryStatuses)[number];

/**
 * What became of an outbound message, published by the channel adapter to
 * `parley.v1.receipts.<tenant>.<channel>` (`Nats-Msg-Id` = `<messageId>:<status>`).
 * Receipts may arrive out of order; a message never goes back from `read` to `delivered`.
 */
export const DeliveryReceipt = z.object({
  version: z.literal(1),
  tenant: TenantName,
  channel: ResourceName,
  /** The `id` of the OutboundMessage. */
  messageId: z.uuid(),
  status: z.enum(DeliveryStatuses),
  timestamp: Timestamp,
  /** The provider's id for the delivered message, when it has one. */
  platformMessageId: exactText({ max: 256 }).optional(),
  /** Why it failed, e.g. RateLimited, MessageExpired, RecipientOptedOut. */
  reason: displayText({ max: 256 }).optional(),
});
export type DeliveryReceipt = z.infer<typeof DeliveryReceipt>;
