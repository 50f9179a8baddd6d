import type { Attachment, OutboundMessage, RichContent } from '../contract/index.ts';
import type { FallbackOption, Refusal } from './provider.ts';
import { renderFallback } from './rich-fallback.ts';
import { splitText } from './split-text.ts';

/** How one provider builds each kind of message part. */
export interface MessageParts<M> {
  /** A message of plain text, already within the channel's length. */
  text(part: string): M;
  /** A message carrying one file. */
  attachment(attachment: Attachment): M;
  /** The channel's native form of a rich item, or `undefined` for the numbered-text fallback. */
  native(item: RichContent): M | undefined;
}

/** The refusal of a message with nothing to send. */
export const emptyMessage: Refusal = { ok: false, code: 'EmptyMessage', reason: 'The message has no text, file or content to send.' };

/**
 * The provider messages of one outbound message, in order: its text (split to the
 * channel's length), its files, then each rich item natively or as numbered text, the
 * numbers running on across the whole message.
 */
export function composeMessages<M>(message: OutboundMessage, maxTextLength: number, parts: MessageParts<M>): { messages: M[]; offered: FallbackOption[] } {
  const messages: M[] = [];
  const offered: FallbackOption[] = [];
  const text = (t: string): void => {
    for (const part of splitText(t, maxTextLength)) messages.push(parts.text(part));
  };
  if (message.text?.trim()) text(message.text);
  for (const attachment of message.attachments ?? []) messages.push(parts.attachment(attachment));
  for (const item of message.content ?? []) {
    const native = parts.native(item);
    if (native) {
      messages.push(native);
      continue;
    }
    const fallback = renderFallback([item], offered.length + 1);
    offered.push(...fallback.options);
    text(fallback.text);
  }
  return { messages, offered };
}
