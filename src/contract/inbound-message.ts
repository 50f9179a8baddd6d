import { z } from 'zod';
import { ResourceName, TenantName, Timestamp } from './names.ts';
import { Attachment, RichContent, hasBody } from './rich-content.ts';
import { displayText, exactText, safeRecord } from './strings.ts';

/** Facts about the customer that inbound-flow rules test: string keys and values only. */
export const Attributes = safeRecord(exactText({ max: 64 }), displayText({ max: 1024 }));

/** At most this many referenced message ids travel with an inbound message (the newest). */
export const MAX_REFERENCES = 50;

/** How the channel identifies the customer (Genesys Open Messaging: Phone | Email | Opaque). */
export const IdTypes = ['phone', 'email', 'opaque'] as const;
export type IdType = (typeof IdTypes)[number];

export const Customer = z.object({
  /** The customer's id on this channel: E.164 phone, e-mail address, PSID, BSUID, … */
  id: exactText({ min: 1, max: 256 }),
  idType: z.enum(IdTypes),
  name: displayText({ max: 256 }).optional(),
  /** A phone number known for this customer (E.164); links identities across channels. */
  phone: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be E.164, e.g. +33612345678').optional(),
  /** An e-mail address known for this customer; links identities across channels. */
  email: z.email().optional(),
});
export type Customer = z.infer<typeof Customer>;

/**
 * A customer's message, published by a channel adapter to
 * `parley.v1.inbound.<tenant>.<channel>` with the `Nats-Msg-Id` header set to
 * `<tenant>:<channel>:<messageId>` so that JetStream drops re-publications.
 */
export const InboundMessage = z
  .object({
    version: z.literal(1),
    tenant: TenantName,
    channel: ResourceName,
    /** The provider's id of this message; unique per channel. */
    messageId: exactText({ min: 1, max: 256 }),
    /** When the customer sent it (ISO-8601 with offset). */
    timestamp: Timestamp,
    from: Customer,
    text: displayText({ max: 65536 }).optional(),
    /** The message's language (BCP 47), when the channel knows it; inbound-flow rules can match on it. */
    language: z.string().regex(/^[a-zA-Z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'a BCP 47 language tag such as fr or pt-BR').optional(),
    attachments: z.array(Attachment).max(20).optional(),
    content: z.array(RichContent).max(10).optional(),
    /** Customer attributes usable by inbound flow rules (string values only). */
    attributes: Attributes.optional(),
    /**
     * E-mail: the ids of earlier messages this one answers (In-Reply-To, then References,
     * newest first). A reply joins the conversation holding one of them (the customer's
     * earlier Message-IDs, or Parley's own `<messageId@domain>`), even after the window.
     */
    references: z.array(exactText({ min: 1, max: 256 })).max(MAX_REFERENCES).optional(),
  })
  .refine(hasBody, {
    message: 'a message needs text, attachments or content',
  });
export type InboundMessage = z.infer<typeof InboundMessage>;

/**
 * How far a message's `timestamp` (the provider's clock) may be from the time Parley
 * received it (JetStream stored it) and still be the time the message is filed under:
 * clocks drift, and a webhook takes a moment (contract.md §12).
 */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** The customer's identity on the channel; with tenant and channel, the key of its conversations. */
export function externalIdOf(from: InboundMessage['from']): string {
  return `${from.idType}:${from.id}`;
}
