import { z } from 'zod';
import { placeholdersOf } from './template-body.ts';

/**
 * The `spec.whatsapp` block of a `whatsapp` Channel: the message templates approved for
 * its business account, the only messages that may start a conversation outside the
 * customer's 24-hour window. Parley does not submit templates for approval: an admin lists
 * here the ones Meta approved, with the body text exactly as approved, so that agents pick
 * them by label and the history shows what the customer read.
 */

const TemplateBody = z
  .string()
  .min(1)
  .max(1024)
  .refine((body) => placeholdersOf(body).every((n, i) => n === i + 1), 'placeholders are numbered {{1}}, {{2}}… without gaps');

export const WhatsAppTemplate = z.strictObject({
  /** The template's name as approved (lower case, digits and underscores). */
  name: z.string().regex(/^[a-z0-9_]{1,512}$/, 'a template name: lower case letters, digits and underscores'),
  /** The approved language code, e.g. `en_US` or `fr`. */
  language: z.string().regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, 'a WhatsApp language code such as en_US or fr'),
  /** What agents see in the template picker. */
  label: z.string().min(1).max(100),
  /** The approved body text, with `{{1}}`, `{{2}}` where the parameters go. */
  body: TemplateBody,
});
export type WhatsAppTemplate = z.infer<typeof WhatsAppTemplate>;

export const WhatsAppChannelSpec = z.strictObject({
  /** Approved templates agents may start a conversation with. @default [] */
  templates: z
    .array(WhatsAppTemplate)
    .max(200)
    .default([])
    .refine((list) => new Set(list.map((t) => `${t.name}/${t.language}`)).size === list.length, 'each template name and language appears once'),
});
export type WhatsAppChannelSpec = z.infer<typeof WhatsAppChannelSpec>;

/** How many parameters a template's body takes. */
export function parameterCountOf(template: Pick<WhatsAppTemplate, 'body'>): number {
  return placeholdersOf(template.body).length;
}

/** Field descriptions for the CRD (crd-schema.ts). */
export const whatsAppDescriptions: Record<string, string> = {
  'spec.whatsapp': 'WhatsApp (type whatsapp): the approved message templates agents may start a conversation with outside the 24-hour window.',
  'spec.whatsapp.templates': 'Templates approved for the business account, each name and language once.',
  'spec.whatsapp.templates[].name': 'The template name as approved (lower case letters, digits, underscores).',
  'spec.whatsapp.templates[].language': 'The approved language code, e.g. en_US or fr.',
  'spec.whatsapp.templates[].label': 'What agents see in the template picker.',
  'spec.whatsapp.templates[].body': 'The approved body text, with {{1}}, {{2}} ... where the parameters go (numbered without gaps); the history shows it filled in.',
};
