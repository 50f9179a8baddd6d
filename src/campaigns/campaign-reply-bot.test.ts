import { describe, expect, it } from 'vitest';
import { answerCampaignReply } from './campaign-reply-bot.ts';

const replies = {
  window: 3_600_000,
  noReplyClose: 60_000,
  keywords: [
    { match: ['PRICE', 'prices'], answer: 'From $9 a month.' },
    { match: ['hours', 'opening hours'], answer: 'Open 9 to 5.' },
  ],
};

describe('answerCampaignReply', () => {
  it('answers a reply that is exactly one of a rule\'s words or phrases, trimmed, in any case', () => {
    expect(answerCampaignReply(replies, '  price ')).toEqual({ action: 'reply', text: 'From $9 a month.' });
    expect(answerCampaignReply(replies, 'Opening Hours')).toEqual({ action: 'reply', text: 'Open 9 to 5.' });
  });

  it('does not answer a message that only contains a keyword', () => {
    expect(answerCampaignReply(replies, 'what is the price?')).toEqual({ action: 'handoff' });
  });

  it('answers anything else with otherwise when set, else hands it to a person', () => {
    expect(answerCampaignReply({ ...replies, otherwise: 'Reply PRICE or HOURS.' }, 'hello')).toEqual({ action: 'reply', text: 'Reply PRICE or HOURS.' });
    expect(answerCampaignReply({ ...replies, otherwise: 'Reply PRICE or HOURS.' }, undefined)).toEqual({ action: 'reply', text: 'Reply PRICE or HOURS.' });
    expect(answerCampaignReply(replies, 'hello')).toEqual({ action: 'handoff' });
    // The campaign was deleted meanwhile.
    expect(answerCampaignReply(undefined, 'price')).toEqual({ action: 'handoff' });
  });
});
