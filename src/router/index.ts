export * from './router.ts';
export { FallbackOutcomes, type FallbackOutcome } from './queue-deletion.ts';
