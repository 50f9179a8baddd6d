import { capabilitiesOf } from '../../../src/channels/capabilities.ts';
import { countSmsSegments } from '../../../src/channels/sms-segments.ts';
import type { SmsSegments } from '../../../src/channels/sms-segments.ts';
import type { ChannelType } from '../../../src/contract/index.ts';
import type { HistoryMessage } from '../../../src/gateway/views.ts';

/**
 * What a channel allows the next reply, from its type and the history: the customer-service
 * window (WhatsApp, Messenger, Instagram: free text only within 24 h of the customer's last
 * message), X's 5 replies per customer message, SMS segments, and the provider's text and
 * quick-reply limits (src/channels/capabilities.ts, the same table the channel adapters use).
 */
export interface ChannelLimits {
  /** Longest text of one provider message (longer text goes out in several). */
  maxTextLength: number;
  /** How many quick replies the channel shows; 0 when it has none (they go out as text). */
  quickRepliesMax: number;
  attachments: boolean;
  /** SMS: parts and encoding of the text being written. */
  sms: SmsSegments | undefined;
  /** When the 24-hour window closes (undefined: the channel has none). */
  windowClosesAt: number | undefined;
  /** X: replies since the customer's last message, and the most allowed. */
  replies: { count: number; max: number } | undefined;
  /** Whether free text may be sent now. */
  canSend: boolean;
}

export const SERVICE_WINDOW_MS = 24 * 3600 * 1000;
export const X_REPLIES_PER_MESSAGE = 5;
const windowed = new Set<string>(['whatsapp', 'messenger', 'instagram']);
const channelTypes = new Set<string>(['web', 'whatsapp', 'messenger', 'instagram', 'x', 'line', 'apple', 'sms', 'email', 'open']);

export function channelLimits(type: string | undefined, channel: string | undefined, messages: readonly HistoryMessage[], text: string, now: number): ChannelLimits {
  const known = type !== undefined && channelTypes.has(type) ? (type as ChannelType) : 'open';
  const capabilities = capabilitiesOf(known);
  // The window and the reply rule count on this channel only: a customer's WhatsApp
  // message opens nothing on SMS.
  const here = messages.filter((m) => m.channel === channel);
  const lastInboundIndex = here.findLastIndex((m) => m.direction === 'inbound');
  const lastInbound = here[lastInboundIndex];
  const windowClosesAt = windowed.has(known) ? (lastInbound ? Date.parse(lastInbound.sentAt) + SERVICE_WINDOW_MS : now) : undefined;
  const replies = known === 'x' ? { count: here.slice(lastInboundIndex + 1).filter((m) => m.direction === 'outbound').length, max: X_REPLIES_PER_MESSAGE } : undefined;
  const canSend = (windowClosesAt === undefined || windowClosesAt > now) && (replies === undefined || replies.count < replies.max);
  return {
    maxTextLength: capabilities.maxTextLength,
    quickRepliesMax: capabilities.quickReplies?.max ?? 0,
    attachments: capabilities.attachments,
    sms: known === 'sms' ? countSmsSegments(text) : undefined,
    windowClosesAt,
    replies,
    canSend,
  };
}
