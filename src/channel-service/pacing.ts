import { sql } from 'kysely';
import type { ChannelDb } from './tables.ts';

/** A sending rate: `perSecond` sustained, `burst` at once after a quiet period. */
export interface Rate {
  readonly perSecond: number;
  readonly burst: number;
}

/**
 * A token bucket per provider account or number, shared by every channels process of the
 * cluster, kept in PostgreSQL as a GCRA "theoretical arrival time" (one row per key).
 *
 * Why PostgreSQL rather than NATS KV: a reservation is one atomic `INSERT … ON CONFLICT DO
 * UPDATE … RETURNING` (the row lock orders concurrent takers; no compare-and-set retry
 * loop, which under contention from N processes costs up to N round trips per send), and
 * every process reads the same clock (the server's `clock_timestamp()`), so the pace does
 * not depend on the processes' clocks agreeing.
 *
 * `cost` is how many tokens the send takes (SMS: its segments, which is what carriers pace).
 * A take always succeeds and answers how long to wait: the caller sleeps, then sends. So a
 * burst of callers is spread out at `perSecond` with no polling.
 */
export async function reserveSend(db: ChannelDb, key: string, rate: Rate, cost = 1, now?: Date): Promise<number> {
  const intervalMs = (1000 / rate.perSecond) * cost;
  const toleranceMs = Math.max(0, rate.burst - cost) * (1000 / rate.perSecond);
  const clock = now ? sql`${now.toISOString()}::timestamptz` : sql`clock_timestamp()`;
  const interval = sql`(${intervalMs} * interval '1 millisecond')`;
  // tat' = max(tat, now) + T; the send may go at max(now, tat' - T - tolerance).
  const { rows } = await sql<{ wait_ms: number | string }>`
    with clock as (select ${clock} as now)
    insert into channel_pacing as p (key, tat)
    select ${key}, clock.now + ${interval} from clock
    on conflict (key) do update set tat = greatest(p.tat, (select now from clock)) + ${interval}
    returning greatest(0, extract(epoch from (p.tat - ${interval} - (${toleranceMs} * interval '1 millisecond') - (select now from clock))) * 1000) as wait_ms
  `.execute(db);
  return Number(rows[0]?.wait_ms ?? 0);
}
