import { sql, type Kysely } from 'kysely';
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
 * Writes the snapshots of many conversations in one statement (the rows of one
 * JSON parameter, so the text is the same for any count and is prepared once), each a
 * compare-and-set on its version, which it raises. Resolves to the rows written: fewer
 * than given means some row changed behind the writer's back.
 *
 * The rows are found by their keys listed apart (`= any(array(...))`): joined on the
 * JSON's rows alone, the generic plan of the prepared statement scans the whole table
 * (the planner guesses a hundred rows from the function and prefers a hash join).
 */
export async function saveConversations(db: Db, saves: readonly ConversationSave[]): Promise<number> {
  const rows = saves.map(
    (s) =>
      `{"id":${JSON.stringify(s.id)},"version":${s.version},"state":${JSON.stringify(s.state)},"queue":${JSON.stringify(s.queue)},"agent_id":${JSON.stringify(s.agentId)},` +
      `"last_message_at":${JSON.stringify(s.lastMessageAt)},"closed_at":${JSON.stringify(s.closedAt)},"snapshot":${s.snapshot}}`,
  );
  const result = await sql`${sql.raw(PREPARED)}
    with v as (select * from jsonb_to_recordset(${`[${rows.join(',')}]`}::jsonb)
      as v(id uuid, version integer, state text, queue text, agent_id text, last_message_at timestamptz, closed_at timestamptz, snapshot jsonb))
    update conversations c
    set state = v.state, queue = v.queue, agent_id = v.agent_id, last_message_at = v.last_message_at, closed_at = v.closed_at, snapshot = v.snapshot, version = c.version + 1
    from v
    where c.id = any(array(select id from v)) and c.id = v.id and c.version = v.version`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/** Writes the snapshots of many agents in one statement (see `saveConversations`; the key's two columns are listed apart, the index takes both lists). */
export async function saveAgents(db: Db, saves: readonly AgentSave[]): Promise<number> {
  const rows = saves.map(
    (s) =>
      `{"tenant":${JSON.stringify(s.tenant)},"id":${JSON.stringify(s.id)},"version":${s.version},"name":${JSON.stringify(s.name)},"presence":${JSON.stringify(s.presence)},"snapshot":${s.snapshot}}`,
  );
  const result = await sql`${sql.raw(PREPARED)}
    with v as (select * from jsonb_to_recordset(${`[${rows.join(',')}]`}::jsonb) as v(tenant text, id text, version integer, name text, presence text, snapshot jsonb))
    update agents a
    set name = v.name, presence = v.presence, snapshot = v.snapshot, updated_at = now(), version = a.version + 1
    from v
    where a.tenant = any(array(select tenant from v)) and a.id = any(array(select id from v))
      and a.tenant = v.tenant and a.id = v.id and a.version = v.version`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
