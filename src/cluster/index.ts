/** The routing cluster: partitions, leases with fencing, and getting work to a partition's owner. */
export * from './partition.ts';
export * from './fair-share.ts';
export * from './ownership.ts';
export * from './partition-leases.ts';
export * from './partition-mailbox.ts';
export * from './cluster-id.ts';
