import type { RichContentKind } from '../capabilities.ts';

export interface WhatsAppOptions {
  /** The Meta app's secret: signs webhooks. */
  readonly appSecret: string;
  /** The token typed into the app's webhook settings, echoed in the GET handshake. */
  readonly verifyToken: string;
  /** A system-user access token with whatsapp_business_messaging. */
  readonly accessToken: string;
  /** The business phone number's id (`metadata.phone_number_id`). */
  readonly phoneNumberId: string;
  /** Where the Graph API is; a fake or a proxy in tests and staging. @default "https://graph.facebook.com" */
  readonly baseUrl?: string;
  /** @default "v23.0" */
  readonly apiVersion?: string;
  /** The customer-service window after the customer's last message. @default 86_400_000 (24 h) */
  readonly windowMs?: number;
  /** Rich content the Channel switched off (`spec.richContent.disabled`). @default [] */
  readonly disabledContent?: readonly RichContentKind[];
}

export type ResolvedWhatsAppOptions = Required<WhatsAppOptions>;

export function resolveWhatsAppOptions(options: WhatsAppOptions): ResolvedWhatsAppOptions {
  return {
    baseUrl: 'https://graph.facebook.com',
    apiVersion: 'v23.0',
    windowMs: 24 * 3_600_000,
    disabledContent: [],
    ...options,
  };
}
