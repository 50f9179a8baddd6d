import type { Kysely } from 'kysely';
import type { Database } from '../../src/store/index.ts';
import { waitFor } from './services.ts';

/** The conversation of a customer whose phone number is their channel id, once it exists. */
export function conversationOfPhone(db: Kysely<Database>, phone: string) {
  return waitFor(() => db.selectFrom('conversations').selectAll().where('external_id', '=', `phone:${phone}`).where('state', '<>', 'closed').executeTakeFirst(), {
    what: `a conversation for ${phone}`,
  });
}

/** The accepted assignment of a conversation (agent and routing decision), once there is one. */
export function acceptedAssignmentOf(db: Kysely<Database>, conversationId: string) {
  return waitFor(
    () => db.selectFrom('assignments').select(['agent_id', 'reason']).where('conversation_id', '=', conversationId).where('state', '=', 'accepted').executeTakeFirst(),
    { what: `an accepted assignment for ${conversationId}` },
  );
}
