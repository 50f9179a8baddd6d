import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from './database.ts';
import { PREPARED } from './preparing-pool.ts';

type Db = Kysely<Database>;

/** A stepped conversation's columns; `snapshot` is its persisted snapshot as JSON text. */
export interface ConversationSave {
  id: string;
  /** The version the row must still have (the one its snapshot was read or last written with). */
  version: number;
  state: string;
  queue: string | null;
  agentId: string | null;
  lastMessageAt: string;
  closedAt: string | null;
  snapshot: string;
}

/** A stepped agent's columns; `snapshot` is its persisted snapshot as JSON text. */
export interface AgentSave {
  tenant: string;
  id: string;
  version: number;
  name: string;
  presence: string;
  snapshot: string;
}

/**
 * The write of many conversations' snapshots, as one UPDATE (the rows of one JSON
 * parameter), each a compare-and-set on its version, which it raises; it returns one row
 * per row written: fewer than given means some row changed behind the writer's back.
 * Sent alone (`saveActors`) or as a part of the transaction's last write
 * (`StepWrites.flushFenced`).
 *
 * The rows are found by their keys, also listed apart (`= any(ids)`): joined on the JSON's
 * rows alone, the generic plan of a prepared statement scans the whole table (the
 * planner guesses a hundred rows from the function and prefers a hash join).
 */
export function conversationSaves(saves: readonly ConversationSave[]): RawBuilder<unknown> {
  const rows = saves.map(
    (s) =>
      `{"id":${JSON.stringify(s.id)},"version":${s.version},"state":${JSON.stringify(s.state)},"queue":${JSON.stringify(s.queue)},"agent_id":${JSON.stringify(s.agentId)},` +
      `"last_message_at":${JSON.stringify(s.lastMessageAt)},"closed_at":${JSON.stringify(s.closedAt)},"snapshot":${s.snapshot}}`,
  );
  const json = `[${rows.join(',')}]`;
  return sql`
    update conversations c
    set state = v.state, queue = v.queue, agent_id = v.agent_id, last_message_at = v.last_message_at, closed_at = v.closed_at, snapshot = v.snapshot, version = c.version + 1
    from jsonb_to_recordset(${json}::jsonb)
      as v(id uuid, version integer, state text, queue text, agent_id text, last_message_at timestamptz, closed_at timestamptz, snapshot jsonb)
    where c.id = any(${saves.map((s) => s.id)}::uuid[]) and c.id = v.id and c.version = v.version
    returning 1`;
}

/**
 * The write of many agents' snapshots (see `conversationSaves`; the key's two columns are
 * listed apart, the index takes both lists). The row keeps the context without its
 * `active` list: those are the agent's assignments (`agentSnapshot`).
 */
export function agentSaves(saves: readonly AgentSave[]): RawBuilder<unknown> {
  const rows = saves.map(
    (s) =>
      `{"tenant":${JSON.stringify(s.tenant)},"id":${JSON.stringify(s.id)},"version":${s.version},"name":${JSON.stringify(s.name)},"presence":${JSON.stringify(s.presence)},"snapshot":${s.snapshot}}`,
  );
  const json = `[${rows.join(',')}]`;
  return sql`
    update agents a
    set name = v.name, presence = v.presence, snapshot = v.snapshot #- '{context,active}', updated_at = now(), version = a.version + 1
    from jsonb_to_recordset(${json}::jsonb) as v(tenant text, id text, version integer, name text, presence text, snapshot jsonb)
    where a.tenant = any(${saves.map((s) => s.tenant)}::text[]) and a.id = any(${saves.map((s) => s.id)}::text[])
      and a.tenant = v.tenant and a.id = v.id and a.version = v.version
    returning 1`;
}

/** Sends a snapshot write (`conversationSaves`, `agentSaves`) alone, prepared; resolves to the rows written. */
export async function saveActors(db: Db, save: RawBuilder<unknown>): Promise<number> {
  const { rows } = await sql<{ n: string | number }>`${sql.raw(PREPARED)} with s as (${save}) select count(*) as n from s`.execute(db);
  return Number(rows[0]?.n ?? 0);
}
