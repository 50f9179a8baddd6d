import type { Action, RichContent } from '../contract/index.ts';
import type { FallbackOption } from './provider.ts';

/**
 * The deterministic text rendering of rich content for channels (or Channel settings)
 * that cannot show it: options are numbered 1, 2, 3… across the whole message, links go
 * inline, and a reply that is just a number maps back to the option's payload
 * (`numberedReply`). The same input always gives the same text.
 */
export interface FallbackText {
  readonly text: string;
  readonly options: FallbackOption[];
}

/** The line that ends a text with numbered options. */
export const replyPrompt = 'Reply with the number of your choice.';

/** Renders items as text, numbering options from `firstNumber` (continue across a message). */
export function renderFallback(items: readonly RichContent[], firstNumber = 1): FallbackText {
  const options: FallbackOption[] = [];
  const option = (text: string, payload: string): string => {
    const n = firstNumber + options.length;
    options.push({ n, text, payload });
    return `${n}. ${text}`;
  };
  const action = (a: Action): string => (a.type === 'postback' ? option(a.text, a.payload) : `${a.text}: ${a.url}`);
  const card = (c: { title: string; description?: string | undefined; imageUrl?: string | undefined; actions: Action[] }): string[] => [
    c.title,
    ...(c.description ? [c.description] : []),
    ...(c.imageUrl ? [c.imageUrl] : []),
    ...c.actions.map(action),
  ];

  const blocks = items.map((item): string[] => {
    switch (item.type) {
      case 'quickReplies':
        return [item.text, ...item.options.map((o) => option(o.text, o.payload))];
      case 'buttons':
        return [item.text, ...item.actions.map(action)];
      case 'card':
        return card(item);
      case 'carousel':
        return item.cards.flatMap((c, i) => (i === 0 ? card(c) : ['', ...card(c)]));
      case 'location':
        return [
          ...(item.name ? [item.name] : []),
          ...(item.address ? [item.address] : []),
          `https://www.openstreetmap.org/?mlat=${item.latitude}&mlon=${item.longitude}`,
        ];
      case 'buttonResponse':
        return [item.text];
    }
  });
  const text = blocks.map((lines) => lines.join('\n')).join('\n\n');
  return { text: options.length > 0 ? `${text}\n\n${replyPrompt}` : text, options };
}

/**
 * The option a customer's reply picks, when the reply is just its number ("2", "2.",
 * "#2", " 2 "); `undefined` otherwise, and the message stays plain text.
 */
export function numberedReply(text: string | undefined, offered: readonly FallbackOption[]): { type: 'buttonResponse'; text: string; payload: string } | undefined {
  const n = /^\s*#?(\d{1,3})[.)]?\s*$/.exec(text ?? '')?.[1];
  const picked = n === undefined ? undefined : offered.find((o) => o.n === Number(n));
  return picked && { type: 'buttonResponse', text: picked.text.slice(0, 100), payload: picked.payload };
}
