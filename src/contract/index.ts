/** Parley's public contract, version 1: NATS subjects and JSON envelopes. */
export * from './strings.ts';
export * from './names.ts';
export * from './media.ts';
export * from './rich-content.ts';
export * from './inbound-message.ts';
export * from './outbound-message.ts';
export * from './delivery-receipt.ts';
export * from './agent-command.ts';
export * from './transfer-note.ts';
export type * from './agent-event.ts';
export * from './subjects.ts';
export * from './errors.ts';
export * from './decode.ts';
export * from './bot.ts';
export * from './time-zone.ts';
