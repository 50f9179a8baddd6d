/** Partitions: the hash every process computes the same, below the store and the runtime. */
export * from './partition-hash.ts';
