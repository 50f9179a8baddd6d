import { createHash } from 'node:crypto';
import type { ColumnType, Kysely } from 'kysely';
import type { Database } from '../store/index.ts';

/** The e-mail tables (migration 2026-12-05T0201-email), beside Parley's own. */
// A type alias, not an interface: kysely's withTables wants an index-signature-compatible shape.
export type EmailTables = {
  email_attachments: {
    id: string;
    tenant: string;
    channel: string;
    /** The Message-ID of the mail it came with. */
    mail_id: string;
    filename: string | null;
    content_type: string;
    size: number;
    content: Buffer;
    created_at: ColumnType<Date, never, never>;
  };
  email_messages: {
    tenant: string;
    channel: string;
    /** The mail's Message-ID header, `<…>`. */
    message_id: string;
    direction: 'inbound' | 'outbound';
    /** Outbound: Parley's message id the Message-ID was made from. */
    parley_message_id: string | null;
    subject: string | null;
    created_at: ColumnType<Date, never, never>;
  };
};

type Db = Kysely<Database>;
const emailDb = (db: Db) => db.withTables<EmailTables>();

export interface StoredAttachment {
  readonly id: string;
  readonly filename?: string;
  readonly contentType: string;
  readonly size: number;
}

/**
 * The id of a mail's n-th attachment, the same on every delivery of the mail: a second
 * delivery stores nothing new and publishes the same envelope.
 */
export function attachmentId(tenant: string, channel: string, mailId: string, index: number): string {
  const h = createHash('sha256').update(`${tenant}\n${channel}\n${mailId}\n${index}`).digest('hex');
  // Shaped as a version-8 (custom) UUID.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Stores a mail's attachments (again: nothing changes) and its Message-ID and Subject. */
export async function storeInboundMail(
  db: Db,
  mail: { tenant: string; channel: string; messageId: string; subject: string | undefined },
  attachments: readonly (StoredAttachment & { content: Buffer })[],
): Promise<void> {
  await emailDb(db)
    .transaction()
    .execute(async (tx) => {
      if (attachments.length > 0) {
        await tx
          .insertInto('email_attachments')
          .values(
            attachments.map((a) => ({
              id: a.id,
              tenant: mail.tenant,
              channel: mail.channel,
              mail_id: mail.messageId,
              filename: a.filename ?? null,
              content_type: a.contentType,
              size: a.size,
              content: a.content,
            })),
          )
          .onConflict((oc) => oc.column('id').doNothing())
          .execute();
      }
      await tx
        .insertInto('email_messages')
        .values({ tenant: mail.tenant, channel: mail.channel, message_id: mail.messageId, direction: 'inbound', parley_message_id: null, subject: mail.subject ?? null })
        .onConflict((oc) => oc.columns(['tenant', 'channel', 'message_id']).doNothing())
        .execute();
    });
}

/** Records the Message-ID and Subject of a mail Parley sent. */
export async function storeOutboundMail(db: Db, mail: { tenant: string; channel: string; messageId: string; parleyMessageId: string; subject: string }): Promise<void> {
  await emailDb(db)
    .insertInto('email_messages')
    .values({ tenant: mail.tenant, channel: mail.channel, message_id: mail.messageId, direction: 'outbound', parley_message_id: mail.parleyMessageId, subject: mail.subject })
    .onConflict((oc) => oc.columns(['tenant', 'channel', 'message_id']).doUpdateSet({ subject: mail.subject }))
    .execute();
}

export interface EmailAttachmentContent {
  readonly filename: string | null;
  readonly contentType: string;
  readonly content: Buffer;
}

/**
 * A stored attachment's bytes, for the caller's tenant only: another tenant's id reads as
 * unknown (undefined). The HTTP route that serves it checks the caller's role first.
 */
export async function readEmailAttachment(db: Db, tenant: string, id: string): Promise<EmailAttachmentContent | undefined> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return undefined;
  const row = await emailDb(db)
    .selectFrom('email_attachments')
    .select(['filename', 'content_type', 'content'])
    .where('tenant', '=', tenant)
    .where('id', '=', id)
    .executeTakeFirst();
  return row && { filename: row.filename, contentType: row.content_type, content: row.content };
}

/** A conversation's mails so far, oldest first: what an outbound reply threads onto. */
export interface ThreadSoFar {
  /** Message-IDs in order (the customer's and ours). */
  readonly ids: readonly string[];
  /** The customer's newest Message-ID: what the reply answers. */
  readonly lastInbound: string | undefined;
  /** The subject of the thread's first mail that had one. */
  readonly subject: string | undefined;
}

/** Reads the Message-IDs and subject of a conversation's mails (inbound by `platform_message_id`, ours by Parley's id). */
export async function threadOf(db: Db, tenant: string, conversationId: string): Promise<ThreadSoFar> {
  const rows = await emailDb(db)
    .selectFrom('messages as m')
    .innerJoin('email_messages as e', (join) =>
      join
        .onRef('e.tenant', '=', 'm.tenant')
        .onRef('e.channel', '=', 'm.channel')
        .on((eb) =>
          eb.or([
            eb.and([eb('m.direction', '=', 'inbound'), eb('e.message_id', '=', eb.ref('m.platform_message_id'))]),
            eb.and([eb('m.direction', '=', 'outbound'), eb('e.parley_message_id', '=', eb.ref('m.id'))]),
          ]),
        ),
    )
    .select(['e.message_id', 'm.direction', 'e.subject'])
    .where('m.tenant', '=', tenant)
    .where('m.conversation_id', '=', conversationId)
    .orderBy('m.sent_at')
    .orderBy('m.created_at')
    .execute();
  return {
    ids: rows.map((r) => r.message_id),
    lastInbound: rows.findLast((r) => r.direction === 'inbound')?.message_id,
    subject: rows.find((r) => r.subject)?.subject ?? undefined,
  };
}
