/** Supervisor views: live queue activity, and the interactions search with each conversation's timeline. */
export { readQueueActivity, type QueueActivityQuery } from './queue-activity.ts';
export type { QueueActivity, Interaction, TimelineEntry, SupervisorFrame } from './views.ts';
export { queueActivityNotifier, foldObservers, type QueueActivityNote } from './activity-notes.ts';
export { startOfDay } from './local-day.ts';
export { searchInteractions, type InteractionFilter, type InteractionCursor } from './interactions.ts';
export { timelineOf } from './timeline.ts';
export { queuesServedBy } from './agent-queues.ts';
