import type { DeliveryReceipt, OutboundMessage } from '../contract/index.ts';
import { DeliveryReceipt as DeliveryReceiptSchema } from '../contract/index.ts';
import type { Refusal, SendOutcome } from './provider.ts';

function receipt(message: OutboundMessage, fields: Pick<DeliveryReceipt, 'status' | 'timestamp'> & Partial<DeliveryReceipt>): DeliveryReceipt {
  return DeliveryReceiptSchema.parse({ version: 1, tenant: message.tenant, channel: message.channel, messageId: message.id, ...fields });
}

/**
 * The receipt a send outcome gives: `sent` when the provider accepted (with its id),
 * `failed` with the reason when it refused for good; none for a retry, which is tried again.
 */
export function receiptOfOutcome(message: OutboundMessage, outcome: SendOutcome, now: Date): DeliveryReceipt | undefined {
  switch (outcome.kind) {
    case 'accepted':
      return receipt(message, { status: 'sent', timestamp: now.toISOString(), ...(outcome.providerMessageId ? { platformMessageId: outcome.providerMessageId.slice(0, 256) } : {}) });
    case 'failed':
      return receipt(message, { status: 'failed', timestamp: now.toISOString(), reason: outcome.reason.slice(0, 256) });
    case 'retry':
      return undefined;
  }
}

/** The `failed` receipt of a message the channel's rules refused: the code, then the sentence for the agent. */
export function receiptOfRefusal(message: OutboundMessage, refusal: Refusal, now: Date): DeliveryReceipt {
  return receipt(message, { status: 'failed', timestamp: now.toISOString(), reason: `${refusal.code}: ${refusal.reason}`.slice(0, 256) });
}
