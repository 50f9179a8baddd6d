import type { Refusal } from '../provider.ts';

/**
 * The customer-service window: free-form messages only within `windowMs` (24 h) of the
 * customer's last message; outside it only templates (developers.facebook.com …/messages,
 * twilio.com/docs/api/errors/63016). `undefined` means the message may go.
 */
export function whatsAppWindowRefusal(lastInboundAt: Date | undefined, now: Date, windowMs: number): Refusal | undefined {
  if (lastInboundAt && now.getTime() - lastInboundAt.getTime() < windowMs) return undefined;
  const closed = lastInboundAt ? `closed at ${new Date(lastInboundAt.getTime() + windowMs).toISOString()}` : 'is not open (the customer has not written)';
  return {
    ok: false,
    code: 'OutsideWindow',
    reason: `The WhatsApp 24-hour customer-service window ${closed}: only an approved template can be sent until the customer writes again.`,
  };
}

/** The business-initiated conversations counted for the messaging limit. */
export interface MessagingLimitState {
  /** Recipients reached outside a window, with when, over at least the last 24 h. */
  readonly reached: readonly { readonly recipient: string; readonly at: Date }[];
}

/**
 * WhatsApp's messaging limit: unique users reached outside a customer-service window per
 * moving 24 h (developers.facebook.com/documentation/business-messaging/whatsapp/messaging-limits):
 * 250, 2,000, 10,000, 100,000 or unlimited. A recipient already reached in the last 24 h
 * does not count again.
 */
export function messagingLimitRefusal(state: MessagingLimitState, recipient: string, now: Date, tier: number | 'unlimited'): Refusal | undefined {
  if (tier === 'unlimited') return undefined;
  const since = now.getTime() - 24 * 3_600_000;
  const recent = new Set(state.reached.filter((r) => r.at.getTime() > since).map((r) => r.recipient));
  if (recent.has(recipient) || recent.size < tier) return undefined;
  return {
    ok: false,
    code: 'MessagingLimitReached',
    reason: `The WhatsApp messaging limit of ${tier} customers reached outside a conversation window per 24 hours is used up.`,
  };
}
