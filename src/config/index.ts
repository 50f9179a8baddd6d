export * from './resources.ts';
export * from './registry.ts';
export * from './load-folder.ts';
export * from './inbound-flow.ts';
export { parseDuration } from './duration.ts';
