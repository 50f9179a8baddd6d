import type { SmsSegments } from './sms-segments.ts';
import type { ChannelType, DeliveryStatus, InboundMessage, OutboundMessage } from '../contract/index.ts';

/** HTTP request headers as Node gives them: lower-case names. */
export type Headers = Readonly<Record<string, string | readonly string[] | undefined>>;

/** A provider's webhook call, exactly as it arrived: the signature covers these bytes. */
export interface WebhookRequest {
  /** The raw body, before any parsing. */
  readonly raw: Uint8Array;
  readonly headers: Headers;
  /** The public URL the provider called (scheme, host, path and query), as registered with it. */
  readonly url: string;
}

export type Verification = { ok: true } | { ok: false; reason: string };

/** Where a webhook's envelopes go, from the Channel the webhook URL belongs to. */
export interface ChannelTarget {
  readonly tenant: string;
  readonly channel: string;
  /** When the webhook arrived; the message time for providers that send none (Twilio). */
  readonly receivedAt: Date;
}

/**
 * A status the provider reported for a message we sent. The provider names its own id;
 * `messageId` (Parley's id) is set only when the provider echoed it back (WhatsApp
 * `biz_opaque_callback_data`, Messenger echo `metadata`, a Twilio status-callback query
 * parameter). Otherwise the server looks it up by `platformMessageId`.
 */
export interface ProviderStatus {
  readonly status: DeliveryStatus;
  readonly timestamp: string;
  readonly platformMessageId: string;
  readonly messageId?: string;
  readonly reason?: string;
}

/** A read or delivery "watermark": every message sent to `customerId` up to `upTo` reached this status. */
export interface ProviderWatermark {
  readonly status: 'delivered' | 'read';
  readonly customerId: string;
  readonly upTo: string;
}

export type WebhookEvent =
  | {
      readonly kind: 'inbound';
      readonly message: InboundMessage;
      /** LINE: the token to answer this message with, valid for a short time. */
      readonly replyToken?: string;
    }
  | { readonly kind: 'status'; readonly status: ProviderStatus }
  | { readonly kind: 'watermark'; readonly watermark: ProviderWatermark };

/** One call to a provider's send API. `url` is the Channel's base URL plus the path. */
export interface ProviderRequest {
  readonly method: 'POST';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: { readonly type: 'json'; readonly value: unknown } | { readonly type: 'form'; readonly value: ReadonlyArray<readonly [string, string]> };
  /** SMS: the encoding and parts of the text, which is what the provider bills and paces. */
  readonly sms?: SmsSegments;
}

/**
 * What a conversation's rules need to know, kept by the caller and passed explicitly so
 * that the rules stay pure functions of (state, clock).
 */
export interface SendState {
  /** The clock. */
  readonly now: Date;
  /** When the customer last wrote on this channel (opens the 24-hour windows). */
  readonly lastInboundAt?: Date;
  /** X: replies already sent since the customer's last message. @default 0 */
  readonly repliesSinceInbound?: number;
  /** LINE: the reply token of the customer's last message, unused so far. */
  readonly replyToken?: { readonly token: string; readonly receivedAt: Date };
}

/** The message may not go out under the channel's rules; `reason` is shown to the agent. */
export interface Refusal {
  readonly ok: false;
  readonly code: RefusalCode;
  readonly reason: string;
}

export const RefusalCodes = ['OutsideWindow', 'ReplyLimitReached', 'EmptyMessage', 'MessagingLimitReached', 'RecipientOptedOut', 'DoNotContact'] as const;
export type RefusalCode = (typeof RefusalCodes)[number];

export type SendPlan = { readonly ok: true; readonly requests: readonly ProviderRequest[]; readonly options: readonly FallbackOption[] } | Refusal;

/** A numbered option of a text fallback: a reply "n" means `payload`. */
export interface FallbackOption {
  readonly n: number;
  readonly text: string;
  readonly payload: string;
}

/** A provider error code's meaning: the receipt reason, and whether trying again later can work. */
export interface ErrorMeaning {
  readonly reason: string;
  readonly retryable: boolean;
}

/** The provider's answer to one send request, classified. */
export type SendOutcome =
  /** Sent; `providerMessageId` is absent when the provider keeps our id (the open channel). */
  | { readonly kind: 'accepted'; readonly providerMessageId?: string }
  | { readonly kind: 'retry'; readonly reason: string; readonly afterMs?: number }
  | { readonly kind: 'failed'; readonly reason: string };

export interface ProviderResponse {
  readonly status: number;
  /** The body as text (JSON for every provider here). */
  readonly body: string;
  readonly headers: Headers;
}

/** The face of one provider that the channels server and sender use. */
export interface ChannelProvider {
  readonly type: ChannelType;
  /** Checks the webhook's signature over the raw bytes (Apple's JWT check is asynchronous). */
  verify(request: WebhookRequest): Verification | Promise<Verification>;
  /** Splits a verified webhook into contract envelopes; throws UnmappablePayloadError. */
  parseWebhook(request: WebhookRequest, target: ChannelTarget): WebhookEvent[];
  /** The provider calls for one outbound message, or why the channel's rules refuse it. */
  toRequests(message: OutboundMessage, state: SendState): SendPlan;
  /** Classifies the provider's answer to one of those calls. */
  parseResponse(response: ProviderResponse): SendOutcome;
}
