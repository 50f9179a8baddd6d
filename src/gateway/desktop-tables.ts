import type { Generated, Kysely, Selectable } from 'kysely';
import type { Database } from '../store/index.ts';

/**
 * The desktop's own tables (migration 2026-12-05T0701-desktop). They are read and written
 * by the gateway only, so their types live here and are added to the store's `Database`
 * with kysely's `withTables` instead of widening the router's schema.
 */

export interface CannedResponseTable {
  id: Generated<string>;
  tenant: string;
  /** null: every queue of the tenant. */
  queue: string | null;
  shortcut: string;
  title: string;
  /** A Liquid template. */
  body: string;
  updated_by: string;
  updated_at: Generated<Date>;
}

export interface ConversationNoteTable {
  id: Generated<string>;
  tenant: string;
  conversation_id: string;
  author: string;
  text: string;
  created_at: Generated<Date>;
}

// A type alias, not an interface: `withTables` wants an index-compatible record.
export type DesktopTables = {
  canned_responses: CannedResponseTable;
  conversation_notes: ConversationNoteTable;
};

export type CannedResponseRow = Selectable<CannedResponseTable>;
export type DesktopDb = Kysely<Database & DesktopTables>;

export function desktopDb(db: Kysely<Database>): DesktopDb {
  return db.withTables<DesktopTables>();
}
