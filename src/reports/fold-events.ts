import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database } from '../store/index.ts';
import type { ReportEventTable, ReportIntervalTable } from '../store/index.ts';
import { intervalStartOf } from './interval.ts';
import { rollUp } from './roll-up.ts';
import { WAIT_BUCKETS_SECONDS, withinCounts } from './wait-buckets.ts';

export type ReportEvent = Selectable<ReportEventTable>;
type Dimension = ReportIntervalTable['dimension'];

/** The additive part of an interval row. */
interface Sums {
  offered: number;
  answered: number;
  abandoned: number;
  flowed_out: number;
  transferred: number;
  answer_wait_sum: number;
  abandon_wait_sum: number;
  answered_within: number[];
  handled: number;
  handle_sum: number;
  offers: number;
  offers_rejected: number;
  offers_timed_out: number;
  after_work: number;
  after_work_sum: number;
}

interface IntervalSums extends Sums {
  tenant: string;
  dimension: Dimension;
  key: string;
  interval_start: Date;
}

const emptySums = (): Sums => ({
  offered: 0,
  answered: 0,
  abandoned: 0,
  flowed_out: 0,
  transferred: 0,
  answer_wait_sum: 0,
  abandon_wait_sum: 0,
  answered_within: WAIT_BUCKETS_SECONDS.map(() => 0),
  handled: 0,
  handle_sum: 0,
  offers: 0,
  offers_rejected: 0,
  offers_timed_out: 0,
  after_work: 0,
  after_work_sum: 0,
});

/**
 * The skills a queue requires now (its Queue resource's `spec.skills`): a fact counts for
 * the conversation's own skills and its queue's. Read at fold time, within a fold period
 * of the fact.
 */
export type QueueSkills = (tenant: string, queue: string) => readonly string[] | undefined;

/** The facts the skill dimension counts: a conversation's way through a queue, not offers to agents. */
const SKILL_KINDS: ReadonlySet<ReportEvent['kind']> = new Set(['offered', 'answered', 'abandoned', 'handled', 'afterWork']);

/** The skills a fact counts for: the conversation's own and its queue's, once each. */
function skillsOf(event: ReportEvent, queueSkills: QueueSkills | undefined): string[] {
  if (!SKILL_KINDS.has(event.kind)) return [];
  const own = event.skills ?? [];
  const queue = event.queue === null ? undefined : queueSkills?.(event.tenant, event.queue);
  return queue?.length ? [...new Set([...own, ...queue])] : [...new Set(own)];
}

function countWait(within: number[], seconds: number): void {
  withinCounts(seconds).forEach((n, i) => (within[i]! += n));
}

/** What one fact adds to the interval of each dimension it belongs to. */
function apply(event: ReportEvent, skills: readonly string[], sumsOf: (dimension: Dimension, key: string | null) => Sums | undefined): void {
  const queue = sumsOf('queue', event.queue);
  const agent = sumsOf('agent', event.agent_id);
  const bySkill = skills.map((skill) => sumsOf('skill', skill)!);
  const seconds = Math.max(0, event.seconds ?? 0);
  switch (event.kind) {
    case 'offered':
      for (const s of [queue, ...bySkill]) if (s) s.offered++;
      break;
    case 'answered':
      for (const s of [queue, agent, ...bySkill]) {
        if (!s) continue;
        s.answered++;
        s.answer_wait_sum += seconds;
        countWait(s.answered_within, seconds);
      }
      break;
    case 'abandoned':
      for (const s of [queue, ...bySkill]) {
        if (!s) continue;
        s.abandoned++;
        s.abandon_wait_sum += seconds;
      }
      break;
    case 'flowedOut':
      if (queue) queue.flowed_out++;
      break;
    case 'transferred':
      if (queue) queue.transferred++;
      if (agent) agent.transferred++;
      break;
    case 'offer':
      if (agent) agent.offers++;
      break;
    case 'offerRejected':
      if (agent) agent.offers_rejected++;
      break;
    case 'offerTimedOut':
      if (agent) agent.offers_timed_out++;
      break;
    case 'handled':
    case 'wrappedUp': {
      const code = sumsOf('wrapUp', event.wrap_up_code);
      // A late wrap-up code counts for its code only: the handling was counted when it ended.
      for (const s of event.kind === 'handled' ? [queue, agent, code, ...bySkill] : [code]) {
        if (!s) continue;
        s.handled++;
        s.handle_sum += seconds;
      }
      break;
    }
    case 'afterWork':
      for (const s of [queue, agent, sumsOf('wrapUp', event.wrap_up_code), ...bySkill]) {
        if (!s) continue;
        s.after_work++;
        s.after_work_sum += seconds;
      }
      break;
  }
}

