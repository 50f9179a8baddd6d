/** The conversation actor: its machine, its context and events, and its kind for the runtime (with the customer message as its activation step). */
export type * from './context.ts';
export type * from './events.ts';
export { conversationMachine, type ConversationState } from './machine.ts';
export * from './policy.ts';
export * from './message-time.ts';
export * from './choose-queue.ts';
export * from './receive-message.ts';
export * from './kind.ts';
export * from './start-conversation.ts';
export * from './start-rules.ts';
export * from './view.ts';
