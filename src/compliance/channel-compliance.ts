import { z } from 'zod';

/**
 * What a Channel (SMS, WhatsApp) answers to compliance keywords, and the extra words it
 * honours. Meant for the Channel resource as `spec.compliance`:
 *
 * ```yaml
 * compliance:
 *   brand: Acme Store
 *   contact: support@acme.example or +1 800 555 0100
 *   keywords:            # added to STOP/START/HELP and the rest, never replacing them
 *     optOut: [ARRET, ARRÊT]
 *     optIn: [DEMARRER]
 *     help: [AIDE]
 *   answers:             # optional; `{brand}` and `{contact}` are replaced
 *     optOut: "{brand}: vous ne recevrez plus de messages. Répondez DEMARRER pour vous réabonner."
 * ```
 */
const Keyword = z.string().trim().min(1).max(32).regex(/^\S+$/u, 'a keyword is a single word');
const Answer = z.string().trim().min(1).max(640);

export const ChannelComplianceSettings = z.strictObject({
  /** The program's name, first in every answer (CTIA: identify the brand). */
  brand: z.string().trim().min(1).max(64),
  /** A support contact given in the HELP answer: an e-mail, a phone number or a URL. */
  contact: z.string().trim().min(1).max(128),
  keywords: z
    .strictObject({
      optOut: z.array(Keyword).max(50).default([]),
      optIn: z.array(Keyword).max(50).default([]),
      help: z.array(Keyword).max(50).default([]),
    })
    .default({ optOut: [], optIn: [], help: [] }),
  answers: z
    .strictObject({
      optOut: Answer.optional(),
      optIn: Answer.optional(),
      help: Answer.optional(),
    })
    .default({}),
});
export type ChannelComplianceSettings = z.infer<typeof ChannelComplianceSettings>;
export type ChannelComplianceInput = z.input<typeof ChannelComplianceSettings>;

/**
 * The answers when a Channel does not set its own: the CTIA's expectations (brand, how to
 * opt back in or out, a support contact, "Msg&data rates may apply" in HELP).
 */
export const DefaultAnswers = {
  'opt-out': '{brand}: you are unsubscribed and will receive no more messages. Reply START to resubscribe.',
  'opt-in': '{brand}: you are subscribed again. Reply HELP for help, STOP to unsubscribe. Msg&data rates may apply.',
  help: '{brand}: for help, contact {contact}. Msg&data rates may apply. Reply STOP to unsubscribe.',
} as const;

/** The text a Channel answers with for a keyword kind, `{brand}` and `{contact}` filled in. */
export function complianceAnswerText(settings: ChannelComplianceSettings, kind: keyof typeof DefaultAnswers): string {
  const custom = { 'opt-out': settings.answers.optOut, 'opt-in': settings.answers.optIn, help: settings.answers.help }[kind];
  return (custom ?? DefaultAnswers[kind]).replaceAll('{brand}', settings.brand).replaceAll('{contact}', settings.contact);
}
