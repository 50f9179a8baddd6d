export { runRouter } from './run-router.ts';
export { runGateway } from './run-gateway.ts';
export { runOperator } from './run-operator.ts';
export { runUp } from './run-up.ts';
export { runChannels } from './run-channels.ts';
export * from './settings.ts';
export * from './up-state.ts';
export * from './dependency-error.ts';
export { connectNats, migrateDatabase, openDatabase } from './open-dependencies.ts';
