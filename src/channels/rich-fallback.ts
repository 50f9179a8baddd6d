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
      case 'listPicker':
        return [
          item.title,
          ...(item.subtitle ? [item.subtitle] : []),
          ...item.sections.flatMap((section) => [
            ...(section.title ? [section.title] : []),
            ...section.items.map((i) => option(i.subtitle ? `${i.title} (${i.subtitle})` : i.title, i.payload)),
          ]),
        ];
      case 'timePicker':
        return [`${item.title} (${item.timeZone})`, ...item.slots.map((slot) => option(slotText(slot, item.timeZone), slot.payload))];
      case 'richLink':
        return [item.title, item.url];
      case 'form':
        return [item.title, 'Please reply with:', ...item.fields.map((f) => `- ${f.label}${f.options ? ` (${f.options.join(' / ')})` : ''}${f.required ? '' : ' (optional)'}`)];
      case 'formResponse':
        return Object.entries(item.values).map(([name, value]) => `${name}: ${value}`);
      case 'buttonResponse':
        return [item.text];
    }
  });
  const text = blocks.map((lines) => lines.join('\n')).join('\n\n');
  return { text: options.length > 0 ? `${text}\n\n${replyPrompt}` : text, options };
}

/** "Tue 8 Dec, 09:00–09:30" in `timeZone`: the same slot always reads the same. */
export function slotText(slot: { start: string; durationMinutes: number }, timeZone: string): string {
  const start = new Date(slot.start);
  const end = new Date(start.getTime() + slot.durationMinutes * 60_000);
  const day = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', day: 'numeric', month: 'short' }).format(start);
  const time = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return `${day}, ${time.format(start)}–${time.format(end)}`;
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
