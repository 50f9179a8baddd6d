import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../src/store/index.ts';
import { seeded } from '../../bench/random.ts';

/**
 * A generated contact-center history, written the way the routers write it: conversation
 * and assignment rows changing state, one transaction per step, each stamped with its
 * time (`parley.report_clock`). Reports computed from it are checked against counts the
 * plan itself gives, computed here without SQL.
 */

export type Outcome = 'answered' | 'abandoned' | 'transferred';

export interface PlannedConversation {
  id: string;
  queue: string;
  enteredAt: Date;
  outcome: Outcome;
  /** Seconds waited before the answer or the abandon. */
  waitSeconds: number;
  /** An agent who rejected the offer before the one who answered. */
  rejectedBy?: string;
  agent?: string;
  handleSeconds?: number;
  wrapUpCode?: string;
  /** Transferred: the second queue and the agent who answers there. */
  transfer?: { queue: string; waitSeconds: number; agent: string; handleSeconds: number; wrapUpCode: string };
  /** Skills the conversation asked for itself (its snapshot's `context.skills`). */
  skills: string[];
  /** After-conversation work of the agent who closed it, in seconds (0: none, as a queue without `wrapUp.afterWork`). */
  afterWorkSeconds: number;
}

export interface HistoryOptions {
  seed: number;
  conversations: number;
  from: Date;
  /** Spread over this many hours. */
  hours: number;
  queues: readonly string[];
  agents: readonly string[];
  wrapUpCodes: readonly string[];
  /** Skills conversations may ask for (up to two each); none by default. */
  skills?: readonly string[];
  /** Queues whose closing agents do after-conversation work (up to this many seconds). */
  afterWork?: { queues: readonly string[]; maxSeconds: number };
}

export function planHistory(o: HistoryOptions): PlannedConversation[] {
  const rng = seeded(o.seed);
  const random = rng.next;
  const pick = rng.pick;
  const plan: PlannedConversation[] = [];
  for (let i = 0; i < o.conversations; i++) {
    const enteredAt = new Date(o.from.getTime() + Math.floor(random() * o.hours * 3_600_000));
    const roll = random();
    const outcome: Outcome = roll < 0.7 ? 'answered' : roll < 0.9 ? 'abandoned' : 'transferred';
    const c: PlannedConversation = { id: randomUUID(), queue: pick(o.queues), enteredAt, outcome, waitSeconds: Math.floor(random() * 120), skills: [], afterWorkSeconds: 0 };
    if (o.skills?.length) c.skills = [...new Set(Array.from({ length: Math.floor(random() * 3) }, () => pick(o.skills!)))];
    if (outcome !== 'abandoned') {
      c.agent = pick(o.agents);
      c.handleSeconds = 30 + Math.floor(random() * 900);
      if (random() < 0.2) c.rejectedBy = pick(o.agents.filter((a) => a !== c.agent));
    }
    if (outcome === 'answered') c.wrapUpCode = pick(o.wrapUpCodes);
    if (outcome === 'transferred') {
      c.transfer = { queue: pick(o.queues), waitSeconds: Math.floor(random() * 60), agent: pick(o.agents), handleSeconds: 30 + Math.floor(random() * 600), wrapUpCode: pick(o.wrapUpCodes) };
    }
    const closingQueue = c.transfer?.queue ?? c.queue;
    if (outcome !== 'abandoned' && o.afterWork?.queues.includes(closingQueue)) c.afterWorkSeconds = 1 + Math.floor(random() * o.afterWork.maxSeconds);
    plan.push(c);
  }
  return plan;
}

const later = (at: Date, seconds: number) => new Date(at.getTime() + seconds * 1000);

type Db = Kysely<Database>;

async function at(db: Db, time: Date, work: (tx: Transaction<Database>) => Promise<unknown>): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await sql`SELECT set_config('parley.report_clock', ${time.toISOString()}, true)`.execute(tx);
    await work(tx);
  });
}

