import type { QueueConfig } from '../config/index.ts';

type Aging = QueueConfig['aging'] | undefined;

const ages = (aging: Aging): aging is NonNullable<Aging> => aging !== undefined && aging.step > 0;

/**
 * A waiting conversation's rank in its queue, fixed for its whole wait. Aging is linear:
 * at time t the urgency is `priority + step × (t − enqueuedAt) / every`, which orders
 * conversations of one queue exactly as `priority × every / step − enqueuedAt` does — a
 * constant. So a queue's waiting conversations sit in one ordered structure whose keys
 * never change with time: nothing is re-sorted as the clock moves. Without aging the rank
 * is the priority.
 */
export function rankOf(priority: number, enqueuedAt: number, aging: Aging): number {
  return ages(aging) ? (priority * aging.everyMs) / aging.step - enqueuedAt : priority;
}

/**
 * The urgency at `now`, in priority units: the rank moved to the clock. Computed from the
 * rank, so within a queue it orders exactly as the rank (times are whole milliseconds:
 * the sums are exact); across queues that age at different rates it is what is compared.
 */
export function urgencyOf(priority: number, enqueuedAt: number, aging: Aging, now: number): number {
  return ages(aging) ? ((rankOf(priority, enqueuedAt, aging) + now) * aging.step) / aging.everyMs : priority;
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
