import { z } from 'zod';
import { Timestamp, WebUrl } from './names.ts';
import { displayText, exactText } from './strings.ts';
import { isTimeZone } from './time-zone.ts';

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

/** A list to pick from, in sections (Apple's list picker, WhatsApp's list message). */
export const ListPicker = z.object({
  type: z.literal('listPicker'),
  title: displayText({ min: 1, max: 256 }),
  subtitle: displayText({ max: 256 }).optional(),
  sections: z
    .array(
      z.object({
        title: displayText({ max: 256 }).optional(),
        /** The customer may pick several items of this section in one answer. */
        multipleSelection: z.boolean().default(false),
        items: z
          .array(z.object({ title: displayText({ min: 1, max: 100 }), subtitle: displayText({ max: 256 }).optional(), imageUrl: WebUrl.optional(), payload: Payload }))
          .min(1)
          .max(100),
      }),
    )
    .min(1)
    .max(10),
});

/** Time slots to choose one from (Apple's time picker); shown in `timeZone`. */
export const TimePicker = z.object({
  type: z.literal('timePicker'),
  title: displayText({ min: 1, max: 256 }),
  /** The zone the slots are shown in, an IANA name. */
  timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone name, e.g. Europe/Paris').default('UTC'),
  slots: z
    .array(z.object({ start: Timestamp, durationMinutes: z.number().int().min(1).max(1440), payload: Payload }))
    .min(1)
    .max(50),
});

/** A link shown with its title and image where the channel previews links. */
export const RichLink = z.object({
  type: z.literal('richLink'),
  url: WebUrl,
  title: displayText({ min: 1, max: 256 }),
  imageUrl: WebUrl.optional(),
});

const FieldName = exactText({ min: 1, max: 64 }).regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'must be a letter then letters, digits or _');

/** Questions for the customer to answer at once; the answers come back as a `formResponse`. */
export const Form = z.object({
  type: z.literal('form'),
  title: displayText({ min: 1, max: 256 }),
  fields: z
    .array(
      z.object({
        name: FieldName,
        label: displayText({ min: 1, max: 100 }),
        kind: z.enum(['text', 'email', 'phone', 'number', 'date', 'select']),
        required: z.boolean().default(false),
        /** The choices of a `select` field. */
        options: z.array(displayText({ min: 1, max: 100 })).min(1).max(20).optional(),
      }),
    )
    .min(1)
    .max(20)
    .refine((fields) => fields.every((f) => (f.kind === 'select') === (f.options !== undefined)), 'a select field needs options, and only a select field has them')
    .refine((fields) => new Set(fields.map((f) => f.name)).size === fields.length, 'field names must be unique'),
  submitLabel: displayText({ min: 1, max: 40 }).optional(),
  /** Names the form in its `formResponse`. */
  payload: Payload,
});

/** The customer's answers to a `form`: `payload` is the form's, `values` by field name. */
export const FormResponse = z.object({
  type: z.literal('formResponse'),
  payload: Payload,
  values: z.record(FieldName, displayText({ max: 1000 })),
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
  ListPicker,
  TimePicker,
  RichLink,
  Form,
  FormResponse,
  ButtonResponse,
]);
export type RichContent = z.infer<typeof RichContent>;
