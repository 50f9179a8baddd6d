export * from './scheduler.ts';
export * from './agent-view.ts';
export * from './waiting-conversation.ts';
export * from './eligibility.ts';
export * from './methods.ts';
export * from './requirements.ts';
export * from './agent-index.ts';
