import { z } from 'zod';
import { ChannelTypes, ResourceName, Skill, TenantName } from '../contract/index.ts';
import { Duration } from './duration.ts';

/**
 * Channel and Queue resources (group parley.dev, version v1alpha1) as the router needs
 * them. The same shapes come from Kubernetes through the operator or from a folder of
 * YAML files in local mode.
 */


const Metadata = z.object({
  name: ResourceName,
  /** The tenant. @default "default" */
  namespace: TenantName.default('default'),
});

// Specs are strict: a misspelt field (`alertingtimeout`) is an error, not a silent default.

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
    /** Matches when a customer attribute has this value. */
    attribute: z.strictObject({ name: z.string().min(1).max(64), equals: z.string().max(1024) }).optional(),
  })
  .refine((m) => m.keywords || m.regex || m.attribute, 'a rule needs keywords, regex or attribute');

const RuleSet = z
  .strictObject({
    skills: z.array(Skill).max(50).optional(),
    /** Higher is served first. */
    priority: z.number().int().min(0).max(100).optional(),
    queue: ResourceName.optional(),
  })
  .refine((s) => s.skills || s.priority !== undefined || s.queue, 'a rule must set skills, priority or queue');

export const InboundRule = z.strictObject({ match: RuleMatch, set: RuleSet });
export type InboundRule = z.infer<typeof InboundRule>;

export const ChannelResource = z.object({
  apiVersion: z.literal('parley.dev/v1alpha1'),
  kind: z.literal('Channel'),
  metadata: Metadata,
  spec: z.strictObject({
    type: z.enum(ChannelTypes),
    /** The queue conversations go to unless a rule names another. */
    queue: ResourceName,
    /** A message inside this window continues the conversation. @default "72h" */
    threadingWindow: Duration(60_000, 30 * 86_400_000).default(72 * 3_600_000),
    inboundFlow: z
      .strictObject({ rules: z.array(InboundRule).max(200).default([]) })
      .default({ rules: [] }),
  }),
});
export type ChannelResource = z.infer<typeof ChannelResource>;

export const QueueResource = z.object({
  apiVersion: z.literal('parley.dev/v1alpha1'),
  kind: z.literal('Queue'),
  metadata: Metadata,
  spec: z.strictObject({
    /** Skills every conversation in this queue requires. @default [] */
    skills: z.array(Skill).max(50).default([]),
    /** How long an offer rings before it goes to the next agent. @default "30s" */
    alertingTimeout: Duration(1_000, 3_600_000).default(30_000),
  }),
});
export type QueueResource = z.infer<typeof QueueResource>;

export const Resource = z.discriminatedUnion('kind', [ChannelResource, QueueResource]);
export type Resource = z.infer<typeof Resource>;
