export * from './resources.ts';
export * from './registry.ts';
export * from './load-folder.ts';
export * from './inbound-flow.ts';
export * from './manifest.ts';
export * from './config-bucket.ts';
export * from './config-watcher.ts';
export { parseDuration } from './duration.ts';
export * from './campaign-status.ts';
