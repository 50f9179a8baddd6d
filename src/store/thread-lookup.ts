import { sql, type Kysely } from 'kysely';
import type { ConversationRow, Database } from './database.ts';

type Db = Kysely<Database>;

export interface ThreadLookupRequest {
  tenant: string;
  channel: string;
  /** The sender's identity on the channel: only its own conversations can be joined. */
  externalId: string;
  /** Ids of the earlier messages the new one answers (e-mail In-Reply-To and References). */
  references: readonly string[] | undefined;
  /** The sender's open conversation on the channel, if any (from `lookupInbound`). */
  open: ConversationRow | undefined;
}

/** Parley's own Message-ID of an outbound mail: `<messageId@sending-domain>` (see src/email/message-ids.ts). */
const OWN_ID = /^<([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})@[^<>@\s]+>$/i;

/**
 * The conversation a reply belongs to by the messages it references (e-mail threading),
 * whatever the threading window says: the sender's conversation on this channel that
 * holds one of the referenced messages, the customer's own earlier Message-IDs or
 * Parley's `<messageId@domain>`. Locked FOR NO KEY UPDATE like `lookupInbound`'s row.
 *
 * A closed conversation is returned to be reopened, unless it was closed for a reason
 * other than its window (its queue was deleted), or the sender has another conversation
 * open on the channel (one open conversation per customer and channel): then undefined,
 * and the ordinary window rule decides. Only the sender's own conversations are searched,
 * so a forged reference cannot pull a message into someone else's conversation; they
 * share the sender's partition.
 */
export async function conversationOfReferences(db: Db, req: ThreadLookupRequest): Promise<ConversationRow | undefined> {
  const references = [...new Set(req.references ?? [])];
  if (references.length === 0) return undefined;
  const ownIds = references.flatMap((r) => OWN_ID.exec(r)?.[1]?.toLowerCase() ?? []);
  const ownMatch = ownIds.length > 0 ? sql`or (m.direction = 'outbound' and m.id = any(${ownIds}::uuid[]))` : sql``;
  const { rows } = await sql<ConversationRow>`
    select c.* from conversations c
    where c.id = (
      select m.conversation_id from messages m join conversations mc on mc.id = m.conversation_id
      where m.tenant = ${req.tenant} and m.channel = ${req.channel} and mc.external_id = ${req.externalId}
        and (m.platform_message_id = any(${references}::text[]) ${ownMatch})
      order by m.sent_at desc limit 1)
    for no key update`.execute(db);
  const row = rows[0];
  if (!row) return undefined;
  if (row.state !== 'closed') return row;
  if (req.open && req.open.id !== row.id) return undefined;
  const reason = (row.snapshot as { context?: { closeReason?: string } } | null)?.context?.closeReason;
  return reason === undefined ? row : undefined;
}
