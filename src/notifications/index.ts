/** Agentless notifications: one message to one recipient, sent for an integration, followed to its delivery. */
export * from './errors.ts';
export * from './render.ts';
export * from './categories.ts';
export * from './request.ts';
export * from './view.ts';
export * from './send-notification.ts';
export * from './callback-url.ts';
export * from './status-callback.ts';
export * from './receipts.ts';
