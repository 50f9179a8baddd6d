export * from './log.ts';
export * from './repeated-log.ts';
export * from './ops-server.ts';
export * from './tracing.ts';