/** Writes one planned conversation through the real tables (and so through the reports' triggers). */
async function writeConversation(db: Db, tenant: string, customerId: string, c: PlannedConversation): Promise<void> {
  const conversation = (tx: Transaction<Database>) => tx.updateTable('conversations').where('id', '=', c.id);
  await at(db, c.enteredAt, (tx) =>
    tx
      .insertInto('conversations')
      .values({ id: c.id, tenant, channel: 'web', customer_id: customerId, external_id: c.id, state: 'queued', queue: c.queue, last_message_at: c.enteredAt, snapshot: JSON.stringify({ context: { skills: c.skills } }) })
      .execute(),
  );
  const answerAt = later(c.enteredAt, c.waitSeconds);
  if (c.outcome === 'abandoned') {
    await at(db, answerAt, (tx) => conversation(tx).set({ state: 'closed', closed_at: answerAt }).execute());
    return;
  }
  const offer = async (queue: string, agent: string, offeredAt: Date, state: 'accepted' | 'rejected') => {
    const id = randomUUID();
    await at(db, offeredAt, (tx) =>
      tx.insertInto('assignments').values({ id, tenant, conversation_id: c.id, agent_id: agent, queue, state: 'offered', offered_at: offeredAt, reason: '{}' }).execute(),
    );
    await at(db, offeredAt, (tx) =>
      tx
        .updateTable('assignments')
        .set(state === 'accepted' ? { state, answered_at: offeredAt } : { state, ended_at: offeredAt })
        .where('id', '=', id)
        .execute(),
    );
    return id;
  };
  // The agent actor arms its after-work timer as the assignment ends, and consumes it when it fires.
  const afterWork = async (agent: string, endAt: Date) => {
    if (c.afterWorkSeconds === 0) return;
    const timer = { tenant, actor_kind: 'agent' as const, actor_id: agent, name: `after-work:${c.id}` };
    const doneAt = later(endAt, c.afterWorkSeconds);
    await at(db, endAt, (tx) => tx.insertInto('timers').values({ id: randomUUID(), ...timer, due_at: doneAt, event: '{}', partition: null }).execute());
    await at(db, doneAt, (tx) => tx.deleteFrom('timers').where('actor_id', '=', agent).where('name', '=', timer.name).execute());
  };
  const handle = async (queue: string, agent: string, startAt: Date, handleSeconds: number, wrapUpCode: string | undefined, next: 'closed' | 'queued', nextQueue?: string) => {
    const assignment = await offer(queue, agent, startAt, 'accepted');
    await at(db, startAt, (tx) => conversation(tx).set({ state: 'connected', agent_id: agent }).execute());
    const endAt = later(startAt, handleSeconds);
    await at(db, endAt, async (tx) => {
      if (wrapUpCode) await tx.updateTable('assignments').set({ wrap_up_code: wrapUpCode }).where('id', '=', assignment).execute();
      await tx.updateTable('assignments').set({ state: 'ended', ended_at: endAt }).where('id', '=', assignment).execute();
      await conversation(tx)
        .set(next === 'closed' ? { state: 'closed', closed_at: endAt, agent_id: null } : { state: 'queued', queue: nextQueue ?? queue, agent_id: null })
        .execute();
    });
    if (next === 'closed') await afterWork(agent, endAt);
    return endAt;
  };
  if (c.rejectedBy) await offer(c.queue, c.rejectedBy, later(c.enteredAt, Math.floor(c.waitSeconds / 2)), 'rejected');
  if (c.outcome === 'answered') {
    await handle(c.queue, c.agent!, answerAt, c.handleSeconds!, c.wrapUpCode, 'closed');
    return;
  }
  const t = c.transfer!;
  const transferredAt = await handle(c.queue, c.agent!, answerAt, c.handleSeconds!, undefined, 'queued', t.queue);
  await handle(t.queue, t.agent, later(transferredAt, t.waitSeconds), t.handleSeconds, t.wrapUpCode, 'closed');
}

export async function writeHistory(db: Db, tenant: string, plan: readonly PlannedConversation[]): Promise<void> {
  const customerId = randomUUID();
  await db.insertInto('customers').values({ id: customerId, tenant, name: null }).execute();
  for (const c of plan) await writeConversation(db, tenant, customerId, c);
}

/** What a queue report must say, per (queue, period start), computed from the plan alone. */
export interface ExpectedQueueRow {
  offered: number;
  answered: number;
  abandoned: number;
  transferred: number;
  answerWaitSum: number;
  answeredWithin: number;
  handled: number;
  handleSum: number;
}

/** Expected queue figures per `${queue}|${periodStartMs}`; `periodOf` maps an instant to its period start. */
export function expectedQueueRows(plan: readonly PlannedConversation[], periodOf: (at: Date) => number, withinSeconds: number): Map<string, ExpectedQueueRow> {
  const rows = new Map<string, ExpectedQueueRow>();
  const row = (queue: string, at: Date) => {
    const k = `${queue}|${periodOf(at)}`;
    let r = rows.get(k);
    if (!r) rows.set(k, (r = { offered: 0, answered: 0, abandoned: 0, transferred: 0, answerWaitSum: 0, answeredWithin: 0, handled: 0, handleSum: 0 }));
    return r;
  };
  const answered = (queue: string, enteredAt: Date, wait: number, handleSeconds: number) => {
    const answerAt = later(enteredAt, wait);
    const r = row(queue, answerAt);
    r.answered++;
    r.answerWaitSum += wait;
    if (wait <= withinSeconds) r.answeredWithin++;
    const end = later(answerAt, handleSeconds);
    row(queue, end).handled++;
    row(queue, end).handleSum += handleSeconds;
    return end;
  };
  for (const c of plan) {
    row(c.queue, c.enteredAt).offered++;
    if (c.outcome === 'abandoned') {
      row(c.queue, later(c.enteredAt, c.waitSeconds)).abandoned++;
      continue;
    }
    const end = answered(c.queue, c.enteredAt, c.waitSeconds, c.handleSeconds!);
    if (c.transfer) {
      row(c.queue, end).transferred++;
      row(c.transfer.queue, end).offered++;
      answered(c.transfer.queue, end, c.transfer.waitSeconds, c.transfer.handleSeconds);
    }
  }
  return rows;
}
