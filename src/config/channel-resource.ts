import { z } from 'zod';
import { ChannelComplianceSettings } from '../compliance/index.ts';
import { ChannelTypes, ResourceName, Skill } from '../contract/index.ts';
import { Metadata, SecretKeyRef, apiVersion } from './common.ts';
import { Duration } from './duration.ts';
import { ChannelProviderSpec, ProviderKeys, providerKeysByType } from './channel-provider.ts';
import { WebChannelSpec } from './channel-web.ts';
import { EmailChannelSpec } from './channel-email.ts';
import { WhatsAppChannelSpec } from './channel-whatsapp.ts';

const Language = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'a BCP 47 language tag such as fr or pt-BR');

const RuleMatch = z
  .strictObject({
    /** Matches when the text contains one of these words (case-insensitive, whole words; use `regex` for phrases). */
    keywords: z
      .array(z.string().regex(/^[\p{L}\p{N}]+$/u, 'a keyword is a single word: use regex for phrases').max(100))
      .min(1)
      .max(100)
      .optional(),
    /** Matches when the text matches this regular expression (case-insensitive). */
    regex: z
      .string()
      .max(1000)
      .refine((s) => {
        try {
          new RegExp(s, 'iu');
          return true;
        } catch {
          return false;
        }
      }, 'not a valid regular expression')
      .optional(),
    /** Matches when the message's language (from the channel, or a `language` attribute) has this primary tag. */
    language: Language.optional(),
    /** Matches when a customer attribute has this value. */
    attribute: z.strictObject({ name: z.string().min(1).max(64), equals: z.string().max(1024) }).optional(),
  })
  .refine((m) => m.keywords || m.regex || m.language || m.attribute, 'a rule needs keywords, regex, language or attribute');

const RuleSet = z
  .strictObject({
    /** Skills added to the conversation's requirements. */
    skills: z.array(Skill).max(50).optional(),
    /** The language an agent must speak. */
    language: Language.optional(),
    /** Higher is served first (0–100). */
    priority: z.number().int().min(0).max(100).optional(),
    queue: ResourceName.optional(),
    /** Agents tried first, in order, before normal routing (see the queue's preferredAgentTimeout). */
    preferredAgents: z.array(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/)).max(20).optional(),
  })
  .refine(
    (s) => s.skills || s.language || s.priority !== undefined || s.queue || s.preferredAgents,
    'a rule must set skills, language, priority, queue or preferredAgents',
  );

export const InboundRule = z.strictObject({ match: RuleMatch, set: RuleSet });
export type InboundRule = z.infer<typeof InboundRule>;

/** A bot that handles new conversations first, reached over NATS request/reply. */
const Bot = z.strictObject({
  /** The NATS subject the bot answers on. */
  subject: z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'a NATS subject without wildcards'),
  /** How long to wait for each bot answer before handing off to an agent. @default "5s" */
  timeout: Duration(100, 60_000).default(5_000),
});

const RichContentTypes = ['quickReplies', 'buttons', 'card', 'carousel', 'location', 'listPicker', 'timePicker', 'richLink', 'form'] as const;

const ChannelSpec = z
  .strictObject({
    type: z.enum(ChannelTypes),
    /** The queue conversations go to unless a rule names another. */
    queue: ResourceName,
    /** A message inside this window continues the conversation. @default "72h" */
    threadingWindow: Duration(60_000, 30 * 86_400_000).default(72 * 3_600_000),
    /** The provider credentials, by Secret reference (never inline). */
    credentials: z.strictObject({ secretRef: SecretKeyRef }).optional(),
    inboundFlow: z
      .strictObject({
        /** Evaluated in order; every matching rule applies (skills add up, the last queue and priority win). */
        rules: z.array(InboundRule).max(200).default([]),
        bot: Bot.optional(),
      })
      .default({ rules: [] }),
    /** Outbound sending limit for this channel. */
    rateLimit: z
      .strictObject({
        messagesPerSecond: z.number().int().min(1).max(10_000),
        burst: z.number().int().min(1).max(100_000).optional(),
      })
      .optional(),
    /** Rich content this channel should not receive: it is rendered as text instead. */
    richContent: z.strictObject({ disabled: z.array(z.enum(RichContentTypes)).max(RichContentTypes.length).default([]) }).optional(),
    /** SMS and WhatsApp: the brand and contact of the STOP/START/HELP answers, extra keywords (other languages) and custom answers. */
    compliance: ChannelComplianceSettings.optional(),
    /** The provider account the channels role speaks to: settings, secrets by reference, limits (channel-provider.ts). */
    provider: ChannelProviderSpec.optional(),
    /** Web messaging: the sites that may embed the widget, the offline message (channel-web.ts). */
    web: WebChannelSpec.optional(),
    /** E-mail: addresses, sending address, SMTP relay, IMAP, DKIM; secrets by reference (channel-email.ts). */
    email: EmailChannelSpec.optional(),
    /** WhatsApp: the approved templates agents may start a conversation with (channel-whatsapp.ts). */
    whatsapp: WhatsAppChannelSpec.optional(),
  })
  .refine((spec) => !spec.provider || !providerMismatch(spec.type, spec.provider), {
    message: 'the provider sub-object must match spec.type (sms takes twilio or httpSms)',
    path: ['provider'],
  })
  .refine((spec) => spec.web === undefined || spec.type === 'web', { message: 'spec.web is for channels of type web', path: ['web'] })
  .refine((spec) => spec.email === undefined || spec.type === 'email', { message: 'spec.email is for channels of type email', path: ['email'] })
  .refine((spec) => spec.whatsapp === undefined || spec.type === 'whatsapp', { message: 'spec.whatsapp is for channels of type whatsapp', path: ['whatsapp'] });

export const ChannelResource = z.object({
  apiVersion: z.literal(apiVersion),
  kind: z.literal('Channel'),
  metadata: Metadata,
  spec: ChannelSpec,
});
export type ChannelResource = z.infer<typeof ChannelResource>;

/** Whether the provider block names a provider of another channel type (the spec is then refused). */
function providerMismatch(type: (typeof ChannelTypes)[number], provider: ChannelProviderSpec): boolean {
  const keys: readonly string[] = providerKeysByType[type];
  const key = ProviderKeys.find((k) => provider[k] !== undefined);
  return key !== undefined && !keys.includes(key);
}
