/** The agent actor: its machine, its context (capacity) and events, and its kind for the runtime. */
export * from './context.ts';
export type * from './events.ts';
export * from './machine.ts';
export * from './kind.ts';
