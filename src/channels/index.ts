/** The channels role's provider adapters: signatures, mappings and per-channel rules, no I/O. */
export type * from './provider.ts';
export { RefusalCodes } from './provider.ts';
export { UnmappablePayloadError } from './unmappable-payload-error.ts';
export { deliveryReceipt } from './envelopes.ts';
export { capabilitiesOf, RichContentKinds, type Capabilities, type RichContentKind } from './capabilities.ts';
export { renderFallback, numberedReply, replyPrompt, type FallbackText } from './rich-fallback.ts';
export { countSmsSegments, smsEncodingOf, type SmsSegments, type SmsEncoding } from './sms-segments.ts';
export { splitText } from './split-text.ts';
export { retryAfterMs } from './retry-after.ts';
export * from './whatsapp/index.ts';
export * from './twilio/index.ts';
export { smsKeywordOf, type SmsKeyword } from './sms-keywords.ts';
export * from './messenger/index.ts';
export * from './line/index.ts';
export * from './x/index.ts';
export * from './open/index.ts';
export * from './http-sms/index.ts';
export * from './apple/index.ts';
