import { describe, expect, it } from 'vitest';
import { ChannelTypes } from '../contract/index.ts';
import { capabilitiesOf } from './capabilities.ts';

describe('capability table', () => {
  it('holds the documented provider limits', () => {
    expect(capabilitiesOf('whatsapp')).toMatchObject({ quickReplies: { max: 3 }, list: { maxRows: 10 } });
    expect(capabilitiesOf('messenger')).toMatchObject({ quickReplies: { max: 13 }, carousel: { maxCards: 10, maxButtonsPerCard: 3 }, buttons: { max: 3, textMax: 640 } });
    expect(capabilitiesOf('x').quickReplies?.max).toBe(20);
    expect(capabilitiesOf('line')).toMatchObject({ quickReplies: { max: 13 }, buttons: { max: 4 } });
    expect(capabilitiesOf('sms')).toMatchObject({ quickReplies: null, buttons: null, card: null, maxTextLength: 1600 });
  });

  it('has a row for every channel type', () => {
    for (const type of ChannelTypes) expect(capabilitiesOf(type).maxTextLength).toBeGreaterThan(0);
  });

  it("applies the Channel's switched-off content", () => {
    const caps = capabilitiesOf('messenger', ['quickReplies', 'carousel']);
    expect(caps.quickReplies).toBeNull();
    expect(caps.carousel).toBeNull();
    expect(caps.buttons).not.toBeNull();
    expect(capabilitiesOf('whatsapp', ['quickReplies']).list).toBeNull();
  });
});
