import { describe, expect, it } from 'vitest';
import type { OutboundMessage } from '../contract/index.ts';
import { receiptOfOutcome, receiptOfRefusal } from './send-receipts.ts';

const message: OutboundMessage = {
  version: 1,
  id: '65de6bda-5115-4868-add6-4f877a9a3f41',
  tenant: 'demo',
  channel: 'x',
  conversationId: '0c4a082f-909b-4253-85f4-128f4df12763',
  to: { id: '3001969357', idType: 'opaque' },
  timestamp: '2026-01-12T09:16:30.000Z',
  text: 'hi',
};
const now = new Date('2026-01-12T09:16:31.000Z');

describe('receipts of sends', () => {
  it('gives sent with the provider id, failed with the reason, nothing for a retry', () => {
    expect(receiptOfOutcome(message, { kind: 'accepted', providerMessageId: '1234858592' }, now)).toEqual({
      version: 1,
      tenant: 'demo',
      channel: 'x',
      messageId: message.id,
      status: 'sent',
      timestamp: '2026-01-12T09:16:31.000Z',
      platformMessageId: '1234858592',
    });
    expect(receiptOfOutcome(message, { kind: 'failed', reason: 'RecipientOptedOut (twilio 21610)' }, now)).toMatchObject({ status: 'failed', reason: 'RecipientOptedOut (twilio 21610)' });
    expect(receiptOfOutcome(message, { kind: 'retry', reason: 'RateLimited', afterMs: 1000 }, now)).toBeUndefined();
  });

  it('tells the agent why the rules refused, within the 256 characters of a reason', () => {
    const receipt = receiptOfRefusal(message, { ok: false, code: 'ReplyLimitReached', reason: 'X allows at most 5 replies to each customer message. '.repeat(10) }, now);
    expect(receipt.status).toBe('failed');
    expect(receipt.reason).toMatch(/^ReplyLimitReached: X allows at most 5 replies/);
    expect(receipt.reason).toHaveLength(256);
  });
});
