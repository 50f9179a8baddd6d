import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../src/store/index.ts';

/**
 * What a phase of the cluster benchmark cost, for the capacity model (docs/cluster.md):
 *
 * - router CPU: the router processes' CPU seconds (user + system, their
 *   `process_cpu_seconds_total`), after minus before;
 * - PostgreSQL CPU: the CPU seconds (utime + stime in /proc) of the server processes
 *   serving this benchmark's database — the routers' backends, sampled while the phase
 *   runs so that backends opened and closed meanwhile count too. Not counted: the
 *   benchmark's own polling connections (`application_name` BENCH_APPLICATION), and the
 *   server's shared background processes (WAL writer, checkpointer), which other
 *   databases on a shared server use as well. Null when the server's processes are not
 *   visible here (a container);
 * - WAL bytes: the records of this database's transactions between the two WAL
 *   positions (their changes to its relations and their commit records, read with
 *   `pg_walinspect`), so that other databases' work on a shared server is left out; and
 *   the whole server's WAL between the two positions (`pg_current_wal_lsn()`), which
 *   includes it;
 * - load generator CPU: this process's (the customers and agents it plays, its polling);
 * - machine CPU: every core's busy time (/proc/stat), whoever spent it — the routers,
 *   PostgreSQL, NATS, this process, the kernel — and how busy that kept the machine
 *   (busy time over cores × wall time). With every part on one host, a phase that keeps
 *   the machine busy moves at the machine's cores over the machine CPU per message.
 */
export const BENCH_APPLICATION = 'parley-bench';

export interface PhaseCost {
  routerCpuSeconds: number;
  postgresCpuSeconds: number | null;
  walBytes: number | null;
  serverWalBytes: number;
  loadGeneratorCpuSeconds: number;
  /** Null where /proc/stat cannot be read. */
  machineCpuSeconds: number | null;
  /** Machine CPU over cores × wall time: 1 when every core was busy throughout. */
  machineBusy: number | null;
}

/** Clock ticks per second of /proc's CPU times. */
const ticksPerSecond = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** A process's CPU ticks (utime + stime), or undefined when it is gone or not visible. */
function cpuTicksOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), from field 3 on: utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** Busy ticks of every core so far (user, nice, system, irq, softirq; idle, I/O wait and stolen time left out), or undefined without /proc/stat. */
function machineBusyTicks(): number | undefined {
  try {
    const fields = (readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] as string).trim().split(/\s+/).slice(1, 8).map(Number);
    const [user, nice, system, , , irq, softirq] = fields as [number, number, number, number, number, number, number];
    return user + nice + system + irq + softirq;
  } catch {
    return undefined;
  }
}

/** This process's CPU seconds so far (user + system). */
function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** A phase being measured: `sample()` while it runs (about every second), `end()` once it is over. */
export class PhaseMeter {
  /** Per backend pid: its ticks when first seen and when last seen. */
  private readonly backends = new Map<number, { first: number; last: number }>();
  private visible = true;
  private readonly startedAt = performance.now();
  private readonly machineBefore = machineBusyTicks();
  private readonly ownCpuBefore = ownCpuSeconds();

  private constructor(
    private readonly db: Kysely<Database>,
    private readonly routerCpu: () => Promise<number>,
    private readonly startLsn: string,
    private readonly routerCpuBefore: number,
  ) {}

  /** Starts measuring. `routerCpu`: the routers' CPU seconds so far, summed. */
  static async start(db: Kysely<Database>, routerCpu: () => Promise<number>): Promise<PhaseMeter> {
    // Needs a superuser (the local test server's); without it only the server's WAL total is known.
    await sql`create extension if not exists pg_walinspect`.execute(db).catch(() => undefined);
    const meter = new PhaseMeter(db, routerCpu, await flushLsn(db), await routerCpu());
    await meter.sample(true);
    return meter;
  }

  /** Reads the CPU of this database's backends; one that appeared since the start counts from zero (it started during the phase). */
  async sample(atStart = false): Promise<void> {
    const { rows } = await sql<{ pid: number }>`
      select pid from pg_stat_activity
      where datname = current_database() and backend_type = 'client backend' and application_name <> ${BENCH_APPLICATION}`.execute(this.db);
    for (const { pid } of rows) {
      const ticks = cpuTicksOf(pid);
      if (ticks === undefined) {
        this.visible = false;
        continue;
      }
      const seen = this.backends.get(pid);
      if (seen) seen.last = ticks;
      else this.backends.set(pid, { first: atStart ? ticks : 0, last: ticks });
    }
  }

  async end(): Promise<PhaseCost> {
    const wallSeconds = (performance.now() - this.startedAt) / 1000;
    const machineAfter = machineBusyTicks();
    const loadGeneratorCpuSeconds = ownCpuSeconds() - this.ownCpuBefore;
    const machineCpuSeconds = this.machineBefore === undefined || machineAfter === undefined ? null : (machineAfter - this.machineBefore) / ticksPerSecond;
    await this.sample();
    const routerCpuSeconds = (await this.routerCpu()) - this.routerCpuBefore;
    const endLsn = await flushLsn(this.db);
    const { rows: oid } = await sql<{ oid: number }>`select oid from pg_database where datname = current_database()`.execute(this.db);
    const pattern = `% rel %/${oid[0]?.oid}/%`;
    let walBytes: number | null = null;
    try {
      // A record of this database: one that changes its relations, or that belongs to a transaction that did (its commit).
      const { rows } = await sql<{ mine: string }>`
        with r as (select xid, record_length, block_ref from pg_get_wal_records_info(${this.startLsn}::pg_lsn, ${endLsn}::pg_lsn)),
             mine as (select distinct xid from r where xid <> 0 and block_ref like ${pattern})
        select coalesce(sum(r.record_length) filter (where r.block_ref like ${pattern} or m.xid is not null), 0) as mine
        from r left join mine m on m.xid = r.xid`.execute(this.db);
      walBytes = Number(rows[0]?.mine ?? 0);
    } catch {
      // The WAL of the phase was recycled already (a checkpoint): only the server's total is known.
    }
    const { rows: diff } = await sql<{ bytes: string }>`select pg_wal_lsn_diff(${endLsn}::pg_lsn, ${this.startLsn}::pg_lsn) as bytes`.execute(this.db);
    const ticks = [...this.backends.values()].reduce((sum, b) => sum + (b.last - b.first), 0);
    return {
      routerCpuSeconds: round3(routerCpuSeconds),
      postgresCpuSeconds: this.visible && this.backends.size > 0 ? round3(ticks / ticksPerSecond) : null,
      walBytes,
      serverWalBytes: Number(diff[0]?.bytes ?? 0),
      loadGeneratorCpuSeconds: round3(loadGeneratorCpuSeconds),
      machineCpuSeconds: machineCpuSeconds === null ? null : round3(machineCpuSeconds),
      machineBusy: machineCpuSeconds === null ? null : round3(machineCpuSeconds / (availableParallelism() * wallSeconds)),
    };
  }
}

async function flushLsn(db: Kysely<Database>): Promise<string> {
  const { rows } = await sql<{ lsn: string }>`select pg_current_wal_flush_lsn()::text as lsn`.execute(db);
  return rows[0]?.lsn as string;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;
