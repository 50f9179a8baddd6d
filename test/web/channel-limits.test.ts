import { describe, expect, it } from 'vitest';
import type { HistoryMessage } from '../../src/gateway/index.ts';
import { channelLimits, SERVICE_WINDOW_MS, X_REPLIES_PER_MESSAGE } from '../../web/app/src/channel-limits.ts';

/** The limits the desktop shows under the reply box (docs/desktop.md §3). */
const now = Date.parse('2026-12-05T12:00:00Z');
const message = (direction: 'inbound' | 'outbound', minutesAgo: number, channel = 'wa'): HistoryMessage => ({
  id: `${direction}-${minutesAgo}-${channel}`,
  conversationId: 'c',
  direction,
  channel,
  sentAt: new Date(now - minutesAgo * 60_000).toISOString(),
  text: 'x',
});

describe('channel limits', () => {
  it('WhatsApp: free text within 24 h of the customer’s last message on that channel only', () => {
    const open = channelLimits('whatsapp', 'wa', [message('inbound', 60)], '', now);
    expect(open.canSend).toBe(true);
    expect(open.windowClosesAt).toBe(now - 60 * 60_000 + SERVICE_WINDOW_MS);
    expect(open.quickRepliesMax).toBe(3);
    // A message on another channel opens nothing here.
    const closed = channelLimits('whatsapp', 'wa', [message('inbound', 25 * 60), message('inbound', 1, 'sms')], '', now);
    expect(closed.canSend).toBe(false);
  });

  it('X: at most 5 replies per customer message', () => {
    const replies = Array.from({ length: X_REPLIES_PER_MESSAGE }, (_, i) => message('outbound', 10 - i, 'dm'));
    expect(channelLimits('x', 'dm', [message('inbound', 20, 'dm'), ...replies.slice(1)], '', now)).toMatchObject({ canSend: true, replies: { count: 4, max: 5 } });
    expect(channelLimits('x', 'dm', [message('inbound', 20, 'dm'), ...replies], '', now).canSend).toBe(false);
  });

  it('SMS: segments and encoding of the text being written, by the channels’ own counter', () => {
    expect(channelLimits('sms', 'sms', [], 'a'.repeat(161), now).sms).toEqual({ encoding: 'GSM-7', units: 161, segments: 2 });
    expect(channelLimits('sms', 'sms', [], 'Merci 🙂', now).sms?.encoding).toBe('UCS-2');
    expect(channelLimits('whatsapp', 'wa', [], 'x', now).sms).toBeUndefined();
  });

  it('an unknown channel type is treated as open: no window, no reply rule', () => {
    expect(channelLimits(undefined, undefined, [], '', now)).toMatchObject({ canSend: true, windowClosesAt: undefined, replies: undefined });
  });
});
