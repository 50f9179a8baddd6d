/** Campaigns: the Campaign actor, its runner and lease, attempts, templates, quiet hours, pacing and the reply lookup. */
export * from './errors.ts';
export * from './tables.ts';
export * from './campaign-machine.ts';
export * from './campaign-runs.ts';
export * from './attempts.ts';
export * from './message-template.ts';
export * from './sending-window.ts';
export * from './recipient-zone.ts';
export * from './pacer.ts';
export * from './prepared-campaign.ts';
export * from './campaign-runner.ts';
export * from './campaign-receipts.ts';
export * from './campaign-service.ts';
export * from './campaign-reply.ts';
export * from './campaign-export.ts';
export * from './campaign-status.ts';
export * from './campaign-status-publisher.ts';
