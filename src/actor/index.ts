export * from './host.ts';
export type * from './effects.ts';
export { KeyedMutex } from './keyed-mutex.ts';
