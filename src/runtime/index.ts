/**
 * The partition runtime: actors of registered kinds hosted per partition, their events
 * and customer messages got to the partition's owner (the mailbox), stepped and stored in
 * fenced group commits. It calls only downward (store, bus, partition, contract).
 */
export type * from './actor-kind.ts';
export * from './host.ts';
export * from './actor-cache.ts';
export * from './flat-string.ts';
export { ActorChanged } from './transaction-actors.ts';
export * from './step-results.ts';
export * from './group-commit.ts';
export * from './first-or-backlog.ts';
export * from './ownership.ts';
export * from './partition-mailbox.ts';
export * from './collect-effects.ts';
export * from './pure-transition.ts';
export type * from './effects.ts';
export * from './outbox-dispatcher.ts';
export * from './timer-service.ts';
export * from './partition-runtime.ts';
