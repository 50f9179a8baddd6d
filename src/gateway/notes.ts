import type { DesktopDb } from './desktop-tables.ts';
import type { NoteView } from './desktop-views.ts';

/** Notes on a conversation (written with a wrap-up), oldest first. */
export async function notesOf(db: DesktopDb, tenant: string, conversationId: string): Promise<NoteView[]> {
  const rows = await db
    .selectFrom('conversation_notes')
    .select(['id', 'author', 'text', 'created_at'])
    .where('tenant', '=', tenant)
    .where('conversation_id', '=', conversationId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ id: r.id, author: r.author, text: r.text, createdAt: r.created_at.toISOString() }));
}

export async function addNote(db: DesktopDb, tenant: string, conversationId: string, author: string, text: string): Promise<NoteView> {
  const row = await db
    .insertInto('conversation_notes')
    .values({ tenant, conversation_id: conversationId, author, text })
    .returning(['id', 'author', 'text', 'created_at'])
    .executeTakeFirstOrThrow();
  return { id: row.id, author: row.author, text: row.text, createdAt: row.created_at.toISOString() };
}
