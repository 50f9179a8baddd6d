export * from './scheduler.ts';
export * from './agent-view.ts';
export * from './waiting-conversation.ts';
