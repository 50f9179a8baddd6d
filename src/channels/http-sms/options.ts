import type { DeliveryStatus } from '../../contract/index.ts';

/**
 * A generic HTTP SMS aggregator, described by configuration rather than code: JSON
 * webhooks signed with an HMAC header, fields found by dot paths, and a JSON send API.
 */
export interface HttpSmsOptions {
  /** The HMAC key of inbound webhooks. */
  readonly webhookSecret: string;
  /** How webhooks are signed. @default { header: "x-signature", algorithm: "sha256", encoding: "hex", prefix: "" } */
  readonly signature?: { readonly header: string; readonly algorithm: 'sha1' | 'sha256'; readonly encoding: 'hex' | 'base64'; readonly prefix?: string };
  /** Dot paths of an inbound message's fields. `timestamp` (ISO-8601 or Unix seconds) is optional. */
  readonly inbound: { readonly messageId: string; readonly from: string; readonly text: string; readonly timestamp?: string };
  /** A webhook with a value at `status.field` is a status callback. */
  readonly status?: {
    readonly field: string;
    readonly messageId: string;
    /** Provider status → receipt status; other values give no receipt. */
    readonly map: Readonly<Record<string, DeliveryStatus>>;
    readonly reason?: string;
  };
  /** The send API. */
  readonly send: {
    readonly url: string;
    /** Extra headers, e.g. `{ authorization: "Bearer …" }`. */
    readonly headers?: Readonly<Record<string, string>>;
    /** The sender number or id. */
    readonly from: string;
    /** Body field names. @default { to: "to", from: "from", text: "text" } */
    readonly fields?: { readonly to: string; readonly from: string; readonly text: string };
    /** Dot path of the message id in the answer. @default "id" */
    readonly responseId?: string;
    /** Longest text per message; longer text is split. @default 1600 */
    readonly maxTextLength?: number;
  };
}

export interface ResolvedHttpSmsOptions extends HttpSmsOptions {
  readonly signature: { readonly header: string; readonly algorithm: 'sha1' | 'sha256'; readonly encoding: 'hex' | 'base64'; readonly prefix: string };
  readonly send: HttpSmsOptions['send'] & { readonly fields: { readonly to: string; readonly from: string; readonly text: string }; readonly responseId: string; readonly maxTextLength: number };
}

export function resolveHttpSmsOptions(options: HttpSmsOptions): ResolvedHttpSmsOptions {
  return {
    ...options,
    signature: { prefix: '', ...(options.signature ?? { header: 'x-signature', algorithm: 'sha256', encoding: 'hex' }) },
    send: { fields: { to: 'to', from: 'from', text: 'text' }, responseId: 'id', maxTextLength: 1600, ...options.send },
  };
}
