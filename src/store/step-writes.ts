import { randomUUID } from 'node:crypto';
import { sql, type Insertable, type Kysely, type OperationNodeSource, type RawBuilder } from 'kysely';
import type { AssignmentTable, CustomerTable, Database, IdentityTable, NewConversation, NewMessage, NewOutboxRow, OutboxRow } from './database.ts';
import type { MediaType } from '../contract/index.ts';

type Db = Kysely<Database>;

export interface TimerRef {
  tenant: string;
  actorKind: string;
  actorId: string;
  name: string;
}

/** What a conversation is created with and never changes. */
export type ConversationIdentity = Pick<NewConversation, 'id' | 'tenant' | 'channel' | 'customer_id' | 'external_id' | 'started_by'> & { partition: number };

/** What a conversation's step changes. */
export interface ConversationState {
  state: string;
  queue: string | null;
  agentId: string | null;
  lastMessageAt: Date;
  closedAt: Date | null;
  snapshot: unknown;
}

export interface AgentState {
  tenant: string;
  id: string;
  name: string;
  presence: string;
  partition: number;
  snapshot: unknown;
}

export interface NewAssignment {
  id: string;
  tenant: string;
  conversationId: string;
  agentId: string;
  mediaType: MediaType;
  queue: string | null;
  offeredAt: Date;
  reason: unknown;
}

interface AssignmentChange {
  state?: AssignmentTable['state'];
  wrap_up_code?: string;
  answered_at?: Date;
  ended_at?: Date;
  holds_slot?: boolean;
  after_work_until?: Date;
}

interface TimerArm {
  partition: number;
  dueAt: Date;
  event: unknown;
}

/**
 * The writes of actor steps — their new snapshots, their durable effects, their outbox
 * rows — sent to PostgreSQL as one statement of data-modifying CTEs: a step is mostly
 * round trips to the database, and this makes the writes of all the steps of a
 * transaction between two reads one (the host keeps one `StepWrites` per transaction and
 * flushes it before anything reads what it holds). New conversations and messages go in
 * one multi-row insert each.
 *
 * Within one statement every part sees the database as it was before it, and a row may
 * be changed only once. So the writes to one timer or one assignment are merged here
 * first: of a timer's arms and cancels the last one stands; an assignment's insert takes
 * its later changes, and its updates are merged into one. An actor's row is written at
 * most once per statement: the host flushes before a second write of the same row.
 * Foreign keys are checked at the end of the statement, so a conversation and its first
 * message can go together.
 */
export class StepWrites {
  private readonly statements: OperationNodeSource[] = [];
  private readonly newCustomers: Insertable<CustomerTable>[] = [];
  private readonly newIdentities: Insertable<IdentityTable>[] = [];
  private readonly newConversations: NewConversation[] = [];
  private readonly messages: NewMessage[] = [];
  private readonly messagesOnce: NewMessage[] = [];
  private readonly timers = new Map<string, { ref: TimerRef; arm?: TimerArm }>();
  private readonly offers = new Map<string, NewAssignment>();
  private readonly changes = new Map<string, AssignmentChange>();
  private readonly outbox: NewOutboxRow[] = [];

  constructor(private readonly db: Db) {}

  /**
   * A new customer and its identities. An identity linked meanwhile fails the statement
   * on the identities' key (no `on conflict`): a write race, which the host runs again.
   */
  insertCustomer(customer: Insertable<CustomerTable>, identities: readonly Insertable<IdentityTable>[]): void {
    this.newCustomers.push(customer);
    this.newIdentities.push(...identities);
  }

  insertConversation(identity: ConversationIdentity, s: ConversationState): void {
    this.newConversations.push({ ...identity, ...conversationColumns(s) });
  }

  saveConversation(id: string, s: ConversationState): void {
    this.statements.push(this.db.updateTable('conversations').set({ ...conversationColumns(s), version: sql`version + 1` }).where('id', '=', id));
  }

