import { describe, expect, it } from 'vitest';
import { startRefusal, startRuleOf } from './start-rules.ts';

const now = new Date('2026-12-01T12:00:00Z');
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000);

describe('who may write first', () => {
  it('never on web messaging and Apple; always on SMS and e-mail', () => {
    expect(startRefusal(startRuleOf('web'), hoursAgo(1), now)).toBe('outboundNotAllowed');
    expect(startRefusal(startRuleOf('apple'), hoursAgo(1), now)).toBe('outboundNotAllowed');
    expect(startRefusal(startRuleOf('sms'), undefined, now)).toBeUndefined();
    expect(startRefusal(startRuleOf('email'), undefined, now)).toBeUndefined();
  });

  it('on WhatsApp only within 24 h of the customer’s last message', () => {
    const rule = startRuleOf('whatsapp');
    expect(startRefusal(rule, hoursAgo(23.9), now)).toBeUndefined();
    expect(startRefusal(rule, hoursAgo(24), now)).toBe('outsideWindow');
    expect(startRefusal(rule, undefined, now)).toBe('outsideWindow');
  });
});
