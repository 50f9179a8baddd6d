/** Supervisor views: live queue activity, and the interactions search with each conversation's timeline. */
export { readQueueActivity, type QueueActivity, type QueueActivityQuery } from './queue-activity.ts';
export { queueActivityNotifier, foldObservers, type QueueActivityNote } from './activity-notes.ts';
export { startOfDay } from './local-day.ts';
export { searchInteractions, type Interaction, type InteractionFilter, type InteractionCursor } from './interactions.ts';
export { timelineOf, type TimelineEntry } from './timeline.ts';
export { queuesServedBy } from './agent-queues.ts';
