export * from './log.ts';
export * from './ops-server.ts';