  /** An agent's row, inserted or updated; its active conversations are its assignments' (`agentSnapshot`), not the row's. */
  saveAgent(s: AgentState): void {
    const values = { ...s, snapshot: JSON.stringify(withoutActive(s.snapshot)), updated_at: new Date() };
    this.statements.push(
      this.db
        .insertInto('agents')
        .values(values)
        .onConflict((oc) =>
          oc
            .columns(['tenant', 'id'])
            .doUpdateSet({ name: values.name, presence: values.presence, snapshot: values.snapshot, updated_at: values.updated_at, version: sql`agents.version + 1` }),
        ),
    );
  }

  /**
   * A write to a table of a domain's own (an actor kind the store does not know, see
   * `ActorKind.write`): one data-modifying statement, sent with the others.
   */
  write(statement: OperationNodeSource): void {
    this.statements.push(statement);
  }

  /**
   * Stores a message. `once`: a repeated one (same id) inserts nothing — for agents'
   * messages, whose command may be repeated. Otherwise a second copy fails the statement,
   * so that a customer message stored meanwhile by another transaction rolls this step
   * back (and the retry finds it stored).
   */
  insertMessage(message: NewMessage, options: { once: boolean }): void {
    (options.once ? this.messagesOnce : this.messages).push(message);
  }

  /** Arms (or re-arms) a named timer of an actor; a re-armed timer gets a new id so a stale firing is recognized. */
  armTimer(ref: TimerRef, arm: TimerArm): void {
    this.timers.set(timerKey(ref), { ref, arm });
  }

  cancelTimer(ref: TimerRef): void {
    this.timers.set(timerKey(ref), { ref });
  }

  offer(a: NewAssignment): void {
    this.offers.set(a.id, a);
  }

  /**
   * Records the outcome of an offer, or the end of an accepted assignment: the agent holds
   * a slot for it from its acceptance until it ends, or until `afterWorkUntil` (see
   * `afterWorkDone`).
   */
  updateAssignment(id: string, state: AssignmentTable['state'], at: Date, afterWorkUntil?: Date): void {
    const change: AssignmentChange = state === 'ended' ? { state, ended_at: at } : { state, answered_at: at };
    change.holds_slot = state === 'accepted' || afterWorkUntil !== undefined;
    if (afterWorkUntil) change.after_work_until = afterWorkUntil;
    this.change(id, change);
  }

  /** The after-conversation work of an ended assignment is over: the agent's slot is free. */
  afterWorkDone(id: string): void {
    this.change(id, { holds_slot: false });
  }

  setWrapUpCode(id: string, code: string): void {
    this.change(id, { wrap_up_code: code });
  }

  queueOutbox(rows: NewOutboxRow[]): void {
    this.outbox.push(...rows);
  }

  /** Nothing to write. */
  get empty(): boolean {
    return (
      this.statements.length === 0 &&
      this.newCustomers.length === 0 &&
      this.newConversations.length === 0 &&
      this.messages.length === 0 &&
      this.messagesOnce.length === 0 &&
      this.timers.size === 0 &&
      this.offers.size === 0 &&
      this.changes.size === 0 &&
      this.outbox.length === 0
    );
  }

  /** Sends every write in one statement; returns the outbox rows as stored (ids in the order queued). */
  async flush(): Promise<OutboxRow[]> {
    return (await this.flushFenced([])).outbox;
  }

