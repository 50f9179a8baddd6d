import { MAX_CLOCK_SKEW_MS } from '../contract/index.ts';

/**
 * The time a customer message is filed under: its own `timestamp` within the skew of when
 * it was received, else the receive time. A message stamped in the future would otherwise
 * put its conversation's last message, threading window and closing time in the future;
 * one stamped long ago (a provider retrying a webhook for days) would join the conversation
 * open now and sort before messages it followed. The provider's time is kept beside it.
 */
export function messageTime(timestamp: string, receivedAt: Date): Date {
  const stamped = Date.parse(timestamp);
  return Math.abs(stamped - receivedAt.getTime()) <= MAX_CLOCK_SKEW_MS ? new Date(stamped) : receivedAt;
}
