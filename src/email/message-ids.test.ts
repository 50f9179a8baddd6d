import { describe, expect, it } from 'vitest';
import { messageIdOf, normalizeMessageId, ownMessageId, referencedIds } from './message-ids.ts';
import { channelOfRecipient } from './recipient-routes.ts';
import { replySubject } from './email-transport.ts';

describe('Message-IDs', () => {
  it('derives ours from Parley’s message id and the sending domain', () => {
    expect(ownMessageId('0b7d5e8a-1c2f-4f7e-9a51-3a1f0c2d9e11', 'acme.example')).toBe('<0b7d5e8a-1c2f-4f7e-9a51-3a1f0c2d9e11@acme.example>');
  });

  it('brackets a bare id and drops blank or oversized ones', () => {
    expect(normalizeMessageId(' abc@x.example ')).toBe('<abc@x.example>');
    expect(normalizeMessageId('')).toBeUndefined();
    expect(normalizeMessageId(`<${'a'.repeat(300)}@x>`)).toBeUndefined();
  });

  it('lists what a mail answers newest first, without repeats', () => {
    expect(referencedIds('<c@x>', '<a@x> <b@x> <c@x>')).toEqual(['<c@x>', '<b@x>', '<a@x>']);
    expect(referencedIds(undefined, ['<a@x>', '<b@x>'])).toEqual(['<b@x>', '<a@x>']);
    expect(referencedIds(undefined, undefined)).toEqual([]);
  });

  it('gives a mail without Message-ID the same id on every delivery', () => {
    const raw = Buffer.from('From: a@b.example\r\n\r\nhi\r\n');
    expect(messageIdOf(undefined, raw)).toBe(messageIdOf(undefined, Buffer.from(raw)));
    expect(messageIdOf(undefined, raw)).toMatch(/^<[0-9a-f]{64}@no-message-id\.parley\.invalid>$/);
  });
});

describe('recipients and subjects', () => {
  const base = { fromAddress: 'x@acme.example', attachmentBaseUrl: 'https://p.example/a/' };
  const channels = [
    { ...base, tenant: 'acme', channel: 'all', addresses: ['@Acme.example'] },
    { ...base, tenant: 'acme', channel: 'billing', addresses: ['billing@acme.example'] },
  ];

  it('routes a full address before its domain, case-insensitively', () => {
    expect(channelOfRecipient(channels, 'Billing@ACME.example')?.channel).toBe('billing');
    expect(channelOfRecipient(channels, 'sales@acme.example')?.channel).toBe('all');
    expect(channelOfRecipient(channels, 'sales@other.example')).toBeUndefined();
  });

  it('answers with one Re: prefix', () => {
    expect(replySubject('Parcel late')).toBe('Re: Parcel late');
    expect(replySubject('RE: Parcel late')).toBe('RE: Parcel late');
    expect(replySubject('Fwd: Parcel late')).toBe('Re: Fwd: Parcel late');
  });
});