  /**
   * `flush`, whose statement also reads the epochs of `partitions` FOR SHARE (a
   * transaction's fence, see `Fence`): a transaction that writes needs no statement of its
   * own for its fence. `counted`: more writes for the same statement (snapshot writes,
   * `conversationSaves`), each a data-modifying statement returning one row per row it
   * wrote, counted in `counts`. Nothing to write: nothing is sent, and no epoch is read.
   */
  async flushFenced(
    partitions: readonly number[],
    counted: readonly RawBuilder<unknown>[] = [],
  ): Promise<{ outbox: OutboxRow[]; epochs: Map<number, number>; counts: number[] }> {
    const parts = [...this.insertStatements(), ...this.statements, ...this.timerStatements(), ...this.assignmentStatements()];
    const outbox = this.outbox.length > 0 ? this.db.insertInto('outbox').values(this.outbox).returningAll() : undefined;
    const epochs = new Map<number, number>();
    if (parts.length === 0 && counted.length === 0 && (partitions.length === 0 || !outbox)) {
      const rows = outbox ? await outbox.execute() : [];
      return { outbox: rows.map((row) => ({ ...row, id: String(row.id) })), epochs, counts: [] };
    }
    const ctes = parts.map((part, i) => sql`${sql.raw(`w${i}`)} as (${part})`);
    counted.forEach((part, i) => ctes.push(sql`${sql.raw(`s${i}`)} as (${part})`));
    if (partitions.length > 0) ctes.push(sql`fence as (select partition, epoch from partition_epochs where partition = any(${[...partitions]}::int[]) for share)`);
    if (outbox) ctes.push(sql`o as (${outbox})`);
    const fenceEpochs = partitions.length > 0 ? sql`(select json_object_agg(partition, epoch) from fence)` : sql`null`;
    const counts = sql`json_build_array(${sql.join(counted.map((_, i) => sql`(select count(*) from ${sql.raw(`s${i}`)})`))})`;
    // One row at least (the epochs and counts), with the outbox rows if any.
    const select = outbox
      ? sql`select o.*, ${fenceEpochs} as fence_epochs, ${counts} as counts from (select 1) as one left join o on true`
      : sql`select ${fenceEpochs} as fence_epochs, ${counts} as counts`;
    type Row = OutboxRow & { fence_epochs: Record<string, number | string> | null; counts: (number | string)[] };
    const { rows } = await sql<Row>`with ${sql.join(ctes)} ${select}`.execute(this.db);
    for (const [partition, epoch] of Object.entries(rows[0]?.fence_epochs ?? {})) epochs.set(Number(partition), Number(epoch));
    // bigserial comes back as a string from pg and as a number from PGlite: one type here.
    const stored = outbox ? rows.filter((row) => row.id !== null) : [];
    return {
      outbox: stored.map(({ fence_epochs: _epochs, counts: _counts, ...row }) => ({ ...row, id: String(row.id) })),
      epochs,
      counts: (rows[0]?.counts ?? []).map(Number),
    };
  }

  private change(id: string, change: AssignmentChange): void {
    this.changes.set(id, { ...this.changes.get(id), ...change });
  }

  private *insertStatements(): Generator<OperationNodeSource> {
    if (this.newCustomers.length > 0) yield this.db.insertInto('customers').values(this.newCustomers);
    if (this.newIdentities.length > 0) yield this.db.insertInto('identities').values(this.newIdentities);
    if (this.newConversations.length > 0) yield this.db.insertInto('conversations').values(this.newConversations);
    if (this.messages.length > 0) yield this.db.insertInto('messages').values(this.messages);
    if (this.messagesOnce.length > 0) yield this.db.insertInto('messages').values(this.messagesOnce).onConflict((oc) => oc.doNothing());
  }

  /**
   * The timers armed and cancelled, one statement each whatever their number (a JSON
   * parameter of rows): a part per timer made the statement's text, and PostgreSQL's
   * parsing of it, grow with every offer in the batch. The cancelled ones are found by
   * their key's columns also listed apart, so the plan uses the key's index (see
   * `conversationSaves`).
   */
  private *timerStatements(): Generator<OperationNodeSource> {
    const armed: object[] = [];
    const cancelled: TimerRef[] = [];
    for (const { ref, arm } of this.timers.values()) {
      if (!arm) cancelled.push(ref);
      else
        armed.push({
          id: randomUUID(),
          tenant: ref.tenant,
          partition: arm.partition,
          actor_kind: ref.actorKind,
          actor_id: ref.actorId,
          name: ref.name,
          due_at: arm.dueAt.toISOString(),
          event: arm.event,
        });
    }
    if (cancelled.length > 0) {
      const rows = JSON.stringify(cancelled.map((r) => ({ tenant: r.tenant, actor_kind: r.actorKind, actor_id: r.actorId, name: r.name })));
      yield sql`delete from timers t
        using jsonb_to_recordset(${rows}::jsonb) as d(tenant text, actor_kind text, actor_id text, name text)
        where t.tenant = any(${distinct(cancelled.map((r) => r.tenant))}::text[]) and t.actor_kind = any(${distinct(cancelled.map((r) => r.actorKind))}::text[])
          and t.actor_id = any(${distinct(cancelled.map((r) => r.actorId))}::text[])
          and t.tenant = d.tenant and t.actor_kind = d.actor_kind and t.actor_id = d.actor_id and t.name = d.name`;
    }
    if (armed.length > 0) {
      yield sql`insert into timers (id, tenant, partition, actor_kind, actor_id, name, due_at, event)
        select id, tenant, partition, actor_kind, actor_id, name, due_at, event
        from jsonb_to_recordset(${JSON.stringify(armed)}::jsonb)
          as v(id uuid, tenant text, partition integer, actor_kind text, actor_id text, name text, due_at timestamptz, event jsonb)
        on conflict (tenant, actor_kind, actor_id, name) do update set id = excluded.id, due_at = excluded.due_at, event = excluded.event`;
    }
  }

