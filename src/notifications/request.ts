import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ResourceName, WebUrl } from '../contract/index.ts';
import { isTimeZone } from '../contract/index.ts';
import { CATEGORY_PATTERN } from './categories.ts';

/**
 * The body of `POST /v1/notifications`. The message is either `text` (sent as is) or a
 * LiquidJS `template` rendered with `data` (with an e-mail's `subject` and `html`);
 * WhatsApp takes an approved `whatsappTemplate` instead (a business-initiated message).
 */
export const NotificationRequest = z
  .strictObject({
    /** The Channel resource to send through (its kind: sms, whatsapp or email). */
    channel: ResourceName,
    /** The recipient: a phone number in E.164 (`+14155552671`) or an e-mail address. */
    to: z.string().trim().min(3).max(320),
    /** What kind of message this is; categories the tenant marked transactional skip suppression and quiet hours. */
    category: z.string().regex(CATEGORY_PATTERN, 'a category is 1–64 lowercase letters, digits, ".", "_" or "-"'),
    text: z.string().min(1).max(4096).optional(),
    template: z.string().min(1).max(20_000).optional(),
    data: z.record(z.string(), z.unknown()).optional(),
    email: z.strictObject({ subject: z.string().min(1).max(998), html: z.string().min(1).max(200_000).optional() }).optional(),
    whatsappTemplate: z
      .strictObject({
        name: z.string().min(1).max(512),
        language: z.string().min(2).max(16),
        components: z.array(z.record(z.string(), z.unknown())).max(10).optional(),
      })
      .optional(),
    /** The recipient's IANA time zone when known (else it comes from the phone number). */
    timeZone: z.string().refine(isTimeZone, 'not an IANA time zone name').optional(),
    /** Where status changes are POSTed, signed (see docs/notifications.md). */
    callbackUrl: WebUrl.optional(),
  })
  .refine((r) => !(r.text !== undefined && r.template !== undefined), { message: 'give text or template, not both', path: ['template'] })
  .refine((r) => r.data === undefined || r.template !== undefined, { message: 'data is for a template', path: ['data'] });
export type NotificationRequest = z.infer<typeof NotificationRequest>;

/** A fingerprint of the request body, to tell a retry (same body) from a reuse of its key (another body). */
export function requestHash(body: unknown): string {
  return createHash('sha256').update(stableJson(body)).digest('hex');
}

/** JSON with object keys sorted, so that key order does not make two equal bodies differ. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
