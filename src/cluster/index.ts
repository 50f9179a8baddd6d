/** The routing cluster: membership and partition leases (who owns which partition, with which fencing epoch). */
export * from './fair-share.ts';
export * from './partition-leases.ts';
export * from './cluster-id.ts';
