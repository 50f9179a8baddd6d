import type { QueueConfig } from '../config/index.ts';

/**
 * A waiting conversation's urgency now: its priority plus `aging.step` for every full
 * `aging.every` waited. Within one priority, the conversation waiting longer is never
 * less urgent, so a first-in-first-out list per priority is already in serving order and
 * never needs re-sorting: only the heads of the lists are compared, at the time of asking.
 */
export function urgencyOf(priority: number, enqueuedAt: number, aging: QueueConfig['aging'] | undefined, now: number): number {
  return priority + (aging && aging.step > 0 ? aging.step * Math.floor((now - enqueuedAt) / aging.everyMs) : 0);
}

/** Serving order: more urgent first, then waiting longer, then by id (stable). */
export function servingOrder(a: Urgent, b: Urgent): number {
  if (a.urgency !== b.urgency) return a.urgency > b.urgency ? -1 : 1;
  if (a.enqueuedAt !== b.enqueuedAt) return a.enqueuedAt - b.enqueuedAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export interface Urgent {
  urgency: number;
  enqueuedAt: number;
  id: string;
}
