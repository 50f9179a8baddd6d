import type { IntervalTotals } from './read-intervals.ts';

/** Rounded to hundredths; null when there is nothing to divide by. */
export const ratio = (part: number, whole: number, scale = 1): number | null => (whole === 0 ? null : Math.round((part / whole) * scale * 100) / 100);

/** The time figures of a row: talk, after-work and handle time (their sum per handled conversation). */
export interface HandleTimes {
  /** Mean time from the answer to the end of the assignment. */
  averageTalkSeconds: number | null;
  /** Mean after-conversation work: the end of the assignment to the agent's slot freeing. */
  averageAfterWorkSeconds: number | null;
  /** (talk + after-work) / handled, as Genesys Cloud's AHT (reference: metric definitions). */
  averageHandleSeconds: number | null;
}

/**
 * After-work counts in the interval it ended in, handling in the interval the assignment
 * ended in: over a period the two are the same conversations but for those straddling
 * its end (after-work lasts at most an hour).
 */
export function handleTimes(r: Pick<IntervalTotals, 'handled' | 'handleSum' | 'afterWork' | 'afterWorkSum'>): HandleTimes {
  return {
    averageTalkSeconds: ratio(r.handleSum, r.handled),
    averageAfterWorkSeconds: ratio(r.afterWorkSum, r.afterWork),
    averageHandleSeconds: ratio(r.handleSum + r.afterWorkSum, r.handled),
  };
}
