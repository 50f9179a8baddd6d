/** PostgreSQL persistence: schema types, migrations and repositories (plain functions; the caller owns the transaction). */
export type * from './database.ts';
export * from './connect.ts';
export * from './migrate.ts';
export * from './customers.ts';
export * from './conversations.ts';
export * from './messages.ts';
export * from './agents.ts';
export * from './timers.ts';
export * from './outbox.ts';
export * from './open-actor.ts';
export * from './inbound-lookup.ts';
export * from './step-writes.ts';
export { PREPARED } from './preparing-pool.ts';
export * from './partitions.ts';
export * from './database-errors.ts';
export * from './cluster-id.ts';
export * from './thread-lookup.ts';
export type * from './report-tables.ts';
