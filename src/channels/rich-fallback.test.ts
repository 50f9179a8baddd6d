import { describe, expect, it } from 'vitest';
import { numberedReply, renderFallback } from './rich-fallback.ts';

describe('rich content text fallback', () => {
  it('numbers options across items, puts links inline and ends with the prompt', () => {
    const { text, options } = renderFallback([
      { type: 'quickReplies', text: 'Which order?', options: [{ text: '#4521', payload: 'order:4521' }, { text: '#4533', payload: 'order:4533' }] },
      {
        type: 'card',
        title: 'Aero 2',
        description: 'Size 42',
        imageUrl: 'https://shop.example.com/aero.jpg',
        actions: [
          { type: 'postback', text: 'Return it', payload: 'return:1' },
          { type: 'link', text: 'Details', url: 'https://shop.example.com/aero' },
        ],
      },
      { type: 'location', latitude: 48.8566, longitude: 2.3522, name: 'Paris store' },
    ]);
    expect(text).toBe(
      [
        'Which order?\n1. #4521\n2. #4533',
        'Aero 2\nSize 42\nhttps://shop.example.com/aero.jpg\n3. Return it\nDetails: https://shop.example.com/aero',
        'Paris store\nhttps://www.openstreetmap.org/?mlat=48.8566&mlon=2.3522',
        'Reply with the number of your choice.',
      ].join('\n\n'),
    );
    expect(options.map((o) => o.payload)).toEqual(['order:4521', 'order:4533', 'return:1']);
  });

  it('renders a carousel card after card and continues numbering from firstNumber', () => {
    const { text, options } = renderFallback(
      [{ type: 'carousel', cards: [{ title: 'A', actions: [{ type: 'postback', text: 'Pick A', payload: 'a' }] }, { title: 'B', actions: [{ type: 'postback', text: 'Pick B', payload: 'b' }] }] }],
      4,
    );
    expect(text).toBe('A\n4. Pick A\n\nB\n5. Pick B\n\nReply with the number of your choice.');
    expect(options.map((o) => o.n)).toEqual([4, 5]);
  });

  it('has no prompt when there is nothing to pick, and is deterministic', () => {
    const items = [{ type: 'buttons' as const, text: 'Read more', actions: [{ type: 'link' as const, text: 'Policy', url: 'https://example.com/p' }] }];
    expect(renderFallback(items)).toEqual({ text: 'Read more\nPolicy: https://example.com/p', options: [] });
    expect(renderFallback(items)).toEqual(renderFallback(items));
  });

  it("numbers list-picker items and time slots (read in the picker's zone), and writes out links and forms", () => {
    const { text, options } = renderFallback([
      { type: 'listPicker', title: 'Which store?', sections: [{ title: 'Paris', multipleSelection: false, items: [{ title: 'Rivoli', subtitle: '75001', payload: 'store:rivoli' }] }] },
      {
        type: 'timePicker',
        title: 'Pick a time',
        timeZone: 'Europe/Paris',
        slots: [
          { start: '2026-12-08T08:00:00Z', durationMinutes: 30, payload: 'slot:1' },
          { start: '2026-12-08T13:30:00Z', durationMinutes: 60, payload: 'slot:2' },
        ],
      },
      { type: 'richLink', url: 'https://shop.example.com/aero', title: 'Aero 2 running shoes' },
      {
        type: 'form',
        title: 'Your details',
        payload: 'details',
        fields: [
          { name: 'name', label: 'Name', kind: 'text', required: true },
          { name: 'size', label: 'Size', kind: 'select', required: false, options: ['41', '42'] },
        ],
      },
    ]);
    expect(text).toBe(
      [
        'Which store?\nParis\n1. Rivoli (75001)',
        'Pick a time (Europe/Paris)\n2. Tue 8 Dec, 09:00–09:30\n3. Tue 8 Dec, 14:30–15:30',
        'Aero 2 running shoes\nhttps://shop.example.com/aero',
        'Your details\nPlease reply with:\n- Name\n- Size (41 / 42) (optional)',
        'Reply with the number of your choice.',
      ].join('\n\n'),
    );
    expect(options.map((o) => o.payload)).toEqual(['store:rivoli', 'slot:1', 'slot:2']);
    expect(numberedReply('3', options)).toEqual({ type: 'buttonResponse', text: 'Tue 8 Dec, 14:30–15:30', payload: 'slot:2' });
  });

  it('maps a numbered reply back to the payload, and nothing else', () => {
    const offered = [
      { n: 1, text: 'Yes', payload: 'yes' },
      { n: 2, text: 'No', payload: 'no' },
    ];
    for (const reply of ['2', ' 2 ', '2.', '#2', '2)']) expect(numberedReply(reply, offered)).toEqual({ type: 'buttonResponse', text: 'No', payload: 'no' });
    for (const reply of ['3', '2 please', 'two', '', undefined]) expect(numberedReply(reply, offered)).toBeUndefined();
  });
});
