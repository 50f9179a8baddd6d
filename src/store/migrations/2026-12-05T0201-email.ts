import { sql, type Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- frozen in time: a migration must not depend on today's schema types */

/**
 * E-mail: the bytes of received attachments (agents fetch them through a tenant-checked
 * read), and the Message-ID and Subject of every mail in or out, for threading replies
 * and answering with `Re: <subject>`.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('email_attachments')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('mail_id', 'text', (c) => c.notNull())
    .addColumn('filename', 'text')
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('content', 'bytea', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('email_attachments_mail').on('email_attachments').columns(['tenant', 'channel', 'mail_id']).execute();

  await db.schema
    .createTable('email_messages')
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('direction', 'text', (c) => c.notNull())
    .addColumn('parley_message_id', 'uuid')
    .addColumn('subject', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('email_messages_pk', ['tenant', 'channel', 'message_id'])
    .execute();
  await db.schema.createIndex('email_messages_parley_id').on('email_messages').column('parley_message_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('email_messages').execute();
  await db.schema.dropTable('email_attachments').execute();
}
