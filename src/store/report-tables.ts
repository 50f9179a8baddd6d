import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

/** A fact for the reports, appended by the triggers of migration 2026-12-05T0801 and folded away. */
export interface ReportEventTable {
  id: Generated<string>;
  tenant: string;
  kind: 'offered' | 'answered' | 'abandoned' | 'flowedOut' | 'transferred' | 'offer' | 'offerRejected' | 'offerTimedOut' | 'handled' | 'wrappedUp' | 'afterWork';
  at: Timestamp;
  queue: string | null;
  agent_id: string | null;
  wrap_up_code: string | null;
  /** Wait (answered, abandoned, flowedOut), handle time (handled, wrappedUp) or after-work time (afterWork), in seconds. */
  seconds: number | null;
  /** The skills the conversation asked for itself (offered, answered, abandoned, handled, afterWork); the folder adds its queue's. */
  skills: ColumnType<string[] | null, string[] | null | undefined, string[] | null>;
}

/** When a waiting conversation entered its queue. */
export interface ReportWaitTable {
  conversation_id: string;
  queue: string;
  since: Timestamp;
}

/** One 15-minute interval of one queue, agent or wrap-up code: sums, so that intervals add up. */
export interface ReportIntervalTable {
  tenant: string;
  dimension: 'queue' | 'agent' | 'wrapUp' | 'skill';
  key: string;
  interval_start: Timestamp;
  offered: Generated<number>;
  answered: Generated<number>;
  abandoned: Generated<number>;
  flowed_out: Generated<number>;
  transferred: Generated<number>;
  answer_wait_sum: Generated<number>;
  abandon_wait_sum: Generated<number>;
  /** `answered_within[i]`: answered after a wait of at most `WAIT_BUCKETS_SECONDS[i]`. */
  answered_within: number[];
  handled: Generated<number>;
  handle_sum: Generated<number>;
  offers: Generated<number>;
  offers_rejected: Generated<number>;
  offers_timed_out: Generated<number>;
  /** After-conversation work periods that ended in the interval, and their seconds. */
  after_work: Generated<number>;
  after_work_sum: Generated<number>;
}

/** The same sums per UTC hour (`interval_start` on the hour), kept by the folder next to the 15-minute rows. */
export type ReportHourTable = ReportIntervalTable;

/** The same sums per local day of one report time zone (`interval_start` at its midnight). */
export interface ReportDayTable extends ReportIntervalTable {
  time_zone: string;
}

/** The zones that have day rows (`report_days`): UTC, and those added with `addReportTimeZones`. */
export interface ReportTimeZoneTable {
  time_zone: string;
}

export interface ReportTables {
  report_events: ReportEventTable;
  report_waits: ReportWaitTable;
  report_intervals: ReportIntervalTable;
  report_hours: ReportHourTable;
  report_days: ReportDayTable;
  report_time_zones: ReportTimeZoneTable;
}
