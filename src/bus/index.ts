export * from './connect.ts';
export * from './streams.ts';
export * from './consume.ts';
export * from './dead-letter.ts';
export * from './trace-context.ts';
export * from './consume-batches.ts';
export * from './retry-timeouts.ts';
export * from './creation-race.ts';
