import { z } from 'zod';
import { WebUrl } from './names.ts';
import { displayText, exactText } from './strings.ts';

/**
 * One canonical model of rich content (after Genesys' normalized message content and
 * CXone TORM). Channel adapters render what their channel supports and degrade the
 * rest to text; inbound taps on buttons/quick replies arrive as `buttonResponse`.
 */

const Payload = exactText({ max: 1000 });

export const Attachment = z.object({
  url: WebUrl,
  contentType: exactText({ min: 1, max: 255 }),
  filename: displayText({ max: 255 }).optional(),
  size: z.number().int().nonnegative().optional(),
});
export type Attachment = z.infer<typeof Attachment>;

export const Action = z.discriminatedUnion('type', [
  z.object({ type: z.literal('postback'), text: displayText({ min: 1, max: 100 }), payload: Payload }),
  z.object({ type: z.literal('link'), text: displayText({ min: 1, max: 100 }), url: WebUrl }),
]);
export type Action = z.infer<typeof Action>;

export const QuickReplies = z.object({
  type: z.literal('quickReplies'),
  text: displayText({ min: 1, max: 4096 }),
  options: z.array(z.object({ text: displayText({ min: 1, max: 100 }), payload: Payload })).min(1).max(25),
});

export const Buttons = z.object({
  type: z.literal('buttons'),
  text: displayText({ min: 1, max: 4096 }),
  actions: z.array(Action).min(1).max(10),
});

export const Card = z.object({
  type: z.literal('card'),
  title: displayText({ min: 1, max: 256 }),
  description: displayText({ max: 1024 }).optional(),
  imageUrl: WebUrl.optional(),
  actions: z.array(Action).max(10).default([]),
});

export const Carousel = z.object({
  type: z.literal('carousel'),
  cards: z.array(Card.omit({ type: true })).min(1).max(10),
});

export const Location = z.object({
  type: z.literal('location'),
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  name: displayText({ max: 256 }).optional(),
  address: displayText({ max: 1024 }).optional(),
});

/** The customer tapped a button or quick reply: `payload` is the option's postback. */
export const ButtonResponse = z.object({
  type: z.literal('buttonResponse'),
  text: displayText({ max: 100 }),
  payload: Payload,
});

/** A message must say something: non-empty text, an attachment or rich content. */
export function hasBody(m: { text?: string | undefined; attachments?: unknown[] | undefined; content?: unknown[] | undefined }): boolean {
  return (m.text?.trim().length ?? 0) > 0 || (m.attachments?.length ?? 0) > 0 || (m.content?.length ?? 0) > 0;
}

export const RichContent = z.discriminatedUnion('type', [
  QuickReplies,
  Buttons,
  Card,
  Carousel,
  Location,
  ButtonResponse,
]);
export type RichContent = z.infer<typeof RichContent>;
