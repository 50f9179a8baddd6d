import { z } from 'zod';
import { ResourceName } from '../contract/index.ts';
import { Metadata, apiVersion } from './common.ts';
import { Duration } from './duration.ts';

const Days = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const ClockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day such as 09:00');

/**
 * An outbound SMS or e-mail campaign, run by the Campaign actor (`src/campaigns`).
 */
export const CampaignResource = z.object({
  apiVersion: z.literal(apiVersion),
  kind: z.literal('Campaign'),
  metadata: Metadata,
  spec: z
    .strictObject({
      /** The Channel it sends through (sms or email). */
      channel: ResourceName,
      /** Where the contacts come from: a list uploaded through the API, by id. */
      contacts: z.strictObject({ listId: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/) }),
      /** The text: a template with {{column}} placeholders, or a column of the list that holds it. */
      message: z
        .strictObject({
          template: z.string().min(1).max(10_000).optional(),
          column: z.string().min(1).max(128).optional(),
          /** E-mail: the subject, a Liquid template like `template`. */
          subject: z.string().min(1).max(998).optional(),
          /** E-mail: the HTML part, a Liquid template; `template` (or `column`) is the text part. */
          html: z.string().min(1).max(100_000).optional(),
        })
        .refine((m) => (m.template === undefined) !== (m.column === undefined), 'message needs exactly one of template or column'),
      /** Do-not-contact lists checked before each send (ids of lists managed through the API). */
      doNotContact: z.array(z.string().regex(/^[A-Za-z0-9_-]{1,128}$/)).max(50).default([]),
      /** When it may send, in the recipient's time zone when the list has one, else `timeZone`. */
      window: z
        .strictObject({
          days: z.array(z.enum(Days)).min(1).max(7).default(['mon', 'tue', 'wed', 'thu', 'fri']),
          start: ClockTime.default('09:00'),
          end: ClockTime.default('20:00'),
          timeZone: z.string().min(1).max(64).default('UTC'),
        })
        .default({ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '20:00', timeZone: 'UTC' }),
      /** Messages per minute at most. @default 60 */
      pacing: z.strictObject({ messagesPerMinute: z.number().int().min(1).max(1_000_000) }).default({ messagesPerMinute: 60 }),
      /**
       * Replies within `window` join the campaign's conversation: to `queue` when it names
       * one, else answered by `keywords` (and `otherwise`), closed after `noReplyClose`
       * without a customer message.
       */
      replies: z
        .strictObject({
          queue: ResourceName.optional(),
          window: Duration(60_000, 30 * 86_400_000).default(72 * 3_600_000),
          noReplyClose: Duration(60_000, 30 * 86_400_000).default(24 * 3_600_000),
          /** Without a queue: a reply that is exactly one of `match` (trimmed, any case) gets `answer`. */
          keywords: z
            .array(z.strictObject({ match: z.array(z.string().trim().min(1).max(64)).min(1).max(20), answer: z.string().min(1).max(1_600) }))
            .max(50)
            .optional(),
          /** Without a queue: the answer to a reply no keyword matches; absent, it goes to the channel's queue. */
          otherwise: z.string().min(1).max(1_600).optional(),
        })
        .refine((r) => r.queue === undefined || (r.keywords === undefined && r.otherwise === undefined), 'replies: keywords and otherwise answer replies only without a queue')
        .optional(),
      /** Pauses sending until set back to false; progress is kept. @default false */
      paused: z.boolean().default(false),
      /** Stops the campaign for good: contacts not reached yet are not reached. @default false */
      stopped: z.boolean().default(false),
    })
    .refine((s) => s.window.start < s.window.end, { message: 'window.start must be before window.end', path: ['window'] }),
});
export type CampaignResource = z.infer<typeof CampaignResource>;
