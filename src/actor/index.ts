export * from './host.ts';
export * from './step-results.ts';
export * from './group-commit.ts';
export type * from './effects.ts';