  /** The offers recorded (one multi-row insert) and the outcomes of earlier ones (one update, rows as for `timerStatements`). */
  private *assignmentStatements(): Generator<OperationNodeSource> {
    if (this.offers.size > 0) {
      yield this.db
        .insertInto('assignments')
        .values(
          [...this.offers.values()].map((a) => ({
            id: a.id,
            tenant: a.tenant,
            conversation_id: a.conversationId,
            agent_id: a.agentId,
            queue: a.queue,
            state: 'offered' as const,
            offered_at: a.offeredAt,
            reason: JSON.stringify(a.reason),
            answered_at: null,
            ended_at: null,
            wrap_up_code: null,
            media_type: a.mediaType,
            holds_slot: false,
            after_work_until: null,
            // The offer's outcome in the same step (an auto-accept) goes into the insert.
            ...this.changes.get(a.id),
          })),
        )
        .onConflict((oc) => oc.doNothing());
    }
    const updates = [...this.changes].filter(([id]) => !this.offers.has(id));
    if (updates.length > 0) {
      // A change sets some columns; the others keep their value (no change clears one: `holds_slot` is set to false, not to null).
      const rows = JSON.stringify(
        updates.map(([id, c]) => ({
          id,
          state: c.state ?? null,
          answered_at: c.answered_at?.toISOString() ?? null,
          ended_at: c.ended_at?.toISOString() ?? null,
          wrap_up_code: c.wrap_up_code ?? null,
          holds_slot: c.holds_slot ?? null,
          after_work_until: c.after_work_until?.toISOString() ?? null,
        })),
      );
      yield sql`update assignments a
        set state = coalesce(v.state, a.state), answered_at = coalesce(v.answered_at, a.answered_at),
            ended_at = coalesce(v.ended_at, a.ended_at), wrap_up_code = coalesce(v.wrap_up_code, a.wrap_up_code),
            holds_slot = coalesce(v.holds_slot, a.holds_slot), after_work_until = coalesce(v.after_work_until, a.after_work_until)
        from jsonb_to_recordset(${rows}::jsonb)
          as v(id uuid, state text, answered_at timestamptz, ended_at timestamptz, wrap_up_code text, holds_slot boolean, after_work_until timestamptz)
        where a.id = any(${updates.map(([id]) => id)}::uuid[]) and a.id = v.id`;
    }
  }
}

/** An agent's snapshot without its context's `active` list (the row does not keep it, see `agentSnapshot`). */
function withoutActive(snapshot: unknown): unknown {
  const context = (snapshot as { context?: Record<string, unknown> } | null)?.context;
  if (!context || !('active' in context)) return snapshot;
  const { active: _active, ...kept } = context;
  return { ...(snapshot as object), context: kept };
}

function distinct(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function conversationColumns(s: ConversationState) {
  return {
    state: s.state,
    queue: s.queue,
    agent_id: s.agentId,
    last_message_at: s.lastMessageAt,
    closed_at: s.closedAt,
    snapshot: JSON.stringify(s.snapshot),
  };
}

function timerKey(ref: TimerRef): string {
  return `${ref.tenant}\u0000${ref.actorKind}\u0000${ref.actorId}\u0000${ref.name}`;
}
