import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { AgentRow, Database } from './database.ts';

type Db = Kysely<Database>;

/**
 * An agent's snapshot as its actor holds it: the row's, with the conversations it holds
 * (`context.active`) read from `assignments` (`holds_slot`). The row does not keep that
 * list: it would grow with the agent's load and be written again at every step, while an
 * assignment row changes only when its own conversation does. The query reads `agents`
 * (unaliased); the times are made as `Date.toISOString` makes them.
 */
export function agentSnapshot(): RawBuilder<unknown> {
  const agent = sql.table('agents');
  const iso = (column: string) => sql`to_char(${sql.ref(`s.${column}`)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  return sql`case when jsonb_typeof(${agent}.snapshot->'context') = 'object'
    then jsonb_set(${agent}.snapshot, '{context,active}', coalesce((
      select jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
               'conversationId', s.conversation_id, 'offerId', s.id, 'mediaType', s.media_type, 'since', ${iso('answered_at')},
               'afterWorkUntil', ${iso('after_work_until')}))
             order by s.answered_at, s.id)
      from assignments s where s.tenant = ${agent}.tenant and s.agent_id = ${agent}.id and s.holds_slot), '[]'::jsonb))
    else ${agent}.snapshot end`;
}

/** Every agent, or those of some partitions; `snapshot` as the actor holds it (`agentSnapshot`). */
export async function listAgents(db: Db, partitions?: readonly number[]): Promise<AgentRow[]> {
  let query = db.selectFrom('agents').select(['tenant', 'id', 'name', 'presence', 'updated_at', 'partition', 'version', agentSnapshot().as('snapshot')]);
  if (partitions) {
    if (partitions.length === 0) return [];
    query = query.where('partition', 'in', partitions);
  }
  return query.execute();
}