/** Adds up facts per (tenant, dimension, key, 15-minute interval), sorted by that key. */
export function sumIntervals(events: readonly ReportEvent[], queueSkills?: QueueSkills): IntervalSums[] {
  const rows = new Map<string, IntervalSums>();
  for (const event of events) {
    const start = intervalStartOf(new Date(event.at));
    apply(event, skillsOf(event, queueSkills), (dimension, key) => {
      if (key === null) return undefined;
      const id = JSON.stringify([event.tenant, dimension, key, start.getTime()]);
      let row = rows.get(id);
      if (!row) rows.set(id, (row = { tenant: event.tenant, dimension, key, interval_start: start, ...emptySums() }));
      return row;
    });
  }
  // One lock order for every folder: two folders never wait on each other's rows in a cycle.
  return [...rows.values()].sort(
    (a, b) =>
      a.tenant.localeCompare(b.tenant) ||
      a.dimension.localeCompare(b.dimension) ||
      a.key.localeCompare(b.key) ||
      a.interval_start.getTime() - b.interval_start.getTime(),
  );
}

const ROWS_PER_STATEMENT = 500;

// Element by element, in C: a SQL function per row would cost more than the rest of the upsert.
const addWithin = sql<number[]>`ARRAY[${sql.raw(WAIT_BUCKETS_SECONDS.map((_, i) => `report_intervals.answered_within[${i + 1}] + excluded.answered_within[${i + 1}]`).join(', '))}]`;

/**
 * Moves up to `limit` facts into the interval aggregates (15-minute rows and their hour and
 * day roll-ups), in one transaction: the facts are deleted as they are added, so a crash folds them again or not at all. Facts locked by
 * another folder are skipped, not waited for.
 */
export async function foldReportEvents(db: Kysely<Database>, limit = 5_000, queueSkills?: QueueSkills): Promise<ReportEvent[]> {
  return db.transaction().execute(async (tx) => {
    const events = await tx
      .deleteFrom('report_events')
      .where('id', 'in', (eb) => eb.selectFrom('report_events').select('id').orderBy('id').limit(limit).forUpdate().skipLocked())
      .returningAll()
      .execute();
    const rows = sumIntervals(events, queueSkills);
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      await tx
        .insertInto('report_intervals')
        .values(rows.slice(i, i + ROWS_PER_STATEMENT))
        .onConflict((oc) =>
          oc.columns(['tenant', 'dimension', 'key', 'interval_start']).doUpdateSet((eb) => ({
            offered: eb('report_intervals.offered', '+', eb.ref('excluded.offered')),
            answered: eb('report_intervals.answered', '+', eb.ref('excluded.answered')),
            abandoned: eb('report_intervals.abandoned', '+', eb.ref('excluded.abandoned')),
            flowed_out: eb('report_intervals.flowed_out', '+', eb.ref('excluded.flowed_out')),
            transferred: eb('report_intervals.transferred', '+', eb.ref('excluded.transferred')),
            answer_wait_sum: eb('report_intervals.answer_wait_sum', '+', eb.ref('excluded.answer_wait_sum')),
            abandon_wait_sum: eb('report_intervals.abandon_wait_sum', '+', eb.ref('excluded.abandon_wait_sum')),
            answered_within: addWithin,
            handled: eb('report_intervals.handled', '+', eb.ref('excluded.handled')),
            handle_sum: eb('report_intervals.handle_sum', '+', eb.ref('excluded.handle_sum')),
            offers: eb('report_intervals.offers', '+', eb.ref('excluded.offers')),
            offers_rejected: eb('report_intervals.offers_rejected', '+', eb.ref('excluded.offers_rejected')),
            offers_timed_out: eb('report_intervals.offers_timed_out', '+', eb.ref('excluded.offers_timed_out')),
            after_work: eb('report_intervals.after_work', '+', eb.ref('excluded.after_work')),
            after_work_sum: eb('report_intervals.after_work_sum', '+', eb.ref('excluded.after_work_sum')),
          })),
        )
        .execute();
    }
    // The hour and day rows move with the 15-minute rows, in the same transaction.
    await rollUp(tx, rows);
    return events;
  });
}
